// Property-based fuzzing of the manifest parser and the container policy: whatever text or
// manifest-shaped object comes in, the only failures are ArchyErrors (ManifestError, PolicyError),
// each judgement is quick, and anything accepted becomes a container that drops every
// capability, is never privileged, and mounts only folders inside the app's own data dir.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { parseManifest, type AppManifest } from '../../src/manifest/index.js';
import { buildContainerSpec } from '../../src/orchestrator/container-spec.js';
import { DataLayout } from '../../src/layout/index.js';
import { ALLOWED_CAPABILITIES, assertManifestAllowed } from '../../src/security/policy/index.js';
import { ArchyError } from '../../src/kernel/index.js';

const layout = new DataLayout('/srv/archy');
// A bound that catches runaway work (exponential aliases, quadratic scans) without flaking
// on a busy test machine.
const BOUND_MS = 2_000;
const RUNS = Number(process.env.ARCHY_FUZZ_RUNS ?? 300);

type Outcome = { accepted: AppManifest } | { refused: ArchyError };

/** Parse + policy, timed; anything thrown that is not an ArchyError fails the property. */
function judge(text: string): Outcome {
  const started = performance.now();
  try {
    const manifest = parseManifest(text, 'fuzz.yml');
    assertManifestAllowed(manifest, { file: 'fuzz.yml' });
    return { accepted: manifest };
  } catch (error) {
    if (!(error instanceof ArchyError)) {
      throw new Error(
        `a non-ArchyError escaped for ${JSON.stringify(text.slice(0, 200))}: ${String(error)}`,
        {
          cause: error,
        },
      );
    }
    return { refused: error };
  } finally {
    expect(performance.now() - started).toBeLessThan(BOUND_MS);
  }
}

/** The invariants of every accepted manifest's container. */
function expectHardened(manifest: AppManifest): void {
  const spec = buildContainerSpec(manifest, manifest.services[0]!, {
    layout,
    image: manifest.image,
    version: manifest.version,
  });
  expect(spec.cap_drop).toEqual(['ALL']);
  for (const cap of spec.cap_add ?? []) expect(ALLOWED_CAPABILITIES.has(cap)).toBe(true);
  expect(spec.no_new_privileges).toBe(true);
  expect(spec).not.toHaveProperty('privileged');
  expect(spec).not.toHaveProperty('seccomp_policy');
  expect(spec).not.toHaveProperty('seccomp_profile_path');
  expect(spec.netns).toEqual({ nsmode: 'bridge' });
  // Always numeric uid:gid, both from 1: never a name, a bare uid or any spelling of 0.
  expect(spec.user).toMatch(/^[1-9][0-9]*:[1-9][0-9]*$/);
  const appDir = `${layout.appDataDir(manifest.id)}/`;
  for (const mount of spec.mounts ?? []) {
    if (mount.Type === 'bind') {
      expect(mount.Source.startsWith(appDir)).toBe(true);
      expect(mount.Source.slice(appDir.length)).toMatch(/^[a-z0-9][a-z0-9._-]*$/);
      expect(mount.Source.slice(appDir.length)).not.toMatch(/^\.\.?$/);
    }
    expect(mount.Destination).toMatch(/^(\/[A-Za-z0-9._+-]+)+$/);
    expect(mount.Destination).not.toMatch(/^\/(proc|sys|dev)(\/|$)/);
  }
  for (const port of spec.portmappings ?? []) expect(port.host_port ?? 0).toBeGreaterThanOrEqual(1024);
}

// ---- arbitraries ----------------------------------------------------------------------------

const VALID_HEAD = {
  id: 'fuzz',
  name: 'Fuzz',
  version: '1.0.0',
  image: '127.0.0.1:5000/archy-test/fuzz:1.0.0',
};

/** Strings a hostile manifest might carry: paths, traversal, names, numbers-as-text, junk. */
const hostileString = fc.oneof(
  fc.constantFrom(
    '/data',
    '/tmp',
    '/run',
    '/',
    '..',
    '../../etc',
    '/data/../etc',
    '/proc/sys',
    '/sys/fs/cgroup',
    '/dev/sda',
    '/var/run/docker.sock',
    '/run/podman/podman.sock',
    '/etc',
    'root',
    '0',
    '0:0',
    '1000:1000',
    'ALL',
    'SYS_ADMIN',
    'CAP_NET_RAW',
    'CHOWN',
    'host',
    'true',
    '1E',
    '64M',
    '\u0000',
    'a\nb',
    '*',
    '@{PROC}',
    '/data/*',
    '/data dir',
  ),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
);

const hostileNumber = fc.oneof(
  fc.integer({ min: -2, max: 70_000 }),
  fc.constantFrom(0, 1, 80, 443, 1023, 1024, 65535, 65536, 1e12, 4_194_305, Number.MAX_SAFE_INTEGER),
  fc.double({ noNaN: true }),
);

const scalar = fc.oneof(hostileString, hostileNumber, fc.boolean(), fc.constant(null));

/** Values the way a manifest nests them, a few levels deep. */
const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalar,
    fc.array(tie('node'), { maxLength: 4 }),
    fc.dictionary(hostileString, tie('node'), { maxKeys: 4 }),
  ),
})).node;

const volume = fc.record(
  {
    mount: hostileString,
    name: fc.option(hostileString, { nil: undefined }),
    readOnly: fc.option(fc.boolean(), { nil: undefined }),
  },
  { requiredKeys: ['mount'] },
);

const manifestShaped = fc.record(
  {
    id: fc.oneof(fc.constant('fuzz'), hostileString),
    name: fc.oneof(fc.constant('Fuzz'), hostileString),
    version: fc.oneof(fc.constant('1.0.0'), hostileString, hostileNumber),
    image: fc.oneof(fc.constant(VALID_HEAD.image), hostileString),
    command: fc.oneof(fc.array(hostileString, { maxLength: 3 }), hostileString),
    env: fc.dictionary(hostileString, scalar, { maxKeys: 3 }),
    ports: fc.array(fc.record({ container: hostileNumber, host: hostileNumber }), { maxLength: 3 }),
    volumes: fc.array(volume, { maxLength: 3 }),
    resources: fc.record(
      { memory: fc.oneof(hostileString, hostileNumber), cpus: hostileNumber, pids: hostileNumber },
      { requiredKeys: [] },
    ),
    security: fc.record(
      {
        capAdd: fc.array(hostileString, { maxLength: 3 }),
        user: hostileString,
        tmpfs: fc.array(hostileString, { maxLength: 3 }),
        readOnlyRootfs: fc.oneof(fc.boolean(), hostileString),
        noNewPrivileges: fc.oneof(fc.boolean(), hostileString),
        privileged: fc.boolean(),
      },
      { requiredKeys: [] },
    ),
    privileged: fc.boolean(),
    network: fc.constantFrom('host', 'bridge', 'none'),
    devices: fc.array(hostileString, { maxLength: 2 }),
    extra: value,
  },
  { requiredKeys: ['id', 'name', 'version', 'image'] },
);

/** Mostly-valid manifests with one part varied: these reach the policy and the spec. */
const nearlyValid = fc
  .record(
    {
      ports: fc.array(
        fc.record({
          container: fc.integer({ min: 1, max: 65535 }),
          host: fc.integer({ min: 1, max: 65535 }),
        }),
        {
          maxLength: 2,
        },
      ),
      volumes: fc.uniqueArray(
        fc.record({ mount: fc.oneof(hostileString, fc.constantFrom('/data', '/config', '/var/lib/app')) }),
        {
          maxLength: 3,
          selector: (v) => v.mount,
        },
      ),
      security: fc.record(
        {
          capAdd: fc.array(fc.constantFrom(...ALLOWED_CAPABILITIES, 'SYS_ADMIN', 'NET_RAW', 'ALL', 'BOGUS'), {
            maxLength: 3,
          }),
          user: fc.constantFrom(
            '1000:1000',
            '65534',
            'bitcoin',
            'root',
            '0',
            '1000:0',
            '00',
            '0000',
            '1000:00',
            '+0',
            '0x0',
            ' 0',
            '-1',
            '4294967296',
            'toor',
          ),
          tmpfs: fc.uniqueArray(fc.oneof(hostileString, fc.constantFrom('/cache', '/tmp')), { maxLength: 2 }),
          readOnlyRootfs: fc.boolean(),
          noNewPrivileges: fc.boolean(),
        },
        { requiredKeys: [] },
      ),
      resources: fc.record(
        {
          memory: fc.constantFrom('64M', '1G', 6 * 1024 * 1024),
          pids: fc.integer({ min: 1, max: 5_000_000 }),
        },
        { requiredKeys: [] },
      ),
    },
    { requiredKeys: [] },
  )
  .map((parts) => ({ ...VALID_HEAD, ...parts }));

/** YAML-ish text: fragments of real syntax (anchors, aliases, flow, tags, indentation) shuffled. */
const yamlish = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        'id: fuzz\n',
        'name: Fuzz\n',
        'version: "1.0.0"\n',
        'image: 127.0.0.1:5000/archy-test/fuzz:1.0.0\n',
        'volumes:\n',
        '  - mount: /data\n',
        '  - mount: ../etc\n',
        'security:\n',
        '  capAdd: [SYS_ADMIN]\n',
        '  user: root\n',
        'privileged: true\n',
        '&a ',
        '*a ',
        '&b [*a, *a, *a, *a]\n',
        '<<: *a\n',
        '!!binary ',
        '!custom ',
        '---\n',
        '...\n',
        '? ',
        ': ',
        '- ',
        '[',
        ']',
        '{',
        '}',
        ',',
        '"',
        "'",
        '|\n',
        '>\n',
        '#',
        '%YAML 1.1\n',
        '\t',
        '  ',
        '\n',
      ),
      fc.string({ maxLength: 12 }),
    ),
    { maxLength: 40 },
  )
  .map((parts) => parts.join(''));

// ---- properties -----------------------------------------------------------------------------

describe('fuzzing the manifest parser and the container policy', () => {
  it('arbitrary text never crashes the parser', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ maxLength: 400 }), fc.string({ unit: 'binary', maxLength: 400 })),
        (text) => {
          judge(text);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('YAML-ish text (anchors, aliases, tags, flow, documents) never crashes and is judged quickly', () => {
    fc.assert(
      fc.property(yamlish, (text) => {
        const outcome = judge(text);
        if ('accepted' in outcome) expectHardened(outcome.accepted);
      }),
      { numRuns: RUNS },
    );
  });

  it('manifest-shaped objects, as YAML and as JSON, only ever yield ArchyErrors or hardened specs', () => {
    fc.assert(
      fc.property(manifestShaped, fc.boolean(), (object, asJson) => {
        const text = asJson ? JSON.stringify(object) : stringify(object);
        const outcome = judge(text);
        if ('accepted' in outcome) expectHardened(outcome.accepted);
      }),
      { numRuns: RUNS },
    );
  });

  it('nearly valid manifests that pass the policy become hardened containers', () => {
    let accepted = 0;
    fc.assert(
      fc.property(nearlyValid, (object) => {
        const outcome = judge(stringify(object));
        if ('accepted' in outcome) {
          accepted += 1;
          expectHardened(outcome.accepted);
        }
      }),
      { numRuns: RUNS },
    );
    // The generator is meant to reach the spec builder, not only the refusals.
    expect(accepted).toBeGreaterThan(0);
  });
});
