// The app manifest schema: what a manifest may say, and the normalized values it turns into.
// Every object is strict, so a field this schema doesn't know — `privileged`, `network: host`,
// `devices`, a host path on a volume — is refused rather than silently dropped.
//
// One file (about 500 lines) on purpose: it is one zod tree whose cross-field rules (ports vs
// interfaces, volumes vs mounts, the bitcoin block vs the command) refer to each other's parts;
// the reusable pieces (units, messages, image references, suggestions) already live beside it.

import semver from 'semver';
import { z } from 'zod';
import { parseUserIds } from './user-ids.js';
import { APP_ID_PATTERN } from '../util/app-id.js';
import { parseImageReference, isFloatingTag, FLOATING_TAGS } from './image-reference.js';
import { describeValue, expected } from './messages.js';
import { port } from './port-schema.js';
import { checkExports, exportsSchema, rpcMethodsSchema } from './exports-schema.js';
import { staysInside } from './relative-path.js';
import { allowedReferences, checkReferenceText, type ReferenceKind } from './references.js';
import { dependencyFileProblems } from './dependency-files.js';
import { APP_CATEGORIES, CHAIN_NETWORKS, type AppManifest, type VolumeSpec } from './types.js';
import { normalizeServices, SERVICE_NAME_PATTERN, type RawManifest } from './services.js';
import { formatBytes, parseByteSize, parseDuration, type Parsed } from './units.js';

/** A custom issue carrying this param is reported at the offending key rather than its value. */
export const POINT_AT_KEY = { pointAt: 'key' } as const;

// ---------------------------------------------------------------------------------------------
// Scalars

export { APP_ID_PATTERN };
const APP_ID_WORDS =
  'an id of 1-63 lowercase letters, digits and "-", starting with a letter or digit (e.g. "bitcoin-core")';
const appId = z.string(expected(APP_ID_WORDS)).regex(APP_ID_PATTERN, expected(APP_ID_WORDS));

// Versions end up in image tags, folder names and messages: keep them to tag-safe characters.
const VERSION_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._+~-]{0,63}$/;
const VERSION_WORDS = 'a version in quotes, such as "1.0.0"';
const version = z
  .string({
    error: (issue) =>
      typeof issue.input === 'number'
        ? `expected ${VERSION_WORDS}, got the number ${issue.input}: YAML reads an unquoted version as a number, so quote it`
        : expected(VERSION_WORDS).error(issue),
  })
  .regex(VERSION_PATTERN, expected(`${VERSION_WORDS} (letters, digits, ".", "_", "+", "~", "-")`))
  .refine((value) => !isFloatingTag(value), {
    error: (issue) =>
      `${describeValue(issue.input)} names a moving target, not a version (${FLOATING_TAGS.join(', ')} are refused); ` +
      'pin a real version such as "1.0.0"',
  });

const nonEmptyString = z.string(expected('a non-empty string')).min(1, expected('a non-empty string'));

const boolean = z.boolean({
  error: (issue) =>
    typeof issue.input === 'string' && /^(yes|no|on|off|y|n)$/i.test(issue.input)
      ? `expected true or false, got ${describeValue(issue.input)} (YAML 1.2 reads it as text)`
      : expected('true or false').error(issue),
});

const COMMAND_WORDS = 'a list of strings such as ["/bin/sh", "-c", "exec httpd"]';
const commandLine = z
  .array(nonEmptyString, expected(COMMAND_WORDS))
  .min(1, { error: 'must list at least the program to run; remove the key to use the image default' });

/** Splits an absolute path into segments, or says why it isn't a clean absolute path. */
function checkContainerPath(path: string): string | undefined {
  const example = 'an absolute container path such as "/data"';
  if (!path.startsWith('/')) return `expected ${example}, got ${describeValue(path)}`;
  if (path === '/') return `expected a folder below "/", got "/"`;
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f]/.test(path)) return `expected ${example}, got a path with control characters`;
  const segments = path.slice(1).split('/');
  if (segments.some((s) => s === '..' || s === '.')) {
    return `"." and ".." segments are not allowed in a container path, got ${describeValue(path)}`;
  }
  if (segments.some((s) => s === '')) {
    return `expected ${example} without empty segments or a trailing "/", got ${describeValue(path)}`;
  }
  return undefined;
}

const containerPath = z.string(expected('an absolute container path such as "/data"')).check((ctx) => {
  const problem = checkContainerPath(ctx.value);
  if (problem !== undefined) ctx.issues.push({ code: 'custom', message: problem, input: ctx.value });
});

/** A schema for a manifest quantity written the human way and normalized by `parse`. */
function quantity(parse: (input: unknown) => Parsed<number>) {
  return z.unknown().transform((input, ctx) => {
    const result = parse(input);
    if (result.ok) return result.value;
    ctx.issues.push({ code: 'custom', message: result.reason, input });
    return z.NEVER;
  });
}
const byteSize = quantity(parseByteSize);
const duration = quantity(parseDuration);
const positiveDuration = duration.refine((ms) => ms > 0, { error: 'must be longer than 0' });

// ---------------------------------------------------------------------------------------------
// Sections

const ENV_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;
const env = z.record(
  z.string().regex(ENV_NAME_PATTERN, {
    error: (issue) =>
      `${describeValue(issue.input)} is not a valid environment variable name: use letters, digits and "_", not starting with a digit`,
  }),
  z
    .union([z.string(), z.number(), z.boolean()], expected('a string, number or true/false'))
    .transform(String),
  expected('a mapping of NAME: value'),
);

const portSpec = z.strictObject(
  {
    container: port,
    host: port,
    protocol: z.enum(['tcp', 'udp']).default('tcp'),
    expose: z.enum(['lan', 'local']).default('lan'),
  },
  expected('a mapping such as { container: 8080, host: 18080 }'),
);

const ports = z
  .array(portSpec, expected('a list of { container, host } mappings'))
  .superRefine((list, ctx) => {
    const seen = new Map<string, number>();
    list.forEach((spec, index) => {
      const key = `${spec.host}/${spec.protocol}`;
      const first = seen.get(key);
      if (first === undefined) {
        seen.set(key, index);
        return;
      }
      ctx.addIssue({
        code: 'custom',
        path: [index, 'host'],
        message: `host port ${key} is already published by ports[${first}]; choose another host port`,
      });
    });
  });

export const VOLUME_NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,62}$/;
const VOLUME_NAME_WORDS = '1-63 lowercase letters, digits, ".", "_" or "-", starting with a letter or digit';

/** A path inside the app's folder: relative, no `..`, nothing hidden behind a backslash. */
const appFolderPath = z
  .string(expected('a path relative to the manifest’s folder, such as "www"'))
  .check((ctx) => {
    const value = ctx.value;
    if (!staysInside(value, { allowDot: true }))
      ctx.issues.push({
        code: 'custom',
        message: `'${value}' must be a path inside the app's folder (relative, no '..', no empty parts)`,
        input: value,
      });
  });

const volumeSpec = z
  .strictObject(
    {
      mount: containerPath,
      name: z
        .string(expected(`a volume name of ${VOLUME_NAME_WORDS}`))
        .regex(VOLUME_NAME_PATTERN, expected(`a volume name of ${VOLUME_NAME_WORDS}`))
        .optional(),
      readOnly: boolean.default(false),
      // Files of the manifest's folder copied into the volume when an install creates it.
      seed: appFolderPath.optional(),
    },
    expected('a mapping such as { mount: /data }'),
  )
  .transform((spec, ctx): VolumeSpec => {
    // "/var/lib/x" → "var-lib-x": readable on the host, and unique as long as mounts are.
    const name = spec.name ?? spec.mount.slice(1).toLowerCase().replaceAll('/', '-');
    if (!VOLUME_NAME_PATTERN.test(name)) {
      ctx.issues.push({
        code: 'custom',
        path: ['mount'],
        message: `cannot derive a volume name from ${describeValue(spec.mount)}; add name: with ${VOLUME_NAME_WORDS}`,
        input: spec.mount,
      });
      return z.NEVER;
    }
    return {
      mount: spec.mount,
      name,
      readOnly: spec.readOnly,
      ...(spec.seed !== undefined && { seed: spec.seed }),
    };
  });

const volumes = z.array(volumeSpec, expected('a list of { mount } mappings')).superRefine((list, ctx) => {
  const mounts = new Map<string, number>();
  const names = new Map<string, number>();
  list.forEach((spec, index) => {
    const sameMount = mounts.get(spec.mount);
    if (sameMount !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: [index, 'mount'],
        message: `${describeValue(spec.mount)} is already mounted by volumes[${sameMount}]; mount each path once`,
      });
      return;
    }
    mounts.set(spec.mount, index);
    const sameName = names.get(spec.name);
    if (sameName !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: [index, 'name'],
        message: `volume name '${spec.name}' is already used by volumes[${sameName}]; give each volume its own name:`,
      });
      return;
    }
    names.set(spec.name, index);
  });
});

/** linux/threads.h PID_MAX_LIMIT on 64-bit: no host can run more processes than this. */
export const MAX_PIDS = 4_194_304;

// Podman refuses a memory limit under 6 MiB; say so here rather than at container creation.
const MIN_MEMORY_BYTES = 6 * 1024 * 1024;

const resources = z
  .strictObject(
    {
      memory: byteSize
        .refine((bytes) => bytes >= MIN_MEMORY_BYTES, {
          error: (issue) =>
            `${formatBytes(issue.input as number)} is below Podman's minimum memory limit of 6M; write a unit, e.g. "64M"`,
        })
        .optional(),
      memoryReservation: byteSize.optional(),
      cpus: z
        .number(expected('a number of CPUs such as 0.5 or 2'))
        .gt(0, expected('a number of CPUs greater than 0'))
        .max(256, expected('a number of CPUs up to 256'))
        .optional(),
      // The kernel never has more than 2^22 pids (PID_MAX_LIMIT): a larger limit is no limit.
      pids: z
        .number(expected('a positive integer'))
        .int(expected('a positive integer'))
        .min(1, expected('a positive integer'))
        .max(MAX_PIDS, expected(`a number of processes up to ${MAX_PIDS}`))
        .optional(),
      minDisk: byteSize.optional(),
    },
    expected('a mapping such as { memory: 64M }'),
  )
  .superRefine((spec, ctx) => {
    if (
      spec.memory !== undefined &&
      spec.memoryReservation !== undefined &&
      spec.memoryReservation > spec.memory
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['memoryReservation'],
        message:
          `the reservation (${formatBytes(spec.memoryReservation)}) is larger than the memory limit ` +
          `(${formatBytes(spec.memory)}); lower it or raise memory`,
      });
    }
  });

const dependencySpec = z.strictObject(
  {
    id: appId,
    version: z
      .string(expected('a semver range such as ">=0.18.0" or "^28.0"'))
      .refine((range) => range.trim() !== '' && semver.validRange(range) !== null, {
        error: (issue) =>
          `expected a semver range such as ">=0.18.0" or "^28.0", got ${describeValue(issue.input)}`,
      })
      .optional(),
    requires: z.enum(['installed', 'running', 'healthy']).default('running'),
    rpcMethods: rpcMethodsSchema.optional(),
    // Where this app expects the dependency's files besides /run/secrets (an imported app reads
    // LND's tls.cert and macaroon from the paths Umbrel mounted LND's data at).
    files: z
      .strictObject(
        {
          tlsCert: containerPath.optional(),
          credential: containerPath.optional(),
          password: containerPath.optional(),
          cookie: containerPath.optional(),
        },
        expected('a mapping such as { tlsCert: /lnd/tls.cert, credential: /lnd/admin.macaroon }'),
      )
      .optional(),
  },
  expected('a mapping such as { id: bitcoin-node }'),
);

// Where an imported app came from (archy import umbrel, archy parmanode convert): such an app is
// not signed by the catalog, and installing it needs the user's explicit confirmation.
const origin = z.strictObject(
  {
    kind: z.enum(['umbrel', 'parmanode']),
    app: nonEmptyString,
    upstreamVersion: nonEmptyString,
    source: nonEmptyString.optional(),
  },
  expected('a mapping such as { kind: umbrel, app: btcpay-server, upstreamVersion: "2.0.6" }'),
);

// The login of the app's own web UI, shown to the user by `archy connection --reveal`.
const webLogin = z.strictObject(
  { username: nonEmptyString.optional(), password: nonEmptyString.optional() },
  expected('a mapping such as { username: admin, password: ${ARCHY_APP_PASSWORD} }'),
);

// Tor for the app (issue 17; README "Tor"). The daemon runs the app's own Tor beside its main
// container, in the main container's network namespace: 127.0.0.1:9050 is Tor's SOCKS port and
// 127.0.0.1:9051 its control port for the app, and an onion service forwards to 127.0.0.1:<port>.
const ONION_NAME_WORDS = 'a name of 1-31 lowercase letters, digits and "-", starting with a letter';
const onionService = z.strictObject(
  {
    /** The main service's container port the onion forwards to (it need not be published). */
    port,
    /** The port on the .onion address; the container port when not given. */
    virtualPort: port.optional(),
    /** Names the onion in status and its key folder (`onions/<name>/`); `port-<port>` when not given. */
    name: z
      .string(expected(ONION_NAME_WORDS))
      .regex(/^[a-z][a-z0-9-]{0,30}$/, expected(ONION_NAME_WORDS))
      .optional(),
  },
  expected('a mapping such as { port: 8080 }'),
);

const tor = z
  .strictObject(
    {
      /**
       * `tor`: a privacy-sensitive app (Bitcoin, Lightning, Electrum servers) — it talks to the
       * world through Tor unless the user switches it to clearnet. `clearnet` (the default): onions
       * only, if any; the user may turn Tor on.
       */
      default: z.enum(['tor', 'clearnet']).default('clearnet'),
      onions: z.array(onionService, expected('a list of { port } mappings')).default([]),
      /** Appended to the main service's command while Tor is on (references allowed). */
      args: commandLine.optional(),
      /** Added to the main service's env while Tor is on (references allowed). */
      env: env.optional(),
      /** What switching this app to clearnet changes, in a user's words (archy config, the UI). */
      clearnetEffect: nonEmptyString.optional(),
    },
    expected('a mapping such as { default: tor, onions: [{ port: 8333 }] }'),
  )
  .superRefine((spec, ctx) => {
    const names = new Map<string, number>();
    const virtualPorts = new Map<number, number>();
    spec.onions.forEach((onion, index) => {
      const name = onion.name ?? `port-${onion.port}`;
      const virtualPort = onion.virtualPort ?? onion.port;
      if (names.has(name))
        ctx.addIssue({
          code: 'custom',
          path: ['onions', index, 'name'],
          message: `onion '${name}' is already named at onions[${names.get(name)}]; give each onion its own name`,
        });
      if (virtualPorts.has(virtualPort))
        ctx.addIssue({
          code: 'custom',
          path: ['onions', index, 'virtualPort'],
          message: `the onion port ${virtualPort} is already used by onions[${virtualPorts.get(virtualPort)}]; choose another virtualPort`,
        });
      names.set(name, names.get(name) ?? index);
      virtualPorts.set(virtualPort, virtualPorts.get(virtualPort) ?? index);
    });
  });

const CAPABILITY_PATTERN = /^(CAP_)?[A-Z][A-Z0-9_]*$/;
const capability = z
  .string(expected('a capability name such as NET_BIND_SERVICE'))
  .regex(CAPABILITY_PATTERN, expected('an uppercase capability name such as NET_BIND_SERVICE'))
  .transform((name) => name.replace(/^CAP_/, ''));

// Numeric "uid:gid" (or a bare uid, meaning the same gid), both ≥ 1: the container policy's own
// parser, so lint and install agree. Names are refused: they mean whatever the image says.
const user = z.string(expected('a user such as "1000:1000"')).check((ctx) => {
  const verdict = parseUserIds(ctx.value, { bareUid: 'uid' });
  if (!verdict.ok) ctx.issues.push({ code: 'custom', message: verdict.reason, input: ctx.value });
});

const security = z.strictObject(
  {
    capAdd: z.array(capability, expected('a list of capability names')).default([]),
    readOnlyRootfs: boolean.default(true),
    user: user.optional(),
    tmpfs: z.array(containerPath, expected('a list of absolute container paths')).default([]),
    noNewPrivileges: boolean.default(true),
  },
  expected('a mapping such as { readOnlyRootfs: true }'),
);

const PROBE_KINDS = ['http', 'tcp', 'exec', 'bitcoin'] as const;

const health = z
  .strictObject(
    {
      http: z
        .strictObject(
          {
            port,
            path: z
              .string(expected('a URL path such as "/"'))
              .startsWith('/', expected('a URL path starting with "/"'))
              .default('/'),
            status: z
              .number(expected('an HTTP status code from 100 to 599'))
              .int(expected('an HTTP status code from 100 to 599'))
              .min(100, expected('an HTTP status code from 100 to 599'))
              .max(599, expected('an HTTP status code from 100 to 599'))
              .optional(),
          },
          expected('a mapping such as { port: 8080, path: / }'),
        )
        .optional(),
      tcp: z.strictObject({ port }, expected('a mapping such as { port: 8080 }')).optional(),
      exec: z
        .strictObject({ command: commandLine }, expected('a mapping such as { command: ["check"] }'))
        .optional(),
      bitcoin: z.strictObject({}, expected('an empty mapping: bitcoin: {}')).optional(),
      interval: positiveDuration.default(10_000),
      timeout: positiveDuration.default(5_000),
      startPeriod: duration.default(30_000),
      retries: z
        .number(expected('an integer of at least 1'))
        .int(expected('an integer of at least 1'))
        .min(1, expected('an integer of at least 1'))
        .default(3),
    },
    expected('a mapping with one probe: http, tcp, exec or bitcoin'),
  )
  .superRefine((spec, ctx) => {
    const given = PROBE_KINDS.filter((kind) => spec[kind] !== undefined);
    if (given.length === 0) {
      ctx.addIssue({ code: 'custom', message: 'needs one probe: add http:, tcp:, exec: or bitcoin:' });
    }
    for (const extra of given.slice(1)) {
      ctx.addIssue({
        code: 'custom',
        path: [extra],
        params: POINT_AT_KEY,
        message: `has both '${given[0]}' and '${extra}'; keep exactly one probe`,
      });
    }
  });

const bitcoin = z.strictObject(
  {
    implementation: z.enum(['core', 'knots']),
    network: z.enum(CHAIN_NETWORKS).default('mainnet'),
    rpcPort: port.optional(),
    p2pPort: port.optional(),
    datadir: containerPath.optional(),
  },
  expected('a mapping such as { implementation: core }'),
);

const lightning = z.strictObject(
  {
    implementation: z.enum(['lnd', 'cln']),
    network: z.enum(CHAIN_NETWORKS).default('mainnet'),
  },
  expected('a mapping such as { implementation: lnd }'),
);

const web5 = z.strictObject(
  { protocols: z.array(nonEmptyString, expected('a list of protocol names')).default([]) },
  expected('a mapping such as { protocols: [...] }'),
);

/** Applets a recipe gets when it names none: enough for a shell, a web server and the health probes. */
export const DEFAULT_BUILD_APPLETS = ['sh', 'cat', 'echo', 'ls', 'sleep', 'httpd', 'wget', 'nc'];

const build = z.strictObject(
  {
    base: z.literal('busybox', expected('busybox (Debian busybox-static, the only base a node builds)')),
    applets: z
      .array(
        z.string().regex(/^[a-z0-9_[.-]{1,32}$/, 'an applet name such as httpd'),
        expected('a list of busybox applets'),
      )
      .default(DEFAULT_BUILD_APPLETS),
    files: z
      .array(z.strictObject({ from: appFolderPath, to: containerPath }, expected('a mapping { from, to }')))
      .default([]),
  },
  expected('a mapping such as { base: busybox, files: [{ from: www, to: /www }] }'),
);

// ---------------------------------------------------------------------------------------------
// Containers: the keys that describe one container, written at the top level of a
// single-container manifest or per service under `services:`.

const imageReference = z.string(expected('an image reference such as "registry/app:1.0.0"')).check((ctx) => {
  const result = parseImageReference(ctx.value);
  if (!result.ok) ctx.issues.push({ code: 'custom', message: result.reason, input: ctx.value });
});

const containerFields = {
  image: imageReference,
  build: build.optional(),
  command: commandLine.optional(),
  entrypoint: commandLine.optional(),
  env: env.default({}),
  ports: ports.default([]),
  volumes: volumes.default([]),
  resources: resources.prefault({}),
  security: security.prefault({}),
  health: health.optional(),
  stopTimeout: duration.default(30_000),
};

/** The top-level keys a multi-service manifest writes per service instead. */
export const CONTAINER_KEYS = Object.keys(containerFields) as Array<keyof typeof containerFields>;

const SERVICE_NAME_WORDS = 'a service name of 1-31 lowercase letters, digits and "-", starting with a letter';
const serviceName = z
  .string(expected(SERVICE_NAME_WORDS))
  .regex(SERVICE_NAME_PATTERN, expected(SERVICE_NAME_WORDS));

const serviceSpec = z.strictObject(
  {
    ...containerFields,
    dependsOn: z.array(serviceName, expected('a list of service names of this app')).default([]),
    uses: z.array(appId, expected('a list of ids from dependencies:')).optional(),
  },
  expected('a mapping such as { image: registry/app:1.0.0 }'),
);

const services = z
  .record(serviceName, serviceSpec, expected('a mapping of service name: { image, ... }'))
  .refine((map) => Object.keys(map).length > 0, {
    error: 'lists no service; name at least one, or remove services: and write image: at the top level',
  });

// The top level of a single-container manifest: the same keys, without defaults here so that a
// multi-service manifest which also writes one of them can be told so; `normalizeServices` fills
// in the defaults.
const topLevelContainerFields = {
  image: imageReference.optional(),
  build: build.optional(),
  command: commandLine.optional(),
  entrypoint: commandLine.optional(),
  env: env.optional(),
  ports: ports.optional(),
  volumes: volumes.optional(),
  resources: resources.optional(),
  security: security.optional(),
  health: health.optional(),
  stopTimeout: duration.optional(),
};

/** The values a container key takes when the manifest leaves it out. */
export const CONTAINER_DEFAULTS = {
  env: {},
  ports: [],
  volumes: [],
  resources: resources.parse({}),
  security: security.parse({}),
  stopTimeout: 30_000,
};

// ---------------------------------------------------------------------------------------------
// The manifest

const manifestObject = z.strictObject(
  {
    id: appId,
    name: z.string(expected('a name of 1-80 characters')).min(1).max(80),
    version,
    category: z.enum(APP_CATEGORIES).default('other'),
    description: z.string(expected('text')).optional(),
    icon: nonEmptyString.optional(),
    homepage: z
      .url({ protocol: /^https?$/, ...expected('an http(s) URL such as "https://example.org"') })
      .optional(),
    ...topLevelContainerFields,
    dependencies: z.array(dependencySpec, expected('a list of { id } mappings')).default([]),
    provides: z.array(appId, expected('a list of interface names')).default([]),
    exports: exportsSchema.optional(),
    conflicts: z.array(appId, expected('a list of app ids')).default([]),
    bitcoin: bitcoin.optional(),
    lightning: lightning.optional(),
    web5: web5.optional(),
    main: serviceName.optional(),
    services: services.optional(),
    origin: origin.optional(),
    webLogin: webLogin.optional(),
    tor: tor.optional(),
  },
  expected('a mapping of manifest fields (id:, name:, image: ...)'),
);

type RawService = z.output<typeof serviceSpec>;
type IssueSink = z.RefinementCtx;

export const appManifestSchema = manifestObject
  .superRefine((manifest, ctx) => {
    const dependedOn = new Map<string, number>();
    manifest.dependencies.forEach((dependency, index) => {
      if (dependency.id === manifest.id) {
        ctx.addIssue({
          code: 'custom',
          path: ['dependencies', index, 'id'],
          message: `an app cannot depend on itself ('${manifest.id}'); remove this dependency`,
        });
      } else if (dependedOn.has(dependency.id)) {
        ctx.addIssue({
          code: 'custom',
          path: ['dependencies', index, 'id'],
          message: `'${dependency.id}' is already listed at dependencies[${dependedOn.get(dependency.id)}]; list it once`,
        });
      }
      dependedOn.set(dependency.id, dependedOn.get(dependency.id) ?? index);
    });
    manifest.conflicts.forEach((conflict, index) => {
      if (conflict === manifest.id) {
        ctx.addIssue({
          code: 'custom',
          path: ['conflicts', index],
          message: `an app cannot conflict with itself ('${manifest.id}'); remove it from conflicts`,
        });
      } else if (dependedOn.has(conflict)) {
        ctx.addIssue({
          code: 'custom',
          path: ['conflicts', index],
          message: `'${conflict}' is both a dependency and a conflict; keep one`,
        });
      }
    });
    if (manifest.services === undefined) checkSingleContainer(manifest, ctx);
    else checkServices(manifest, manifest.services, ctx);
    const serviceVolumes = manifest.services && Object.values(manifest.services).flatMap((s) => s.volumes);
    checkExports({ ...manifest, volumes: serviceVolumes ?? manifest.volumes ?? [] }, ctx);
    checkReferences(manifest, ctx);
    for (const problem of dependencyFileProblems(manifest)) ctx.addIssue({ code: 'custom', ...problem });
  })
  .transform((manifest): AppManifest => normalizeServices(manifest, CONTAINER_DEFAULTS));

/**
 * `${ARCHY_…}` references (references.ts) name only what the container can be given: the app's
 * own names, and the names of the dependencies it uses (a service: those in its uses:).
 */
function checkReferences(manifest: RawManifest, ctx: IssueSink): void {
  const all = manifest.dependencies.map((dependency) => dependency.id);
  const containers: Array<{ at: PropertyKey[]; uses: string[]; fields: Partial<RawService> }> =
    manifest.services === undefined
      ? [{ at: [], uses: all, fields: manifest }]
      : Object.entries(manifest.services).map(([name, service]) => ({
          at: ['services', name],
          uses: service.uses ?? [],
          fields: service,
        }));
  const check = (text: string, path: PropertyKey[], allowed: Map<string, ReferenceKind>): void => {
    const problem = checkReferenceText(text, allowed);
    if (problem) ctx.addIssue({ code: 'custom', path, message: problem });
  };
  for (const { at, uses, fields } of containers) {
    const allowed = allowedReferences(uses);
    for (const [name, value] of Object.entries(fields.env ?? {})) check(value, [...at, 'env', name], allowed);
    for (const key of ['command', 'entrypoint'] as const)
      (fields[key] ?? []).forEach((item, index) => check(item, [...at, key, index], allowed));
  }
  if (manifest.webLogin?.password !== undefined)
    check(manifest.webLogin.password, ['webLogin', 'password'], allowedReferences([]));
  // Tor's args and env go to the main service, with its dependencies' names.
  const mainUses =
    manifest.services === undefined
      ? all
      : (Object.entries(manifest.services).find(
          ([name]) => name === (manifest.main ?? Object.keys(manifest.services ?? {})[0]),
        )?.[1]?.uses ?? []);
  const torAllowed = allowedReferences(mainUses);
  (manifest.tor?.args ?? []).forEach((item, index) => check(item, ['tor', 'args', index], torAllowed));
  for (const [name, value] of Object.entries(manifest.tor?.env ?? {}))
    check(value, ['tor', 'env', name], torAllowed);
}

function checkSingleContainer(manifest: RawManifest, ctx: IssueSink): void {
  if (manifest.image === undefined) {
    // Worded like zod's own "is required", and of its kind, so a misspelt `imgae:` still
    // answers with only "did you mean 'image'?".
    ctx.addIssue({
      code: 'invalid_type',
      expected: 'string',
      input: undefined,
      path: ['image'],
      message: 'is required: add an image reference such as "registry/app:1.0.0" (or services:)',
    });
  }
  if (manifest.main !== undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['main'],
      params: POINT_AT_KEY,
      message: 'names the main service of services:, which this manifest does not have; remove main:',
    });
  }
  checkContainer(manifest, manifest, [], ctx, true);
}

/** Rules of one container, wherever it is written (`at`: its path in the manifest). */
function checkContainer(
  manifest: RawManifest,
  container: Pick<RawService, 'build' | 'health'> & { image?: string | undefined },
  at: PropertyKey[],
  ctx: IssueSink,
  isMain: boolean,
): void {
  if (
    container.build &&
    container.image !== undefined &&
    !/^localhost\/[^:@]+:[^:@/]+$/.test(container.image)
  ) {
    ctx.addIssue({
      code: 'custom',
      path: [...at, 'image'],
      message: `an image this node builds (build:) is named localhost/<name>:<tag>, not '${container.image}'; e.g. localhost/apps/${manifest.id}:${manifest.version}`,
    });
  }
  if (container.health?.bitcoin && !manifest.bitcoin) {
    ctx.addIssue({
      code: 'custom',
      path: [...at, 'health', 'bitcoin'],
      params: POINT_AT_KEY,
      message:
        'the bitcoin probe asks the node over RPC and needs a bitcoin: block (implementation, network, datadir); add one or use an exec: probe',
    });
  } else if (container.health?.bitcoin && !isMain) {
    ctx.addIssue({
      code: 'custom',
      path: [...at, 'health', 'bitcoin'],
      params: POINT_AT_KEY,
      message:
        'the bitcoin probe asks the node, which runs in the main service; use it there, or an exec: probe here',
    });
  }
}

function checkServices(manifest: RawManifest, list: Record<string, RawService>, ctx: IssueSink): void {
  for (const key of CONTAINER_KEYS) {
    if (manifest[key] === undefined) continue;
    ctx.addIssue({
      code: 'custom',
      path: [key],
      params: POINT_AT_KEY,
      message: `an app with services: writes ${key}: per service; move it into the service that needs it`,
    });
  }
  const names = Object.keys(list);
  const main = manifest.main ?? names[0];
  if (manifest.main !== undefined && !Object.hasOwn(list, manifest.main)) {
    ctx.addIssue({
      code: 'custom',
      path: ['main'],
      message: `'${manifest.main}' is not one of the services (${names.join(', ')}); name one of them`,
    });
  }
  const dependencyIds = new Set(manifest.dependencies.map((dependency) => dependency.id));
  const hostPorts = new Map<string, string>();
  const volumeNames = new Map<string, string>();
  let builder: string | undefined;
  for (const [name, service] of Object.entries(list)) {
    const at = ['services', name];
    checkContainer(manifest, service, at, ctx, name === main);
    if (service.build) {
      if (builder !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: [...at, 'build'],
          params: POINT_AT_KEY,
          message: `service '${builder}' already has build:; an app builds at most one image, pull the others`,
        });
      }
      builder ??= name;
    }
    service.dependsOn.forEach((other, index) => {
      const where = [...at, 'dependsOn', index];
      if (other === name) {
        ctx.addIssue({
          code: 'custom',
          path: where,
          message: `a service cannot depend on itself ('${name}')`,
        });
      } else if (!Object.hasOwn(list, other)) {
        ctx.addIssue({
          code: 'custom',
          path: where,
          message: `'${other}' is not a service of this app (${names.join(', ')}); name one of them`,
        });
      } else if (service.dependsOn.indexOf(other) !== index) {
        ctx.addIssue({ code: 'custom', path: where, message: `'${other}' is listed twice; list it once` });
      }
    });
    service.uses?.forEach((id, index) => {
      if (dependencyIds.has(id)) return;
      ctx.addIssue({
        code: 'custom',
        path: [...at, 'uses', index],
        message: `'${id}' is not one of the app's dependencies; add it to dependencies: or remove it here`,
      });
    });
    service.ports.forEach((spec, index) => {
      const key = `${spec.host}/${spec.protocol}`;
      const owner = hostPorts.get(key);
      if (owner === undefined) hostPorts.set(key, name);
      else
        ctx.addIssue({
          code: 'custom',
          path: [...at, 'ports', index, 'host'],
          message: `host port ${key} is already published by service '${owner}'; choose another host port`,
        });
    });
    service.volumes.forEach((spec, index) => {
      const owner = volumeNames.get(spec.name);
      if (owner === undefined) volumeNames.set(spec.name, name);
      else
        // Shared volumes are refused for now: each service's user would chown it in turn.
        ctx.addIssue({
          code: 'custom',
          path: [...at, 'volumes', index, 'name'],
          message: `volume name '${spec.name}' is already used by service '${owner}'; services cannot share a volume, give this one its own name:`,
        });
    });
  }
  const cycle = findCycle(list);
  if (cycle !== undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['services', cycle[0]!, 'dependsOn'],
      params: POINT_AT_KEY,
      message: `dependsOn goes round in a circle (${cycle.join(' → ')}); one of them must start without the other`,
    });
  }
}

/** A dependsOn cycle as the names along it (first = last), or undefined. */
function findCycle(list: Record<string, RawService>): string[] | undefined {
  const done = new Set<string>();
  const visit = (name: string, path: string[]): string[] | undefined => {
    const seenAt = path.indexOf(name);
    if (seenAt >= 0) return [...path.slice(seenAt), name];
    if (done.has(name) || !Object.hasOwn(list, name)) return undefined;
    for (const next of list[name]!.dependsOn) {
      if (next === name) continue; // reported as "depends on itself"
      const cycle = visit(next, [...path, name]);
      if (cycle) return cycle;
    }
    done.add(name);
    return undefined;
  };
  for (const name of Object.keys(list)) {
    const cycle = visit(name, []);
    if (cycle) return cycle;
  }
  return undefined;
}

// The hand-written types in types.ts are what callers see; fail the build if they drift.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const _schemaMatchesTypes: Same<z.output<typeof appManifestSchema>, AppManifest> = true;
const _rawMatchesServices: Same<z.output<typeof manifestObject>, RawManifest> = true;
