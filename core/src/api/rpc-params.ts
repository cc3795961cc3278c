import { z } from 'zod';
import { BITCOIN_NETWORKS, MIN_PRUNE_GB, type RpcMethodName, type RpcMethods } from './contract.js';

import { APP_ID_PATTERN } from '../util/app-id.js';
import { MAX_LOG_TAIL } from './limits.js';
import { SERVICE_NAME_PATTERN } from '../manifest/index.js';
import { normaliseLogTime } from '../logs/index.js';

export { APP_ID_PATTERN, MAX_LOG_TAIL };

/** Zod error option that tells a missing param from a wrong one. */
const expecting = (what: string) => ({
  error: (issue: { input?: unknown }) =>
    issue.input === undefined ? `missing; expected ${what}` : `expected ${what}`,
});

export const appIdSchema = z.string(expecting('an app id (a string)')).regex(APP_ID_PATTERN, {
  error: "expected an app id: 1-63 lowercase letters, digits or '-', starting with a letter or digit",
});

export const logTailSchema = z
  .number(expecting('a whole number of lines'))
  .int({ error: 'expected a whole number of lines' })
  .min(1, { error: 'expected at least 1 line' })
  .max(MAX_LOG_TAIL, { error: `expected at most ${MAX_LOG_TAIL} lines` });

/** A kept-log bound (container-logs and the /ws logs subscription): an ISO time with its zone. */
export const logTimeSchema = z.string(expecting('an ISO time such as "2026-12-06T10:00:00Z"')).refine(
  (text) => {
    try {
      normaliseLogTime(text);
      return true;
    } catch {
      return false;
    }
  },
  { error: 'expected an ISO time with its zone, such as "2026-12-06T10:00:00Z"' },
);

const versionText = z
  .string(expecting('a version string such as "1.0.0"'))
  .min(1, { error: 'expected a version string such as "1.0.0"' });

const manifestText = z.string(expecting('the manifest YAML as a string'));
const manifestFileName = z.string(expecting('the manifest file name as a string'));

/** A path on the daemon's machine; relative paths mean nothing to a daemon with another cwd. */
const absolutePath = (what: string) =>
  z
    .string(expecting(`${what}, as an absolute path`))
    .refine((path) => path.startsWith('/'), { error: `expected ${what} as an absolute path` });

/** A backup target as the user typed it (backup/backup-target.ts reads it). */
const backupTarget = z
  .string(expecting('a backup target: an absolute path, rest:http(s)://… or sftp:…'))
  .min(1, { error: 'expected a backup target: an absolute path, rest:http(s)://… or sftp:…' });

const bitcoinNetwork = z.enum(BITCOIN_NETWORKS, {
  error: `expected one of ${BITCOIN_NETWORKS.join(', ')}`,
});
/** GB; 0 means keep every block. */
const pruneGb = z
  .number(expecting('a prune target in GB (a whole number), or 0 to keep every block'))
  .int({ error: 'expected a whole number of GB' })
  .refine((gb) => gb === 0 || gb >= MIN_PRUNE_GB, {
    error: `expected 0 (keep every block) or at least ${MIN_PRUNE_GB} GB`,
  });

const idOnly = z.strictObject({ id: appIdSchema });
/** A TCP port of an app's onion service (its container port, or the port on the .onion). */
const onionPort = z
  .number(expecting('a port number (1-65535)'))
  .int({ error: 'expected a whole port number' })
  .min(1, { error: 'expected a port from 1 to 65535' })
  .max(65535, { error: 'expected a port from 1 to 65535' });

/** What the Bitcoin version guard asks for (contract.ts GuardConfirmation). */
const guardConfirmation = {
  confirmDowngrade: z.boolean(expecting('true or false')).optional(),
  confirmResync: z.string(expecting('the app id, typed to accept a full re-sync')).optional(),
};
const noParams = z.strictObject({});

/** Interface → the app chosen to provide it; both are names of the app-id form. */
const providerChoices = z.record(z.string().regex(APP_ID_PATTERN), appIdSchema, {
  // A bad value keeps its own (app id) message; a bad key or a value that is no object get these.
  error: (issue) => {
    if (issue.code === 'invalid_key') return 'expected an interface name such as bitcoin-node';
    if (issue.code === 'invalid_type') {
      return "expected an object of interface → app id, e.g. { 'bitcoin-node': 'bitcoin-knots' }";
    }
    return undefined;
  },
});

const setVersionParams = { id: appIdSchema, version: versionText, ...guardConfirmation };
const switchParams = {
  from: appIdSchema,
  to: appIdSchema,
  version: versionText.optional(),
  confirmSwitch: z.boolean(expecting('true or false')).optional(),
  ...guardConfirmation,
};

/**
 * Params of every JSON-RPC method. Strict objects: a misspelt param is an error, not silently
 * ignored, so a client that sends `{purgee: true}` learns about it instead of keeping its data.
 */
export const rpcParamSchemas = {
  'container-install': z
    .strictObject({
      id: appIdSchema.optional(),
      manifest: manifestText.optional(),
      manifestFile: manifestFileName.optional(),
      manifestDir: absolutePath("the manifest's folder").optional(),
      version: versionText.optional(),
      from: absolutePath('the release tarball or its folder').optional(),
      network: bitcoinNetwork.optional(),
      prune: pruneGb.optional(),
      choices: providerChoices.optional(),
      confirmImported: z.boolean(expecting('true or false')).optional(),
      ...guardConfirmation,
    })
    .superRefine((params, ctx) => {
      const hasId = params.id !== undefined;
      const hasManifest = params.manifest !== undefined;
      if (hasId === hasManifest) {
        ctx.addIssue({
          code: 'custom',
          path: [],
          message: hasId
            ? "send either 'id' (a bundled app) or 'manifest' (YAML text), not both"
            : "send 'id' (a bundled app) or 'manifest' (YAML text)",
        });
      }
      if (params.manifestFile !== undefined && !hasManifest) {
        ctx.addIssue({
          code: 'custom',
          path: ['manifestFile'],
          message: "only meaningful together with 'manifest'",
        });
      }
    }),
  'container-start': z.strictObject({ id: appIdSchema, ...guardConfirmation }),
  'container-stop': z.strictObject({
    id: appIdSchema,
    cascade: z.boolean(expecting('true or false')).optional(),
  }),
  'container-restart': z.strictObject({ id: appIdSchema, ...guardConfirmation }),
  'container-remove': z.strictObject({
    id: appIdSchema,
    purge: z.boolean(expecting('true or false')).optional(),
    cascade: z.boolean(expecting('true or false')).optional(),
  }),
  'container-status': idOnly,
  'container-list': noParams,
  'container-logs': z.strictObject({
    id: appIdSchema,
    tail: logTailSchema.optional(),
    service: z.string().regex(SERVICE_NAME_PATTERN, 'a service name such as "db"').optional(),
    since: logTimeSchema.optional(),
    until: logTimeSchema.optional(),
  }),
  'container-health': idOnly,
  'manifest-lint': z.strictObject({ manifest: manifestText, manifestFile: manifestFileName.optional() }),
  'daemon-info': noParams,
  resources: noParams,
  'catalog-list': noParams,
  'catalog.status': noParams,
  'package.versions': idOnly,
  'package.install': z.strictObject({
    id: appIdSchema,
    version: versionText.optional(),
    from: absolutePath('the release tarball or its folder').optional(),
    network: bitcoinNetwork.optional(),
    prune: pruneGb.optional(),
    choices: providerChoices.optional(),
    ...guardConfirmation,
  }),
  'package.plan-install': z
    .strictObject({
      id: appIdSchema.optional(),
      manifest: manifestText.optional(),
      manifestFile: manifestFileName.optional(),
      version: versionText.optional(),
      choices: providerChoices.optional(),
    })
    .refine((params) => (params.id === undefined) !== (params.manifest === undefined), {
      message: "send 'id' (a bundled app) or 'manifest' (YAML text), not both",
    })
    .refine((params) => params.manifestFile === undefined || params.manifest !== undefined, {
      message: "'manifestFile' is only meaningful together with 'manifest'",
    }),
  'package.sbom': idOnly,
  'package.adopt': z.strictObject({
    id: appIdSchema,
    version: versionText.optional(),
    volumes: z.record(
      z.string().regex(/^[a-z0-9][a-z0-9-]*$/, { error: 'expected a volume name such as bitcoin' }),
      absolutePath('the host folder to adopt'),
    ),
    source: z.strictObject({
      kind: z.literal('parmanode'),
      home: absolutePath("the Parmanode user's home folder"),
      entry: z.string().min(1),
    }),
    network: bitcoinNetwork.optional(),
    prune: pruneGb.optional(),
    hostServices: z
      .array(z.strictObject({ kind: z.enum(['systemd', 'process']), name: z.string().min(1) }))
      .optional(),
    check: z.boolean(expecting('true or false')).optional(),
    ...guardConfirmation,
  }),
  'package.release': idOnly,
  'package.set-config': z
    .strictObject({
      id: appIdSchema,
      pinnedVersion: versionText.nullable().optional(),
      autoUpdate: z.boolean(expecting('true or false')).optional(),
      prune: pruneGb.optional(),
      confirmResync: z.string(expecting('the app id, typed to accept a full re-sync')).optional(),
      tor: z.enum(['tor', 'clearnet'], expecting("'tor', 'clearnet' or null")).nullable().optional(),
    })
    .refine(
      (params) =>
        params.pinnedVersion !== undefined ||
        params.autoUpdate !== undefined ||
        params.prune !== undefined ||
        params.tor !== undefined,
      {
        message:
          "send 'pinnedVersion' (a version, or null to unpin), 'autoUpdate' (true or false), 'prune' (GB, 0 for off) and/or 'tor' ('tor', 'clearnet' or null)",
      },
    ),
  'package.set-version': z.strictObject(setVersionParams),
  'package.update': idOnly,
  'package.switch-implementation': z.strictObject(switchParams),
  // The params of the call it plans, and which call that is.
  'package.plan-version-change': z.discriminatedUnion(
    'op',
    [
      z.strictObject({ op: z.literal('set-version'), ...setVersionParams }),
      z.strictObject({ op: z.literal('switch-implementation'), ...switchParams }),
    ],
    { error: "expected 'op': 'set-version' or 'switch-implementation', with that call's params" },
  ),
  'package.rotate-credentials': idOnly,
  'package.connection-info': z.strictObject({
    id: appIdSchema,
    reveal: z.boolean(expecting('true or false')).optional(),
    host: z
      .string(expecting('a host name or address such as "192.168.1.5"'))
      .regex(/^[A-Za-z0-9.:[\]-]{1,253}$/, expecting('a host name or address such as "192.168.1.5"'))
      .optional(),
  }),
  'web.setup-code': noParams,
  'web.set-password': z.strictObject({ password: z.string(expecting('the new password as a string')) }),
  'tor.onion-add': z.strictObject({ id: appIdSchema, port: onionPort, virtualPort: onionPort.optional() }),
  'tor.onion-remove': z.strictObject({ id: appIdSchema, port: onionPort }),
  'tor.status': noParams,
  'web.remote-access': z.strictObject({
    enabled: z.boolean(expecting('true (on) or false (off)')).optional(),
    newAddress: z.boolean(expecting('true or false')).optional(),
  }),
  'backup.init': z.strictObject({
    target: backupTarget,
    confirmKeySaved: z.boolean(expecting('true or false')).optional(),
    sameDisk: z.boolean(expecting('true or false')).optional(),
  }),
  'backup.confirm-key': z.strictObject({
    lastGroup: z.string(expecting("the key's last group as a string")),
  }),
  'backup.key-show': noParams,
  'backup.create': z.strictObject({
    apps: z.array(appIdSchema).optional(),
    target: backupTarget.optional(),
    includeChain: z.boolean(expecting('true or false')).optional(),
  }),
  'backup.list': z.strictObject({ target: backupTarget.optional() }),
  'backup.verify': z.strictObject({
    target: backupTarget.optional(),
    readData: z.boolean(expecting('true or false')).optional(),
  }),
  'backup.status': noParams,
  'backup.schedule': backupScheduleChange(),
  'backup.restore': restoreParams(),
  'backup.restore-plan': restoreParams(),
  'os.status': noParams,
  'os.update': z.strictObject({
    url: z.string(expecting("the bundle's URL (http://, https:// or file://) as a string")).min(1).max(4096),
    reboot: z.boolean(expecting('true or false')).optional(),
  }),
} satisfies { [M in RpcMethodName]: z.ZodType<RpcMethods[M]['params']> };

// `satisfies` above proves each schema's output fits the contract; this proves the reverse, so a
// param added to contract.ts without a schema fails the build instead of being rejected at run time.
type MutuallyAssignable<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type SchemasMatchContract = {
  [M in RpcMethodName]: MutuallyAssignable<z.output<(typeof rpcParamSchemas)[M]>, RpcMethods[M]['params']>;
};
const schemasMatchContract: SchemasMatchContract = {
  'container-install': true,
  'container-start': true,
  'container-stop': true,
  'container-restart': true,
  'container-remove': true,
  'container-status': true,
  'container-list': true,
  'container-logs': true,
  'container-health': true,
  'manifest-lint': true,
  'daemon-info': true,
  resources: true,
  'catalog-list': true,
  'catalog.status': true,
  'package.versions': true,
  'package.install': true,
  'package.plan-install': true,
  'package.sbom': true,
  'package.adopt': true,
  'package.release': true,
  'package.set-config': true,
  'package.set-version': true,
  'package.update': true,
  'package.switch-implementation': true,
  'package.plan-version-change': true,
  'package.rotate-credentials': true,
  'package.connection-info': true,
  'web.setup-code': true,
  'web.set-password': true,
  'tor.onion-add': true,
  'tor.onion-remove': true,
  'tor.status': true,
  'web.remote-access': true,
  'backup.init': true,
  'backup.confirm-key': true,
  'backup.key-show': true,
  'backup.create': true,
  'backup.list': true,
  'backup.verify': true,
  'backup.status': true,
  'backup.schedule': true,
  'backup.restore': true,
  'backup.restore-plan': true,
  'os.status': true,
  'os.update': true,
};
void schemasMatchContract;

/** `backup.schedule`'s params (README "Backups" → "Schedule"). */
function backupScheduleChange() {
  const keep = (what: string) =>
    z
      .number(expecting(`how many ${what} backups to keep (0: no such rule)`))
      .int({ error: `expected a whole number of ${what} backups` })
      .min(0, { error: `expected 0 or more ${what} backups` })
      .optional();
  return z.strictObject({
    every: z
      .number(expecting('minutes between backups, or null for daily'))
      .int({ error: 'expected a whole number of minutes' })
      .min(1, { error: 'expected at least 1 minute between backups' })
      .nullable()
      .optional(),
    at: z
      .string(expecting('a time of day as HH:MM'))
      .regex(/^([01]?\d|2[0-3]):[0-5]\d$/, { error: 'expected a time of day as HH:MM, e.g. 03:30' })
      .optional(),
    apps: z.array(appIdSchema).optional(),
    includeChain: z.boolean(expecting('true or false')).optional(),
    retention: z
      .strictObject({
        keepLast: keep('last'),
        keepDaily: keep('daily'),
        keepWeekly: keep('weekly'),
        keepMonthly: keep('monthly'),
      })
      .optional(),
    enabled: z.boolean(expecting('true or false')).optional(),
  });
}

/** `backup.restore` and its plan: a snapshot (or `latest`), apps, and a target and key a fresh node names. */
function restoreParams() {
  return z.strictObject({
    snapshot: z.string(expecting("a snapshot id or 'latest'")).regex(/^(latest|[0-9a-f]{4,64})$/, {
      error: "expected a snapshot id (hex, from 'archy backup list') or 'latest'",
    }),
    apps: z.array(appIdSchema).optional(),
    target: z.string(expecting('a backup target')).min(1).optional(),
    key: z.string(expecting('the backup key as a string')).min(1).max(1024).optional(),
  });
}
