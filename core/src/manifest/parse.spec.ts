import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArchyError, RpcErrorCode } from '../kernel/index.js';
import { formatIssues, loadManifestFile, ManifestError, parseManifest, type ManifestIssue } from './index.js';

const FILE = 'demo.yml';

/** A valid manifest's first four lines; tests append from line 5. */
const BASE = ['id: demo', 'name: Demo', 'version: "1.0.0"', 'image: 127.0.0.1:5000/apps/demo:1.0.0'];
const withBase = (...lines: string[]): string => [...BASE, ...lines].join('\n') + '\n';
const lines = (...all: string[]): string => all.join('\n') + '\n';

function refusal(text: string): ManifestError {
  try {
    parseManifest(text, FILE);
  } catch (error) {
    if (error instanceof ManifestError) return error;
    throw error;
  }
  throw new Error('expected the manifest to be refused');
}

/** The issue list without the file name, for exact comparison. */
const issuesOf = (text: string): Omit<ManifestIssue, 'file'>[] =>
  refusal(text).issues.map(({ file, ...rest }) => {
    expect(file).toBe(FILE);
    return rest;
  });

// The example in ARCHITECTURE.md's external contract, verbatim.
const CONTRACT_EXAMPLE = `id: hello                      # ^[a-z0-9][a-z0-9-]{0,62}$
name: Hello
version: "1.0.0"
image: 127.0.0.1:5000/apps/hello:1.0.0
command: ["/bin/sh", "-c", "exec httpd -f -p 8080 -h /www"]
env: { KEY: value }
ports:
  - container: 8080
    host: 18080
volumes:
  - mount: /data               # backed by DATA_DIR/hello/...
resources: { memory: 64M }
health:
  http: { port: 8080, path: / }   # or tcp: { port }, or exec: { command: [...] }
`;

/** The container fields of the contract example: the top level's and its one service's. */
const CONTRACT_EXAMPLE_CONTAINER = {
  image: '127.0.0.1:5000/apps/hello:1.0.0',
  command: ['/bin/sh', '-c', 'exec httpd -f -p 8080 -h /www'],
  env: { KEY: 'value' },
  ports: [{ container: 8080, host: 18080, protocol: 'tcp', expose: 'lan' }],
  volumes: [{ mount: '/data', name: 'data', readOnly: false }],
  resources: { memory: 64 * 1024 * 1024 },
  security: { capAdd: [], readOnlyRootfs: true, tmpfs: [], noNewPrivileges: true },
  health: {
    http: { port: 8080, path: '/' },
    interval: 10_000,
    timeout: 5_000,
    startPeriod: 30_000,
    retries: 3,
  },
  stopTimeout: 30_000,
};

// Exactly what the contract example parsed to before services existed, plus its one service.
const CONTRACT_EXAMPLE_NORMALIZED = {
  id: 'hello',
  name: 'Hello',
  version: '1.0.0',
  category: 'other',
  image: '127.0.0.1:5000/apps/hello:1.0.0',
  command: ['/bin/sh', '-c', 'exec httpd -f -p 8080 -h /www'],
  env: { KEY: 'value' },
  ports: [{ container: 8080, host: 18080, protocol: 'tcp', expose: 'lan' }],
  volumes: [{ mount: '/data', name: 'data', readOnly: false }],
  resources: { memory: 64 * 1024 * 1024 },
  dependencies: [],
  provides: [],
  conflicts: [],
  security: { capAdd: [], readOnlyRootfs: true, tmpfs: [], noNewPrivileges: true },
  health: {
    http: { port: 8080, path: '/' },
    interval: 10_000,
    timeout: 5_000,
    startPeriod: 30_000,
    retries: 3,
  },
  stopTimeout: 30_000,
  services: [{ name: 'main', ...CONTRACT_EXAMPLE_CONTAINER, dependsOn: [], uses: [] }],
  main: 'main',
};

describe('parseManifest: valid manifests', () => {
  it('reads the contract example into exact normalized values', () => {
    expect(parseManifest(CONTRACT_EXAMPLE, 'hello.yml')).toStrictEqual(CONTRACT_EXAMPLE_NORMALIZED);
  });

  it('loads apps/hello/manifest.yml: the contract example plus display fields, its image built here', async () => {
    const path = fileURLToPath(new URL('../../../apps/hello/manifest.yml', import.meta.url));
    const manifest = await loadManifestFile(path);
    const built = {
      image: 'localhost/archipelago/hello:1.0.0',
      build: {
        base: 'busybox',
        applets: ['sh', 'httpd', 'cat', 'echo', 'ls', 'sleep'],
        files: [{ from: 'www', to: '/www' }],
      },
    };
    expect(manifest).toStrictEqual({
      ...CONTRACT_EXAMPLE_NORMALIZED,
      description: expect.any(String),
      ...built,
      services: [{ ...CONTRACT_EXAMPLE_NORMALIZED.services[0], ...built }],
    });
  });

  it('refuses a build: recipe whose image is not a local name, and paths that leave the app folder', () => {
    const refused = (lines: string[]) => {
      try {
        parseManifest(withBase(...lines), 'manifest.yml');
      } catch (error) {
        return (error as Error).message;
      }
      return 'accepted';
    };
    expect(refused(['build: { base: busybox, files: [{ from: www, to: /www }] }'])).toContain(
      'an image this node builds (build:) is named localhost/<name>:<tag>',
    );
    expect(
      refused(['build: { base: busybox, files: [{ from: ../../etc, to: /www }] }']).replace(/\s+/g, ' '),
    ).toContain("must be a path inside the app's folder");
    expect(refused(['build: { base: alpine }'])).toContain('busybox');
  });

  it('normalizes every optional section', () => {
    const manifest = parseManifest(
      withBase(
        'category: bitcoin',
        'homepage: https://bitcoincore.org',
        'entrypoint: [/usr/bin/tini, --]',
        'env: { PORT: 8332, DEBUG: true, RATIO: 0.5, NAME: node }',
        'ports:',
        '  - { container: 8332, host: 8332, expose: local }',
        '  - { container: 8333, host: 8333, protocol: udp }',
        'volumes:',
        '  - mount: /var/lib/bitcoin',
        '  - { mount: /config, name: conf.d, readOnly: true }',
        'resources: { memory: 2G, memoryReservation: 512Mi, cpus: 1.5, pids: 256, minDisk: 1T }',
        'dependencies:',
        '  - id: bitcoin-node',
        '    version: ">=27.0"',
        '    requires: healthy',
        '  - id: tor',
        'provides: [bitcoin-node]',
        'conflicts: [bitcoin-knots]',
        'security:',
        '  capAdd: [CAP_NET_BIND_SERVICE, CHOWN]',
        '  readOnlyRootfs: false',
        '  user: "1000:1000"',
        '  tmpfs: [/tmp]',
        'health:',
        '  exec: { command: [bitcoin-cli, getblockchaininfo] }',
        '  interval: 1m',
        '  timeout: 500ms',
        '  startPeriod: 0',
        '  retries: 5',
        'stopTimeout: 600',
        'bitcoin: { implementation: knots, rpcPort: 8332, datadir: /var/lib/bitcoin }',
      ),
      FILE,
    );
    expect(manifest).toMatchObject({
      category: 'bitcoin',
      homepage: 'https://bitcoincore.org',
      entrypoint: ['/usr/bin/tini', '--'],
      env: { PORT: '8332', DEBUG: 'true', RATIO: '0.5', NAME: 'node' },
      ports: [
        { container: 8332, host: 8332, protocol: 'tcp', expose: 'local' },
        { container: 8333, host: 8333, protocol: 'udp', expose: 'lan' },
      ],
      volumes: [
        { mount: '/var/lib/bitcoin', name: 'var-lib-bitcoin', readOnly: false },
        { mount: '/config', name: 'conf.d', readOnly: true },
      ],
      resources: {
        memory: 2 * 1024 ** 3,
        memoryReservation: 512 * 1024 ** 2,
        cpus: 1.5,
        pids: 256,
        minDisk: 1024 ** 4,
      },
      dependencies: [
        { id: 'bitcoin-node', version: '>=27.0', requires: 'healthy' },
        { id: 'tor', requires: 'running' },
      ],
      provides: ['bitcoin-node'],
      conflicts: ['bitcoin-knots'],
      security: {
        capAdd: ['NET_BIND_SERVICE', 'CHOWN'],
        readOnlyRootfs: false,
        user: '1000:1000',
        tmpfs: ['/tmp'],
        noNewPrivileges: true,
      },
      health: {
        exec: { command: ['bitcoin-cli', 'getblockchaininfo'] },
        interval: 60_000,
        timeout: 500,
        startPeriod: 0,
        retries: 5,
      },
      stopTimeout: 600_000,
      bitcoin: { implementation: 'knots', network: 'mainnet', rpcPort: 8332, datadir: '/var/lib/bitcoin' },
    });
  });

  it('accepts the longest id and a digest-pinned image', () => {
    const id = 'a'.repeat(63);
    const image = `127.0.0.1:5000/apps/demo@sha256:${'0'.repeat(64)}`;
    const manifest = parseManifest(lines(`id: ${id}`, 'name: Demo', 'version: "2"', `image: ${image}`), FILE);
    expect(manifest).toMatchObject({ id, image, version: '2' });
  });

  it('allows the same host port once per protocol', () => {
    const manifest = parseManifest(
      withBase(
        'ports:',
        '  - { container: 53, host: 5353 }',
        '  - { container: 53, host: 5353, protocol: udp }',
      ),
      FILE,
    );
    expect(manifest.ports).toHaveLength(2);
  });
});

describe('parseManifest: the ManifestError', () => {
  it('is an ArchyError with the invalid-manifest code and the issues as data', () => {
    const error = refusal(withBase('helth: {}'));
    expect(error).toBeInstanceOf(ArchyError);
    expect(error.code).toBe(RpcErrorCode.InvalidManifest);
    expect(error.data).toEqual({ issues: error.issues });
  });

  it('says the first issue in one line, with a count of the rest', () => {
    const text = withBase('ports:', '  - container: 8080', '    host: abc', 'helth: {}', 'stopTimeout: soon');
    const error = refusal(text);
    expect(error.message).toBe(
      'demo.yml:7:11: ports[0].host: expected an integer from 1 to 65535, got "abc" (+2 more)',
    );
    expect(formatIssues(error.issues).split('\n')).toEqual([
      'demo.yml:7:11: ports[0].host: expected an integer from 1 to 65535, got "abc"',
      "demo.yml:8:1: helth: unknown key 'helth' (did you mean 'health'?)",
      'demo.yml:9:14: stopTimeout: expected a duration such as "500ms", "10s", "2m", "1h" or a number of seconds, got "soon"',
    ]);
  });

  it('has no count when there is a single issue', () => {
    expect(refusal(withBase('helth: {}')).message).toBe(
      "demo.yml:5:1: helth: unknown key 'helth' (did you mean 'health'?)",
    );
  });
});

describe('parseManifest: unknown keys', () => {
  it('points at the key and suggests the nearest one', () => {
    expect(issuesOf(withBase('helth:', '  http: { port: 8080 }'))).toEqual([
      { line: 5, col: 1, path: 'helth', message: "unknown key 'helth'", suggestion: 'health' },
    ]);
  });

  it("lets a misspelt key explain the field it leaves missing: `imgae` → 'image'", () => {
    const error = refusal(lines('id: demo', 'name: Demo', 'version: "1.0.0"', 'imgae: busybox:1.36'));
    expect(error.message).toBe("demo.yml:4:1: imgae: unknown key 'imgae' (did you mean 'image'?)");
    expect(error.issues).toHaveLength(1);
  });

  it('suggests keys of nested mappings from that level', () => {
    expect(issuesOf(withBase('ports:', '  - container: 8080', '    hots: 18080'))).toEqual([
      { line: 7, col: 5, path: 'ports[0].hots', message: "unknown key 'hots'", suggestion: 'host' },
    ]);
  });

  it('lists the allowed keys when nothing is close', () => {
    expect(issuesOf(withBase('resources: { ram: 1G }'))).toEqual([
      {
        line: 5,
        col: 14,
        path: 'resources.ram',
        message: "unknown key 'ram'; allowed here: memory, memoryReservation, cpus, pids, minDisk",
      },
    ]);
  });

  it.each([
    ['privileged: true', 'privileged', 'apps never run privileged'],
    ['network: host', 'network', 'own isolated network'],
    ['devices: [/dev/sda]', 'devices', 'host devices'],
    ['cap_add: [SYS_ADMIN]', 'cap_add', undefined],
  ])('refuses the hostile field %j as unknown', (line, key, reason) => {
    const [issue] = issuesOf(withBase(line));
    expect(issue).toMatchObject({ line: 5, col: 1, path: key });
    if (reason !== undefined) expect(issue!.message).toContain(reason);
  });

  it('refuses host paths and privileges hidden in nested mappings', () => {
    expect(
      issuesOf(withBase('volumes:', '  - { mount: /data, source: /etc }', 'security: { privileged: true }')),
    ).toEqual([
      {
        line: 6,
        col: 21,
        path: 'volumes[0].source',
        message:
          "unknown key 'source': a volume is always stored in DATA_DIR/<app-id>/<name>; a manifest cannot name a host path",
      },
      {
        line: 7,
        col: 13,
        path: 'security.privileged',
        message: "unknown key 'privileged': apps never run privileged",
      },
    ]);
  });
});

describe('parseManifest: missing and empty values', () => {
  it('points a missing top-level key at the document', () => {
    expect(issuesOf(lines('name: Demo', 'version: "1.0.0"', 'image: busybox:1.36'))).toEqual([
      {
        line: 1,
        col: 1,
        path: 'id',
        message:
          'is required: add an id of 1-63 lowercase letters, digits and "-", starting with a letter or digit (e.g. "bitcoin-core")',
      },
    ]);
  });

  it('points a missing nested key at the mapping it belongs in', () => {
    expect(issuesOf(withBase('ports:', '  - container: 8080'))).toEqual([
      { line: 6, col: 5, path: 'ports[0].host', message: 'is required: add an integer from 1 to 65535' },
    ]);
  });

  it('points an empty value at its key', () => {
    expect(issuesOf(withBase('description:'))).toEqual([
      { line: 5, col: 1, path: 'description', message: 'expected text, got an empty value' },
    ]);
  });
});

describe('parseManifest: ids, versions and images', () => {
  it.each(['../etc', 'Hello', 'a/b', 'a'.repeat(64), '-abc', 'hello.world', '""'])(
    'refuses the id %s',
    (id) => {
      const [issue, ...rest] = issuesOf(
        lines(`id: ${id}`, 'name: Demo', 'version: "1.0.0"', 'image: busybox:1.36'),
      );
      expect(rest).toEqual([]);
      expect(issue).toMatchObject({ line: 1, col: 5, path: 'id' });
      expect(issue!.message).toMatch(/^expected an id of 1-63 lowercase letters.*, got "/);
    },
  );

  it.each(['latest', 'stable', 'edge', 'nightly', 'master', 'main'])(
    'refuses the floating image tag %s',
    (tag) => {
      expect(issuesOf(lines('id: demo', 'name: Demo', 'version: "1.0.0"', `image: busybox:${tag}`))).toEqual([
        {
          line: 4,
          col: 8,
          path: 'image',
          message: `"busybox:${tag}" uses the floating tag '${tag}'; pin a real version such as ":1.2.3" or a digest`,
        },
      ]);
    },
  );

  it('refuses an image with neither tag nor digest', () => {
    expect(issuesOf(lines('id: demo', 'name: Demo', 'version: "1.0.0"', 'image: busybox'))[0]).toMatchObject({
      line: 4,
      col: 8,
      path: 'image',
      message: '"busybox" has no tag or digest; pin a version such as ":1.2.3" or "@sha256:<digest>"',
    });
  });

  it.each(['latest', 'main', 'Nightly'])('refuses the floating version %s', (version) => {
    const [issue] = issuesOf(lines('id: demo', 'name: Demo', `version: "${version}"`, 'image: busybox:1.36'));
    expect(issue).toMatchObject({ line: 3, col: 10, path: 'version' });
    expect(issue!.message).toContain('pin a real version such as "1.0.0"');
  });

  it('explains that an unquoted version is a number', () => {
    expect(issuesOf(lines('id: demo', 'name: Demo', 'version: 1.0', 'image: busybox:1.36'))).toEqual([
      {
        line: 3,
        col: 10,
        path: 'version',
        message:
          'expected a version in quotes, such as "1.0.0", got the number 1: YAML reads an unquoted version as a number, so quote it',
      },
    ]);
  });

  it('lists the allowed values of an enum and suggests the nearest', () => {
    expect(issuesOf(withBase('category: lightnin'))).toEqual([
      {
        line: 5,
        col: 11,
        path: 'category',
        message: `expected one of 'bitcoin', 'lightning', 'web5', 'mesh', 'self-hosted', 'other'; got "lightnin"`,
        suggestion: 'lightning',
      },
    ]);
  });
});

describe('parseManifest: other fields', () => {
  it.each([
    [
      'homepage: ftp://example.org',
      'homepage',
      11,
      'expected an http(s) URL such as "https://example.org", got "ftp://example.org"',
    ],
    ['env: { EMPTY: }', 'env.EMPTY', 8, 'expected a string, number or true/false, got an empty value'],
    // A missing key points at the mapping it belongs in.
    [
      'bitcoin: { network: regtest }',
      'bitcoin.implementation',
      10,
      "is required: add one of 'core', 'knots'",
    ],
    [
      'command: exec httpd',
      'command',
      10,
      'expected a list of strings such as ["/bin/sh", "-c", "exec httpd"], got "exec httpd"',
    ],
    [
      'command: []',
      'command',
      10,
      'must list at least the program to run; remove the key to use the image default',
    ],
    [
      'security: { readOnlyRootfs: yes }',
      'security.readOnlyRootfs',
      29,
      'expected true or false, got "yes" (YAML 1.2 reads it as text)',
    ],
    [
      'security: { capAdd: [net_admin] }',
      'security.capAdd[0]',
      22,
      'expected an uppercase capability name such as NET_BIND_SERVICE, got "net_admin"',
    ],
    [
      'security: { tmpfs: [tmp] }',
      'security.tmpfs[0]',
      21,
      'expected an absolute container path such as "/data", got "tmp"',
    ],
    ['stopTimeout: 2d', 'stopTimeout', 14, expect.stringContaining('got "2d"')],
  ])('refuses %j', (line, path, col, message) => {
    expect(issuesOf(withBase(line))).toEqual([{ line: 5, col, path, message }]);
  });

  it('refuses a name over 80 characters', () => {
    expect(issuesOf(lines('id: demo', `name: ${'n'.repeat(81)}`, 'version: "1"', 'image: a/b:1'))).toEqual([
      {
        line: 2,
        col: 7,
        path: 'name',
        message: `expected a name of 1-80 characters, got "${'n'.repeat(57)}..."`,
      },
    ]);
  });

  it('suggests the nearest network', () => {
    expect(issuesOf(withBase('lightning: { implementation: lnd, network: testnet3 }'))).toEqual([
      {
        line: 5,
        col: 44,
        path: 'lightning.network',
        message: `expected one of 'mainnet', 'testnet', 'testnet4', 'signet', 'regtest'; got "testnet3"`,
        suggestion: 'testnet',
      },
    ]);
  });
});

describe('parseManifest: ports', () => {
  it.each([
    ['abc', '"abc"'],
    ['0', '0'],
    ['65536', '65536'],
    ['80.5', '80.5'],
    ['"8080"', '"8080"'],
  ])('refuses the host port %s', (value, shown) => {
    expect(issuesOf(withBase('ports:', '  - container: 8080', `    host: ${value}`))).toEqual([
      {
        line: 7,
        col: 11,
        path: 'ports[0].host',
        message: `expected an integer from 1 to 65535, got ${shown}`,
      },
    ]);
  });

  it('refuses a host port published twice, at the second one', () => {
    expect(
      issuesOf(
        withBase('ports:', '  - { container: 80, host: 18080 }', '  - { container: 81, host: 18080 }'),
      ),
    ).toEqual([
      {
        line: 7,
        col: 28,
        path: 'ports[1].host',
        message: 'host port 18080/tcp is already published by ports[0]; choose another host port',
      },
    ]);
  });

  it('refuses an unknown protocol', () => {
    expect(issuesOf(withBase('ports: [{ container: 1, host: 2, protocol: sctp }]'))[0]).toMatchObject({
      line: 5,
      col: 44,
      path: 'ports[0].protocol',
      message: `expected one of 'tcp', 'udp'; got "sctp"`,
    });
  });
});

describe('parseManifest: volumes', () => {
  it.each([
    ['data', 'expected an absolute container path such as "/data", got "data"'],
    ['./data', 'expected an absolute container path such as "/data", got "./data"'],
    ['/data/../etc', '"." and ".." segments are not allowed in a container path, got "/data/../etc"'],
    ['/..', '"." and ".." segments are not allowed in a container path, got "/.."'],
    ['/', 'expected a folder below "/", got "/"'],
    [
      '/data//x',
      'expected an absolute container path such as "/data" without empty segments or a trailing "/", got "/data//x"',
    ],
  ])('refuses the mount %s', (mount, message) => {
    expect(issuesOf(withBase('volumes:', `  - mount: ${mount}`))).toEqual([
      { line: 6, col: 12, path: 'volumes[0].mount', message },
    ]);
  });

  it('refuses a path mounted twice', () => {
    expect(issuesOf(withBase('volumes:', '  - mount: /data', '  - mount: /data'))).toEqual([
      {
        line: 7,
        col: 12,
        path: 'volumes[1].mount',
        message: '"/data" is already mounted by volumes[0]; mount each path once',
      },
    ]);
  });

  it('refuses two volumes that end up with the same name', () => {
    expect(issuesOf(withBase('volumes:', '  - mount: /var/lib-x', '  - mount: /var-lib/x'))).toEqual([
      {
        line: 7,
        col: 5,
        path: 'volumes[1].name',
        message: "volume name 'var-lib-x' is already used by volumes[0]; give each volume its own name:",
      },
    ]);
  });

  it('asks for a name when the mount cannot give one', () => {
    expect(issuesOf(withBase('volumes:', '  - mount: /.hidden'))).toEqual([
      {
        line: 6,
        col: 12,
        path: 'volumes[0].mount',
        message:
          'cannot derive a volume name from "/.hidden"; add name: with 1-63 lowercase letters, digits, ".", "_" or "-", starting with a letter or digit',
      },
    ]);
  });

  it('keeps a seed folder of the manifest folder, and leaves seed out when not given', () => {
    const manifest = parseManifest(
      withBase('volumes:', '  - { mount: /data, seed: seed/data }', '  - mount: /cache'),
      FILE,
    );
    expect(manifest.volumes).toEqual([
      { mount: '/data', name: 'data', readOnly: false, seed: 'seed/data' },
      { mount: '/cache', name: 'cache', readOnly: false },
    ]);
  });

  it.each(['/etc', '../other', 'seed/../../x', 'seed//data', ''])('refuses the seed %j', (seed) => {
    expect(issuesOf(withBase('volumes:', `  - { mount: /data, seed: ${JSON.stringify(seed)} }`))).toEqual([
      expect.objectContaining({
        path: 'volumes[0].seed',
        message: `'${seed}' must be a path inside the app's folder (relative, no '..', no empty parts)`,
      }),
    ]);
  });

  it('refuses a volume name that could escape the app folder', () => {
    expect(issuesOf(withBase('volumes:', '  - { mount: /data, name: ../x }'))[0]).toMatchObject({
      line: 6,
      col: 27,
      path: 'volumes[0].name',
    });
  });
});

describe('parseManifest: resources, durations, health', () => {
  it.each([
    ['64X', '"64X"'],
    ['"-1M"', '"-1M"'],
    ['0', '0'],
  ])('refuses the size %s', (size, shown) => {
    expect(issuesOf(withBase(`resources: { memory: ${size} }`))).toEqual([
      {
        line: 5,
        col: 22,
        path: 'resources.memory',
        message: `expected a size such as "64M", "512Mi", "2G" or a number of bytes, got ${shown}`,
      },
    ]);
  });

  it('refuses a memory limit Podman would refuse', () => {
    expect(issuesOf(withBase('resources: { memory: 64 }'))[0]).toMatchObject({
      line: 5,
      col: 22,
      path: 'resources.memory',
      message: `64 bytes is below Podman's minimum memory limit of 6M; write a unit, e.g. "64M"`,
    });
  });

  it('refuses a reservation above the limit', () => {
    expect(issuesOf(withBase('resources:', '  memory: 64M', '  memoryReservation: 1G'))).toEqual([
      {
        line: 7,
        col: 22,
        path: 'resources.memoryReservation',
        message: 'the reservation (1G) is larger than the memory limit (64M); lower it or raise memory',
      },
    ]);
  });

  it('refuses a bad duration', () => {
    expect(issuesOf(withBase('health:', '  tcp: { port: 80 }', '  interval: 10 parsecs'))).toEqual([
      {
        line: 7,
        col: 13,
        path: 'health.interval',
        message:
          'expected a duration such as "500ms", "10s", "2m", "1h" or a number of seconds, got "10 parsecs"',
      },
    ]);
  });

  it('refuses two probe kinds at once, at the second', () => {
    expect(issuesOf(withBase('health:', '  http: { port: 8080 }', '  tcp: { port: 8080 }'))).toEqual([
      { line: 7, col: 3, path: 'health.tcp', message: "has both 'http' and 'tcp'; keep exactly one probe" },
    ]);
  });

  it('refuses a health block without a probe', () => {
    expect(issuesOf(withBase('health:', '  interval: 5s'))).toEqual([
      { line: 6, col: 3, path: 'health', message: 'needs one probe: add http:, tcp:, exec: or bitcoin:' },
    ]);
  });

  it('refuses the bitcoin probe on an app without a bitcoin block, at the probe', () => {
    expect(issuesOf(withBase('health:', '  bitcoin: {}'))).toEqual([
      {
        line: 6,
        col: 3,
        path: 'health.bitcoin',
        message:
          'the bitcoin probe asks the node over RPC and needs a bitcoin: block (implementation, network, datadir); add one or use an exec: probe',
      },
    ]);
  });

  it('accepts the bitcoin probe beside a bitcoin block', () => {
    const manifest = parseManifest(
      withBase('health:', '  bitcoin: {}', 'bitcoin:', '  implementation: knots', '  network: signet'),
      'demo.yml',
    );
    expect(manifest.health?.bitcoin).toEqual({});
    expect(manifest.bitcoin).toMatchObject({ implementation: 'knots', network: 'signet' });
  });

  it('refuses an http path without a leading slash', () => {
    expect(issuesOf(withBase('health: { http: { port: 80, path: healthz } }'))[0]).toMatchObject({
      line: 5,
      col: 35,
      path: 'health.http.path',
      message: 'expected a URL path starting with "/", got "healthz"',
    });
  });
});

describe('parseManifest: relations between apps', () => {
  it('refuses a dependency on itself', () => {
    expect(issuesOf(withBase('dependencies:', '  - id: demo'))).toEqual([
      {
        line: 6,
        col: 9,
        path: 'dependencies[0].id',
        message: "an app cannot depend on itself ('demo'); remove this dependency",
      },
    ]);
  });

  it('refuses a conflict with itself', () => {
    expect(issuesOf(withBase('conflicts: [other, demo]'))).toEqual([
      {
        line: 5,
        col: 20,
        path: 'conflicts[1]',
        message: "an app cannot conflict with itself ('demo'); remove it from conflicts",
      },
    ]);
  });

  it('refuses an invalid version range', () => {
    expect(issuesOf(withBase('dependencies: [{ id: lnd, version: "newest" }]'))).toEqual([
      {
        line: 5,
        col: 36,
        path: 'dependencies[0].version',
        message: 'expected a semver range such as ">=0.18.0" or "^28.0", got "newest"',
      },
    ]);
  });

  it('refuses an invalid environment variable name, at the name', () => {
    expect(issuesOf(withBase('env:', '  1BAD: x'))).toEqual([
      {
        line: 6,
        col: 3,
        path: 'env["1BAD"]',
        message:
          '"1BAD" is not a valid environment variable name: use letters, digits and "_", not starting with a digit',
      },
    ]);
  });
});

describe('parseManifest: YAML itself', () => {
  it('reports a syntax error at its line and column', () => {
    expect(issuesOf(lines('id: demo', 'name: [Demo', 'version: "1.0.0"'))).toEqual([
      {
        line: 3,
        col: 1,
        path: '',
        message:
          'invalid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]',
      },
    ]);
  });

  it('reports tab indentation', () => {
    expect(issuesOf(lines('id: demo', 'ports:', '\t- container: 1'))[0]).toMatchObject({
      line: 3,
      col: 1,
      message: 'invalid YAML: Tabs are not allowed as indentation',
    });
  });

  it('refuses duplicate keys, at the second', () => {
    expect(issuesOf(withBase('name: Again'))).toEqual([
      { line: 5, col: 1, path: '', message: "duplicate key 'name'; a key may appear only once in a mapping" },
    ]);
    expect(issuesOf(withBase('resources: { memory: 64M, memory: 1G }'))[0]).toMatchObject({
      line: 5,
      col: 27,
    });
  });

  it('refuses more than one document, at the second', () => {
    expect(issuesOf(withBase('---', 'id: other'))).toEqual([
      {
        line: 5,
        col: 1,
        path: '',
        message:
          "a manifest is one YAML document, but this file has 2; remove the '---' separator and what follows",
      },
    ]);
  });

  it('accepts a single document that starts with ---', () => {
    expect(parseManifest(['---', ...BASE].join('\n'), FILE).id).toBe('demo');
  });

  it.each([
    ['- id: demo\n', 1, 1, 'a list'],
    ['"just text"\n', 1, 1, 'a single value'],
  ])('refuses a top level that is not a mapping: %j', (text, line, col, found) => {
    expect(issuesOf(text)).toEqual([
      {
        line,
        col,
        path: '',
        message: `the top level must be a mapping of fields (id:, name:, image: ...), found ${found}`,
      },
    ]);
  });

  it.each(['', '# nothing here\n'])('refuses an empty manifest %j', (text) => {
    expect(issuesOf(text)[0]!.message).toBe(
      'the manifest is empty; it needs at least id, name, version and image',
    );
  });

  it('refuses custom tags', () => {
    expect(issuesOf(withBase('description: !secret foo'))).toEqual([
      {
        line: 5,
        col: 14,
        path: '',
        message: "unsupported YAML tag '!secret'; manifests use plain values, remove the tag",
      },
    ]);
  });

  it('refuses an alias to an anchor that does not exist', () => {
    expect(issuesOf(withBase('description: *nowhere'))[0]).toMatchObject({ line: 5, col: 14 });
  });

  it('still allows a few aliases', () => {
    const manifest = parseManifest(
      withBase(
        'ports:',
        '  - &web { container: 80, host: 8080 }',
        'health:',
        '  tcp: { port: 80 }',
        'env: &env { A: "1" }',
      ),
      FILE,
    );
    expect(manifest.env).toEqual({ A: '1' });
  });

  it('refuses a billion-laughs YAML bomb quickly, at the first alias', () => {
    const levels = 'abcdefghij';
    const bomb = [`a: &a [${Array(9).fill('"lol"').join(',')}]`];
    for (let i = 1; i < levels.length; i++) {
      bomb.push(
        `${levels[i]}: &${levels[i]} [${Array(9)
          .fill(`*${levels[i - 1]}`)
          .join(',')}]`,
      );
    }
    const started = performance.now();
    const issues = issuesOf(bomb.join('\n'));
    // Expanded, this document is 9^10 strings; refusing it must not depend on expanding it.
    // The bound is generous on purpose: it only catches exponential work, not slowness.
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(issues).toEqual([
      {
        line: 2,
        col: 8,
        path: '',
        message:
          'too many alias expansions (more than 32); this looks like a YAML bomb — write the values out instead of nesting aliases',
      },
    ]);
  });

  it('refuses a manifest over 256 KiB without parsing it', () => {
    const error = refusal(withBase(`description: "${'x'.repeat(300 * 1024)}"`));
    expect(error.issues).toEqual([
      {
        file: FILE,
        line: 0,
        col: 0,
        path: '',
        message: 'the manifest is 301 KiB; manifests are limited to 256 KiB',
      },
    ]);
    expect(error.message).toBe('demo.yml: the manifest is 301 KiB; manifests are limited to 256 KiB');
  });
});

describe('loadManifestFile', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'archy-manifest-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('cites the path as given in errors', async () => {
    const path = join(dir, 'bad.yml');
    await writeFile(path, withBase('helth: {}'));
    await expect(loadManifestFile(path)).rejects.toThrow(`${path}:5:1: helth: unknown key 'helth'`);
  });

  it('refuses a missing file', async () => {
    const path = join(dir, 'missing.yml');
    await expect(loadManifestFile(path)).rejects.toMatchObject({
      issues: [
        {
          file: path,
          line: 0,
          col: 0,
          path: '',
          message: `no such file; check the path ${JSON.stringify(path)}`,
        },
      ],
    });
  });

  it('refuses a directory', async () => {
    await expect(loadManifestFile(dir)).rejects.toBeInstanceOf(ManifestError);
  });

  it('refuses a file over the size cap without reading it all', async () => {
    const path = join(dir, 'huge.yml');
    await writeFile(path, Buffer.alloc(1024 * 1024, 'a'));
    await expect(loadManifestFile(path)).rejects.toThrow('larger than 256 KiB');
  });
});
