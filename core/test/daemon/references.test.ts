// ${ARCHY_…} references, dependency files at an app's own paths and the app's web login, through a
// real daemon, real rootless Podman and the TEST DOUBLES of the Lightning stack (the bitcoind double
// on regtest, the lightning double): an app written the way an imported Umbrel app is — it reads
// its node login under ITS OWN names (env and command), LND's files where Umbrel mounted them —
// logs in to the node with what the references gave it; no container's `podman inspect` shows a
// secret; the app's generated password is the same after a restart and a recreate, and is what
// `archy connection --reveal` shows (never without --reveal).

import { execFile } from 'node:child_process';
import { hostname } from 'node:os';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppStatus, ConnectionInfo } from '../../src/api/contract.js';
import { deviceHostname } from '../../src/orchestrator/device-hostname.js';
import { helloImage, tempDataDir, uniqueAppId, waitFor } from '../support/index.js';
import { podman } from '../support/podman-cli.js';
import { startDaemon, type TestDaemon } from '../support/daemon-harness.js';
import { holdBitcoinAppsForFile } from './bitcoin-apps.js';
import {
  LIGHTNING_VOLUME,
  MACAROON_PATH,
  readVolumeFile,
  secretIn,
  TLS_CERT_PATH,
  writeLightningStack,
  ZMQ,
} from './lightning-stack-apps.js';

holdBitcoinAppsForFile();

const run = promisify(execFile);

/** A literal argument with every character a shell quotes: it must reach the app exactly. */
const LITERAL = `it's "a" $HOME \${x:-y} back\\slash $$`;
/** Where the imported-style app expects LND's files (Umbrel mounted LND's data dir at /lnd). */
const LND_CERT = '/lnd/tls.cert';
const LND_MACAROON = `/lnd/${MACAROON_PATH}`;

/**
 * The app: env and argv reference the node login under its own names (RPC_USER, RPC_PASS, the
 * --rpcuser/--rpcpassword arguments); it records what it got under /tmp/refs and calls
 * getblockchaininfo twice a second, once with the env login, once with the argv one.
 */
function writeImported(dir: string, id: string): string {
  const call = (user: string, pass: string, out: string) =>
    `wget -q -O $o/${out}.tmp --post-data '{"jsonrpc":"1.0","id":"t","method":"getblockchaininfo","params":[]}' ` +
    `"http://${user}:${pass}@$RPC_HOST:$RPC_PORT/" 2>$o/${out}.err && mv $o/${out}.tmp $o/${out};`;
  const script = [
    'o=/tmp/refs; mkdir -p $o;',
    'printf %s "$RPC_PASS" > $o/env-pass; printf %s "$1" > $o/arg-pass; printf %s "$2" > $o/arg-user;',
    'printf %s "$3" > $o/literal; printf %s "$APP_PW" > $o/app-pw; printf %s "$ZMQ_PORT" > $o/zmq-port;',
    'printf %s "$DEVICE" > $o/device; printf %s "$ME" > $o/me;',
    'while :; do',
    call('$RPC_USER', '$RPC_PASS', 'rpc-env'),
    call('$2', '$1', 'rpc-argv'),
    'sleep 0.5; done',
  ].join(' ');
  const yaml = {
    id,
    name: `Imported ${id}`,
    version: '1.0.0',
    image: helloImage('1.0.0'),
    stopTimeout: '2s',
    security: { tmpfs: ['/tmp'] },
    webLogin: { username: 'umbrel', password: '${ARCHY_APP_PASSWORD}' },
    env: {
      RPC_USER: '${ARCHY_DEP_BITCOIN_NODE_RPC_USER}',
      RPC_PASS: '${ARCHY_DEP_BITCOIN_NODE_RPC_PASSWORD}',
      RPC_HOST: '${ARCHY_DEP_BITCOIN_NODE_HOST}',
      RPC_PORT: '${ARCHY_DEP_BITCOIN_NODE_RPC_PORT}',
      ZMQ_PORT: '${ARCHY_DEP_BITCOIN_NODE_ZMQ_HASHBLOCK_PORT}',
      APP_PW: 'pw:${ARCHY_APP_PASSWORD}',
      DEVICE: '${ARCHY_DEVICE_HOSTNAME}',
      ME: 'app ${ARCHY_APP_ID}',
    },
    command: [
      '/bin/sh',
      '-c',
      script,
      'imported',
      '${ARCHY_DEP_BITCOIN_NODE_RPC_PASSWORD}',
      '${ARCHY_DEP_BITCOIN_NODE_RPC_USER}',
      LITERAL,
    ],
    dependencies: [
      { id: 'bitcoin-node', requires: 'healthy' },
      { id: 'lightning-node', requires: 'healthy', files: { tlsCert: LND_CERT, credential: LND_MACAROON } },
    ],
  };
  const path = join(dir, `${id}.yml`);
  writeFileSync(path, JSON.stringify(yaml, null, 2));
  return path;
}

describe('${ARCHY_…} references, dependency files and the web login', () => {
  let daemon: TestDaemon;
  let manifests: string;
  const ln = uniqueAppId('refs-ln');
  const unused = uniqueAppId('refs-unused');
  const app = uniqueAppId('refs-imported');

  /** What the app recorded, by name. */
  const recorded = (name: string): Promise<string> =>
    podman(['exec', `archy-${app}`, 'cat', `/tmp/refs/${name}`]);

  /** Every container of the test's apps as `podman inspect` prints it. */
  const inspectAll = (): Promise<string> =>
    podman(['inspect', 'archy-bitcoin-core', `archy-${ln}`, `archy-${app}`]);

  const revealedPassword = async (): Promise<string> => {
    const info = await daemon.cliJson<ConnectionInfo>(['connection', app, '--reveal']);
    const login = info.interfaces.find((entry) => entry.name === 'web-login')!;
    return login.credentials.find((credential) => credential.name === 'Password')!.value!;
  };

  beforeAll(async () => {
    const stack = await writeLightningStack({ lightning: ln, dependent: unused });
    manifests = tempDataDir('refs-manifests');
    daemon = await startDaemon({ dataDir: tempDataDir('refs'), env: { ARCHY_APPS_DIR: stack.appsDir } });
    await daemon.cliJson<AppStatus>(['install', 'bitcoin-core']);
    await daemon.cliJson<AppStatus>(['install', ln]);
  }, 300_000);

  afterAll(async () => {
    for (const id of [app, ln, 'bitcoin-core']) await daemon?.cli(['remove', id, '--purge', '--yes']);
    await daemon?.stop();
  }, 300_000);

  it('hands the app its node login under its own names (env and argv); the node accepts both', async () => {
    const installed = await daemon.cliJson<AppStatus>(['install', writeImported(manifests, app)]);
    expect(installed.state).toBe('running');
    const password = await secretIn(app, 'bitcoin-node-rpc-password');
    expect(password.length).toBeGreaterThan(20);
    expect(await recorded('env-pass')).toBe(password);
    expect(await recorded('arg-pass')).toBe(password);
    expect(await recorded('arg-user')).toBe(`archy-${app}`);
    expect(await recorded('literal')).toBe(LITERAL);
    expect(await recorded('zmq-port')).toBe(String(ZMQ.hashblock));
    expect(await recorded('me')).toBe(`app ${app}`);
    expect(await recorded('device')).toBe(deviceHostname(hostname()));
    for (const how of ['rpc-env', 'rpc-argv']) {
      const answer = await waitFor(() => recorded(how).catch(() => undefined), {
        what: `${how}: getblockchaininfo with the referenced login`,
        timeoutMs: 60_000,
        intervalMs: 500,
      });
      expect(answer).toContain('"chain":"regtest"');
    }
  });

  it("shows no secret in any container's podman inspect, only the variables' names", async () => {
    const inspect = await inspectAll();
    const secrets = [
      await secretIn(app, 'bitcoin-node-rpc-password'),
      await secretIn(app, 'app-password'),
      await secretIn(ln, 'bitcoin-node-rpc-password'),
      await secretIn('bitcoin-core', 'rpc-password'),
    ];
    for (const secret of secrets) {
      expect(secret.length).toBeGreaterThan(20);
      expect(inspect).not.toContain(secret);
    }
    const [details] = JSON.parse(await podman(['inspect', `archy-${app}`])) as Array<{
      Config: { Env: string[]; Entrypoint: string | string[]; Cmd: string[] | null };
    }>;
    // Plain references substituted in the spec; secret ones only named in the prelude.
    expect(details!.Config.Env).toContain(`RPC_USER=archy-${app}`);
    expect(details!.Config.Env).toContain(`ARCHY_APP_ID=${app}`);
    expect(details!.Config.Env.some((entry) => entry.startsWith('RPC_PASS='))).toBe(false);
    expect(String(details!.Config.Entrypoint)).toContain('"${ARCHY_DEP_BITCOIN_NODE_RPC_PASSWORD}"');
  });

  it("mounts the Lightning app's files read-only at the paths the manifest names", async () => {
    const cert = await readVolumeFile(daemon.dataDir, ln, LIGHTNING_VOLUME, TLS_CERT_PATH);
    const macaroon = await readVolumeFile(daemon.dataDir, ln, LIGHTNING_VOLUME, MACAROON_PATH);
    expect(await podman(['exec', `archy-${app}`, 'cat', LND_CERT])).toBe(cert.toString('utf8'));
    const { stdout: seen } = await run('podman', ['exec', `archy-${app}`, 'cat', LND_MACAROON], {
      encoding: 'buffer',
    });
    expect(seen.toString('hex')).toBe(macaroon.toString('hex'));
    const write = await podman([
      'exec',
      `archy-${app}`,
      'sh',
      '-c',
      `echo x > ${LND_CERT} 2>&1 || echo refused`,
    ]);
    expect(write).toContain('refused');
  });

  it('keeps ARCHY_APP_PASSWORD across a restart and a recreate, and shows it only with --reveal', async () => {
    const hidden = await daemon.cliJson<ConnectionInfo>(['connection', app]);
    expect(hidden.interfaces.find((entry) => entry.name === 'web-login')).toEqual({
      name: 'web-login',
      endpoints: [],
      credentials: [
        { name: 'Username', secret: false, value: 'umbrel' },
        { name: 'Password', secret: true },
      ],
    });
    const password = await revealedPassword();
    expect(password).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(await recorded('app-pw')).toBe(`pw:${password}`);

    await daemon.cliJson<AppStatus>(['restart', app]);
    await waitFor(() => recorded('app-pw').catch(() => undefined), { what: 'the app after its restart' });
    expect(await recorded('app-pw')).toBe(`pw:${password}`);
    // A rotation recreates the app's container (a new node password): the app password stays.
    const before = await secretIn(app, 'bitcoin-node-rpc-password');
    await daemon.cliJson(['credentials', 'rotate', app]);
    const after = await waitFor(
      async () => {
        const now = await recorded('env-pass').catch(() => undefined);
        return now !== undefined && now !== before ? now : undefined;
      },
      { what: 'the recreated app with its new node password', timeoutMs: 60_000, intervalMs: 500 },
    );
    expect(after).toBe(await secretIn(app, 'bitcoin-node-rpc-password'));
    expect(await recorded('app-pw')).toBe(`pw:${password}`);
    expect(await revealedPassword()).toBe(password);
  });
});
