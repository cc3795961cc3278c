import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseManifest } from '../../manifest/index.js';
import { convertUmbrelAppFolder } from './app-folder.js';
import { convertUmbrelApp, type Conversion } from './convert.js';
import type { RefusalCode } from './findings.js';

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/umbrel/', import.meta.url));
const DIGEST = `@sha256:${'a'.repeat(64)}`;

/** A converted manifest as parsed YAML, read by the assertions below. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any key path may be asserted
type Yaml = Record<string, any>;

async function fixture(name: string): Promise<{ conversion: Conversion; manifest: Yaml }> {
  const conversion = await convertUmbrelAppFolder(`${FIXTURES}${name}`);
  expect(conversion.reasons).toEqual([]);
  // Every converted manifest passes our own parser.
  parseManifest(conversion.manifest!, `${name}/manifest.yml`);
  return { conversion, manifest: parse(conversion.manifest!) as Yaml };
}

const codes = (conversion: Conversion) => conversion.warnings.map((warning) => warning.code);

/** An app of one service `app` whose compose lines are `service` (indented under it). */
function oneService(
  service: string,
  options: { app?: string; exports?: string; extra?: string } = {},
): Conversion {
  const appYml = `id: probe\nname: Probe\nversion: "1.0.0"\nport: 8480\n${options.app ?? 'dependencies: []\n'}`;
  const composeYml =
    'services:\n  app_proxy:\n    environment:\n      APP_HOST: probe_app_1\n      APP_PORT: 8080\n' +
    `  app:\n    image: registry.example.org/probe:1.0.0${DIGEST}\n` +
    (/^user:/m.test(service) ? '' : '    user: "1000:1000"\n') +
    service
      .trim()
      .split('\n')
      .map((line) => `    ${line}`)
      .join('\n') +
    `\n${options.extra ?? ''}`;
  return convertUmbrelApp({ appYml, composeYml, exportsSh: options.exports }, 'probe');
}

function refusal(conversion: Conversion, code: RefusalCode): string {
  expect(conversion.status).toBe('refused');
  expect(conversion.manifest).toBeUndefined();
  const found = conversion.reasons.find((reason) => reason.code === code);
  expect(found, JSON.stringify(conversion.reasons)).toBeDefined();
  return found!.message;
}

describe('convertUmbrelApp: a single-service app (notes)', () => {
  it('maps the web UI, volumes, app secrets, host name, command, healthcheck and login', async () => {
    const { conversion, manifest } = await fixture('notes');
    expect(conversion.status).toBe('warnings');
    expect(manifest).toMatchObject({
      id: 'notes',
      version: '2.3.1',
      origin: { kind: 'umbrel', app: 'notes', upstreamVersion: '2.3.1', source: 'getumbrel/umbrel-apps' },
      webLogin: { username: 'umbrel', password: '${ARCHY_APP_PASSWORD}' },
      main: 'server',
    });
    const server = manifest.services.server;
    expect(server.ports).toEqual([{ container: 8080, host: 8470 }]);
    expect(server.volumes).toEqual([{ mount: '/var/lib/notes', name: 'data' }]);
    expect(server.env).toEqual({
      NOTES_ADMIN_PASSWORD: '${ARCHY_APP_PASSWORD}',
      NOTES_PUBLIC_URL: 'http://${ARCHY_DEVICE_HOSTNAME}:8470',
      NOTES_SECRET: '${ARCHY_APP_SEED}',
      NOTES_WORKERS: '2',
      NOTES_LITERAL: 'cost is $5',
    });
    expect(server.command).toEqual(['serve', '--listen', '0.0.0.0:8080', '--title', 'My notes']);
    expect(server.security).toEqual({ readOnlyRootfs: false, user: '1000:1000' });
    expect(server.health).toMatchObject({
      exec: { command: ['wget', '-qO-', 'http://localhost:8080/health'] },
      interval: '30s',
      startPeriod: '60s',
      retries: 3,
    });
    expect(server.stopTimeout).toBe('90s');
    expect(codes(conversion)).toEqual(['app-proxy-auth', 'restart']);
  });
});

describe('convertUmbrelApp: a multi-service app with a database (ledger-db)', () => {
  it('turns static IPs and container names into service names, and exports into values', async () => {
    const { conversion, manifest } = await fixture('ledger-db');
    expect(manifest.main).toBe('web');
    expect(Object.keys(manifest.services)).toEqual(['web', 'db']);
    expect(manifest.services.web.env).toEqual({
      DATABASE_URL: 'postgres://ledger:${ARCHY_APP_SEED}@db:5432/ledger',
      CACHE_HOST: 'db',
      LOG_LEVEL: 'info',
    });
    expect(manifest.services.web.dependsOn).toEqual(['db']);
    expect(manifest.services.db.volumes).toEqual([
      { mount: '/var/lib/postgresql/data', name: 'data-postgres' },
    ]);
    // Compose's $$ is a literal $; an unknown ${NAME} without ARCHY_ stays for the shell.
    expect(manifest.services.db.health.exec.command).toEqual([
      '/bin/sh',
      '-c',
      'pg_isready -U ${POSTGRES_USER}',
    ]);
    expect(manifest.services.db.security.user).toBeUndefined();
    expect(codes(conversion)).toEqual(expect.arrayContaining(['derived-secret', 'image-user', 'restart']));
    expect(codes(conversion)).not.toContain('app-proxy-auth');
  });
});

describe('convertUmbrelApp: an app depending on Bitcoin and Lightning (pay-hub)', () => {
  it('maps the RPC login, ZMQ and LND files onto the interfaces, and drops Tor', async () => {
    const { conversion, manifest } = await fixture('pay-hub');
    expect(manifest.dependencies).toEqual([
      { id: 'bitcoin-node' },
      {
        id: 'lightning-node',
        files: { tlsCert: '/lnd/tls.cert', credential: '/lnd/data/chain/bitcoin/mainnet/admin.macaroon' },
      },
    ]);
    const api = manifest.services.api;
    expect(Object.keys(manifest.services)).toEqual(['api']);
    expect(api.uses).toEqual(['bitcoin-node', 'lightning-node']);
    expect(api.env).toMatchObject({
      BITCOIN_RPC_URL: 'http://${ARCHY_DEP_BITCOIN_NODE_HOST}:${ARCHY_DEP_BITCOIN_NODE_RPC_PORT}',
      BITCOIN_RPC_USER: '${ARCHY_DEP_BITCOIN_NODE_RPC_USER}',
      BITCOIN_RPC_PASSWORD: '${ARCHY_DEP_BITCOIN_NODE_RPC_PASSWORD}',
      BITCOIN_ZMQ_BLOCKS: 'tcp://${ARCHY_DEP_BITCOIN_NODE_HOST}:${ARCHY_DEP_BITCOIN_NODE_ZMQ_RAWBLOCK_PORT}',
      BITCOIN_P2P: '${ARCHY_DEP_BITCOIN_NODE_HOST}:${ARCHY_DEP_BITCOIN_NODE_P2P_PORT}',
      NETWORK: '${ARCHY_DEP_BITCOIN_NODE_CHAIN}',
      LND_GRPC: '${ARCHY_DEP_LIGHTNING_NODE_HOST}:${ARCHY_DEP_LIGHTNING_NODE_GRPC_PORT}',
    });
    expect(api.env.TOR_PROXY).toBeUndefined();
    expect(api.env.ONION_URL).toBeUndefined();
    expect(api.command).toEqual(['pay-hub', '--bitcoind.rpcpass=${ARCHY_DEP_BITCOIN_NODE_RPC_PASSWORD}']);
    expect(api.volumes).toEqual([{ mount: '/data', name: 'data-api' }]);
    expect(manifest.webLogin).toEqual({ username: 'admin', password: 'changeme' });
    expect(codes(conversion)).toEqual(expect.arrayContaining(['tor', 'bitcoin-p2p', 'lightning-files']));
  });

  it('places single-file LND mounts where the app reads them', () => {
    const conversion = oneService(
      [
        'volumes:',
        '  - ${APP_LIGHTNING_NODE_DATA_DIR}/tls.cert:/secrets/tls.cert:ro',
        '  - ${APP_LIGHTNING_NODE_DATA_DIR}/data/chain/bitcoin/${APP_BITCOIN_NETWORK}/admin.macaroon:/secrets/admin.macaroon:ro',
      ].join('\n'),
      { app: 'dependencies: [lightning]\n' },
    );
    expect(conversion.reasons).toEqual([]);
    const manifest = parse(conversion.manifest!) as Yaml;
    expect(manifest.dependencies).toEqual([
      {
        id: 'lightning-node',
        files: { tlsCert: '/secrets/tls.cert', credential: '/secrets/admin.macaroon' },
      },
    ]);
    expect(manifest.services.app.uses).toEqual(['lightning-node']);
  });

  it('maps electrs and fulcrum onto electrum, and the network of a Lightning-only app onto LND', () => {
    const conversion = oneService(
      'environment:\n  ELECTRUM: "${APP_ELECTRS_NODE_IP}:${APP_ELECTRS_NODE_PORT}"\n  CHAIN: $APP_BITCOIN_NETWORK',
      { app: 'dependencies: [electrs, lightning]\n' },
    );
    const manifest = parse(conversion.manifest!) as Yaml;
    expect(manifest.dependencies).toEqual([{ id: 'electrum' }, { id: 'lightning-node' }]);
    expect(manifest.services.app.env).toEqual({
      ELECTRUM: '${ARCHY_DEP_ELECTRUM_HOST}:${ARCHY_DEP_ELECTRUM_PORT}',
      CHAIN: '${ARCHY_DEP_LIGHTNING_NODE_CHAIN}',
    });
  });
});

describe('convertUmbrelApp: refusals', () => {
  it.each<[RefusalCode, string, { app?: string; exports?: string; extra?: string }?]>([
    ['privileged', 'privileged: true'],
    ['host-network', 'network_mode: host'],
    ['host-network', 'extra_hosts:\n  - "host.docker.internal:host-gateway"'],
    ['host-pid', 'pid: host'],
    ['docker-socket', 'volumes:\n  - /var/run/docker.sock:/var/run/docker.sock'],
    ['devices', 'devices:\n  - /dev/ttyUSB0:/dev/ttyUSB0'],
    ['host-path', 'volumes:\n  - ${UMBREL_ROOT}/data/storage/downloads:/downloads'],
    ['host-path', 'volumes:\n  - /etc/ssl:/etc/ssl:ro'],
    ['host-port', 'ports:\n  - "53:53/udp"'],
    ['other-app-data', 'volumes:\n  - ${APP_BITCOIN_DATA_DIR}:/bitcoin:ro'],
    ['other-app-data', 'volumes:\n  - ${UMBREL_ROOT}/app-data/lightning/data/lnd:/lnd:ro'],
    [
      'other-app-data',
      'volumes:\n  - ${APP_LIGHTNING_NODE_DATA_DIR}:/lnd:ro\nenvironment:\n  MAC: /lnd/data/chain/bitcoin/mainnet/readonly.macaroon',
      { app: 'dependencies: [lightning]\n' },
    ],
    ['capabilities', 'cap_add:\n  - NET_ADMIN'],
    ['root-user', 'user: root'],
    ['root-user', 'user: "1000:0"'],
    ['unknown-dependency', '', { app: 'dependencies: [home-assistant]\n' }],
    [
      'unknown-variable',
      'environment:\n  X: $APP_PROBE_COMPUTED',
      { exports: 'export APP_PROBE_COMPUTED="$(hostname -I)"\n' },
    ],
    ['unknown-variable', 'environment:\n  X: ${APP_MEMPOOL_PORT}'],
    [
      'unknown-variable',
      'environment:\n  X: ${APP_BITCOIN_ZMQ_HASHTX_PORT}',
      { app: 'dependencies: [bitcoin]\n' },
    ],
    ['unsupported', 'env_file:\n  - ${APP_DATA_DIR}/settings.env'],
    ['unsupported', 'environment:\n  discovery.type: single-node'],
  ])('%s (%#)', (code, service, options) => {
    const message = refusal(oneService(service, options), code);
    expect(message.length).toBeGreaterThan(30);
  });

  it('no-digest: an image without a sha256 digest', () => {
    const conversion = convertUmbrelApp(
      {
        appYml: 'id: probe\nname: Probe\nversion: "1"\nport: 8480\n',
        composeYml: 'services:\n  app:\n    image: registry.example.org/probe:1.0.0\n    user: "1000:1000"\n',
      },
      'probe',
    );
    expect(refusal(conversion, 'no-digest')).toContain('not pinned by digest');
  });

  it('build: an image built on the device', () => {
    const conversion = oneService('build: ./src');
    refusal(conversion, 'build');
  });

  it('shared-volume: one folder mounted into two services, or nested in another service’s', () => {
    const second = `  worker:\n    image: registry.example.org/worker:1${DIGEST}\n    user: "1000:1000"\n    volumes:\n      - \${APP_DATA_DIR}/data/cache:/cache\n`;
    const message = refusal(
      oneService('volumes:\n  - ${APP_DATA_DIR}/data:/data', { extra: second }),
      'shared-volume',
    );
    expect(message).toContain('app and worker');
  });

  it('app-files: a file shipped with the app mounted into it (a folder of files seeds its volume)', () => {
    const conversion = convertUmbrelApp(
      {
        appYml: 'id: probe\nname: Probe\nversion: "1"\nport: 8480\n',
        composeYml: `services:\n  app:\n    image: registry.example.org/probe:1${DIGEST}\n    user: "1000:1000"\n    volumes:\n      - \${APP_DATA_DIR}/nginx.conf:/etc/nginx/nginx.conf:ro\n`,
        shipped: (relative) => (relative === 'nginx.conf' ? 'file' : undefined),
      },
      'probe',
    );
    expect(refusal(conversion, 'app-files')).toContain('nginx.conf');

    const folder = convertUmbrelApp(
      {
        appYml: 'id: probe\nname: Probe\nversion: "1"\nport: 8480\n',
        composeYml: `services:\n  app:\n    image: registry.example.org/probe:1${DIGEST}\n    user: "1000:1000"\n    volumes:\n      - \${APP_DATA_DIR}/data/www:/usr/share/nginx/html\n`,
        shipped: (relative) => (relative === 'data/www' ? ['index.html'] : undefined),
      },
      'probe',
    );
    // A shipped folder is no refusal: it seeds the volume (app-folder.spec.ts copies the files).
    expect(folder.status).toBe('warnings');
    expect(folder.warnings.find((warning) => warning.code === 'app-files')?.message).toContain(
      '(index.html); they are copied beside the manifest (seed/data-www)',
    );
    expect(folder.manifest).toContain('seed: seed/data-www');
    expect(folder.seeds).toEqual([{ volume: 'data-www', from: 'data/www', files: ['index.html'] }]);
  });

  it('invalid: unreadable YAML, missing fields, an app_proxy pointing nowhere', () => {
    refusal(convertUmbrelApp({ appYml: 'id: [', composeYml: '' }, 'folder'), 'invalid');
    expect(convertUmbrelApp({ appYml: 'name: x', composeYml: '' }, 'folder').reasons[0]!.message).toContain(
      'has no id',
    );
    const nowhere = convertUmbrelApp(
      {
        appYml: 'id: probe\nname: Probe\nversion: "1"\nport: 8480\n',
        composeYml: `services:\n  app_proxy:\n    environment:\n      APP_HOST: elsewhere\n      APP_PORT: 80\n  app:\n    image: x/y:1${DIGEST}\n`,
      },
      'probe',
    );
    expect(refusal(nowhere, 'invalid')).toContain('elsewhere');
  });
});

describe('convertUmbrelApp: what is dropped or kept', () => {
  it('keeps allowed capabilities, maps tmpfs, a floating tag beside a digest, and warns about what is dropped', () => {
    const conversion = oneService(
      'cap_add: [CHOWN, cap_setuid]\nshm_size: 1gb\nvolumes:\n  - type: tmpfs\n    target: /cache\n  - /etc/localtime:/etc/localtime:ro',
    );
    expect(conversion.reasons).toEqual([]);
    const app = (parse(conversion.manifest!) as Yaml).services.app;
    expect(app.security).toEqual({
      readOnlyRootfs: false,
      user: '1000:1000',
      capAdd: ['CHOWN', 'SETUID'],
      tmpfs: ['/cache'],
    });
    expect(codes(conversion)).toContain('dropped');

    const floating = convertUmbrelApp(
      {
        appYml: 'id: probe\nname: Probe\nversion: "1"\nport: 8480\n',
        composeYml: `services:\n  app:\n    image: registry.example.org/probe:latest${DIGEST}\n    user: "1000:1000"\n`,
      },
      'probe',
    );
    expect((parse(floating.manifest!) as Yaml).services.app.image).toBe(
      `registry.example.org/probe${DIGEST}`,
    );
    expect(codes(floating)).toContain('no-web-ui');
  });

  it("maps umbrelOS's own values: the app's version and web port, its exports, a sibling's IP", () => {
    const conversion = oneService(
      'environment:\n  V: $APP_VERSION\n  URL: "http://${APP_DOMAIN}:${APP_PROXY_PORT}"\n  MODE: ${APP_PROBE_MODE}',
      { exports: 'export APP_PROBE_MODE="fast"\n' },
    );
    expect((parse(conversion.manifest!) as Yaml).services.app.env).toEqual({
      V: '1.0.0',
      URL: 'http://${ARCHY_DEVICE_HOSTNAME}:8480',
      MODE: 'fast',
    });
  });

  it('never runs exports.sh: a command in it stays text', () => {
    const conversion = oneService('environment:\n  X: $APP_PROBE_X', {
      exports: 'export APP_PROBE_X="$(touch /tmp/archy-umbrel-should-not-exist)"\n',
    });
    expect(conversion.status).toBe('refused');
    expect(existsSync('/tmp/archy-umbrel-should-not-exist')).toBe(false);
  });
});
