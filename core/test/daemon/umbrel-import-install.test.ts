// The whole path an Umbrel user takes, end to end, on a real daemon and real rootless Podman: an app
// folder written here the way Umbrel apps are written (umbrel-app.yml with a Bitcoin dependency and
// a deterministic password, a docker-compose.yml with app_proxy, static IPs from exports.sh, Umbrel's
// variables, `restart:`, `user:`, `${APP_DATA_DIR}` volumes, images pinned by digest), converted by
// `archy import umbrel`, refused without the user's confirmation, installed with --accept-imported
// next to the bitcoind TEST DOUBLE as the bitcoin-node provider. Then: the web UI answers on
// umbrel-app.yml's port, the backend is reached by its service name where Umbrel had its static IP,
// the app logs in to the node with the RPC login it got under Umbrel's names, status says where it
// came from, `connection --reveal` shows the web login, no inspect shows a secret, and a purge
// leaves nothing.

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppStatus, ConnectionInfo } from '../../src/api/contract.js';
import { RegistryClient } from '../../src/security/image-signing/index.js';
import {
  dependentDoubleImage,
  freePort,
  httpGet,
  registry,
  tempDataDir,
  uniqueAppId,
  waitFor,
} from '../support/index.js';
import { startDaemon, type TestDaemon } from '../support/daemon-harness.js';
import { podman } from '../support/podman-cli.js';
import { holdBitcoinAppsForFile } from './bitcoin-apps.js';
import { expectNothingLeft } from './leftovers.js';
import { writeLightningStack, secretIn } from './lightning-stack-apps.js';

holdBitcoinAppsForFile();

const UPSTREAM_VERSION = '1.4.2';
/** What the backend serves; the web service fetches it from the backend by the name it was given. */
const BACKEND_ANSWER = 'backend-ok';

/**
 * The Umbrel app folder. Both services run the dependent double's image (busybox httpd and nc,
 * the double's bitcoin-cli and resolve-host), pinned by digest as Umbrel pins its images. The web
 * service records what it was given under Umbrel's names, calls the node's RPC with that login and
 * fetches the backend at APP_<ID>_DB_IP (its static IP on Umbrel), and serves what it found.
 */
function writeUmbrelApp(dir: string, options: { id: string; image: string; port: number }): void {
  const own = `APP_${options.id.toUpperCase().replace(/-/g, '_')}`;
  // Compose interpolates `$`: the shell's own variables are written `$$`, as in Umbrel's files.
  const web = [
    'w=/data/www; mkdir -p $$w;',
    'printf %s "$$APP_PASSWORD" > /data/app-password; printf %s "$$1" > /data/arg-pass;',
    'printf %s "$$RPC_USER" > $$w/rpc-user; printf %s "$$DB_HOST" > $$w/db-host;',
    '( while :; do',
    'bitcoin-cli -rpcconnect="$$RPC_HOST" -rpcport="$$RPC_PORT" -rpcuser="$$RPC_USER" -rpcpassword="$$RPC_PASS"',
    'getblockchaininfo > $$w/rpc.tmp 2>&1; mv $$w/rpc.tmp $$w/rpc;',
    `ip=$$(resolve-host "$$DB_HOST" 2>&1) && printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc "$$ip" 8081 > $$w/db.tmp 2>&1;`,
    '[ -f $$w/db.tmp ] && mv $$w/db.tmp $$w/db;',
    'sleep 1; done ) &',
    'exec httpd -f -p 8080 -h $$w',
  ].join(' ');
  // The backend serves a page the app ships in its folder (as Umbrel apps ship their configs): it
  // arrives only if the converter seeds the volume and the install copies the seed.
  const backend = 'exec httpd -f -p 8081 -h /db/www';
  const appYml = [
    'manifestVersion: 1',
    `id: ${options.id}`,
    'category: bitcoin',
    'name: Umbrel Round Trip',
    `version: "${UPSTREAM_VERSION}"`,
    'tagline: An app written as Umbrel apps are, for the end-to-end test',
    'description: >-',
    '  A web UI reading the Bitcoin node and a backend reached by its static IP.',
    'developer: Archipelago tests',
    'website: https://example.invalid',
    'dependencies:',
    '  - bitcoin',
    `port: ${options.port}`,
    'path: ""',
    'defaultUsername: umbrel',
    'deterministicPassword: true',
    'submitter: Archipelago tests',
    '',
  ].join('\n');
  const composeYml = [
    'version: "3.7"',
    '',
    'services:',
    '  app_proxy:',
    '    environment:',
    `      APP_HOST: $${own}_WEB_IP`,
    '      APP_PORT: 8080',
    '',
    '  web:',
    `    image: ${options.image}`,
    '    user: "1000:1000"',
    '    restart: on-failure',
    '    stop_grace_period: 2s',
    '    command:',
    '      - /bin/sh',
    '      - -c',
    `      - '${web.replace(/'/g, "''")}'`,
    '      - web',
    '      - ${APP_BITCOIN_RPC_PASS}',
    '    environment:',
    '      RPC_HOST: $APP_BITCOIN_NODE_IP',
    '      RPC_PORT: $APP_BITCOIN_RPC_PORT',
    '      RPC_USER: $APP_BITCOIN_RPC_USER',
    '      RPC_PASS: $APP_BITCOIN_RPC_PASS',
    '      APP_PASSWORD: $APP_PASSWORD',
    `      DB_HOST: $${own}_DB_IP`,
    '    volumes:',
    '      - ${APP_DATA_DIR}/data:/data',
    '    depends_on:',
    '      - db',
    '    networks:',
    '      default:',
    `        ipv4_address: $${own}_WEB_IP`,
    '',
    '  db:',
    `    image: ${options.image}`,
    '    user: "1000:1000"',
    '    restart: on-failure',
    '    stop_grace_period: 2s',
    `    command: ["/bin/sh", "-c", "${backend}"]`,
    '    volumes:',
    '      - ${APP_DATA_DIR}/db:/db',
    '    networks:',
    '      default:',
    `        ipv4_address: $${own}_DB_IP`,
    '',
  ].join('\n');
  const exportsSh = [`export ${own}_WEB_IP="10.21.22.41"`, `export ${own}_DB_IP="10.21.22.42"`, ''].join(
    '\n',
  );
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'umbrel-app.yml'), appYml);
  writeFileSync(join(dir, 'docker-compose.yml'), composeYml);
  writeFileSync(join(dir, 'exports.sh'), exportsSh);
  mkdirSync(join(dir, 'db', 'www'), { recursive: true });
  writeFileSync(join(dir, 'db', 'www', 'index.html'), `${BACKEND_ANSWER}\n`);
}

describe('an Umbrel app: imported, confirmed, installed, running against the node, removed', () => {
  let daemon: TestDaemon;
  let work: string;
  let manifestFile: string;
  let port: number;
  const id = uniqueAppId('umbrel-trip');
  const containers = [`archy-${id}`, `archy-${id}_db`];

  /** A file the web service wrote under its /data (the app's own files, not served). */
  const fromApp = (path: string): Promise<string> => podman(['exec', `archy-${id}`, 'cat', path]);

  beforeAll(async () => {
    work = tempDataDir('umbrel-trip');
    port = await freePort();
    const client = new RegistryClient({ registry: registry(), insecure: true });
    const repository = dependentDoubleImage()
      .replace(/^[^/]+\//, '')
      .replace(/:[^:]+$/, '');
    const image = `${dependentDoubleImage()}@${await client.resolveDigest(repository, '1.0.0')}`;
    writeUmbrelApp(join(work, 'store', id), { id, image, port });
    // The bitcoind double as Core, exporting bitcoin-node on regtest (the other stack apps unused).
    const stack = await writeLightningStack({
      lightning: uniqueAppId('trip-ln'),
      dependent: uniqueAppId('trip-dep'),
    });
    daemon = await startDaemon({
      dataDir: tempDataDir('umbrel-trip-daemon'),
      env: { ARCHY_APPS_DIR: stack.appsDir },
    });
    await daemon.cliJson<AppStatus>(['install', 'bitcoin-core']);
  }, 300_000);

  afterAll(async () => {
    for (const app of [id, 'bitcoin-core']) await daemon?.cli(['remove', app, '--purge', '--yes']);
    await daemon?.stop();
  }, 300_000);

  it('converts the folder with the warnings Umbrel users should know about', async () => {
    manifestFile = join(work, `${id}.yml`);
    const result = await daemon.cli(['import', 'umbrel', join(work, 'store', id), '--out', manifestFile]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/warning restart:/);
    expect(result.stderr).toMatch(/warning app-proxy-auth:/);
    // The page the app ships in db/ seeds its volume, copied beside the manifest.
    expect(result.stderr).toMatch(/warning app-files:/);
    const manifest = parse(readFileSync(manifestFile, 'utf8')) as {
      main: string;
      services: Record<string, { env?: Record<string, string> }>;
      dependencies: Array<{ id: string }>;
    };
    expect(manifest.main).toBe('web');
    expect(Object.keys(manifest.services)).toEqual(['web', 'db']);
    // Umbrel's static IP became the service's name; the node's login became references.
    expect(manifest.services.web!.env).toMatchObject({
      DB_HOST: 'db',
      RPC_USER: '${ARCHY_DEP_BITCOIN_NODE_RPC_USER}',
      RPC_PASS: '${ARCHY_DEP_BITCOIN_NODE_RPC_PASSWORD}',
    });
    expect(manifest.dependencies.map((dependency) => dependency.id)).toEqual(['bitcoin-node']);
  });

  it('refuses the install without confirmation and leaves nothing behind', async () => {
    const refused = await daemon.cli(['install', manifestFile]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      `${id} is imported from Umbrel app ${id} ${UPSTREAM_VERSION} and is not signed by the Archipelago catalog`,
    );
    expect(refused.stderr).toContain('--accept-imported');
    await expectNothingLeft(daemon, id);
    expect(await podman(['ps', '-a', '--filter', `name=^archy-${id}`, '--format', '{{.Names}}'])).toBe('');
  });

  it('installs with --accept-imported; the UI, the backend and the node login all work', async () => {
    const installed = await daemon.cliJson<AppStatus>(['install', manifestFile, '--accept-imported']);
    expect(installed.id).toBe(id);

    // The web UI on umbrel-app.yml's port.
    const page = await waitFor(
      async () => {
        const answer = await httpGet(`http://127.0.0.1:${port}/rpc-user`).catch(() => undefined);
        return answer?.status === 200 ? answer : undefined;
      },
      { what: `the web UI on port ${port}`, timeoutMs: 120_000, intervalMs: 500 },
    );
    // The login the node gave this app, handed over under Umbrel's APP_BITCOIN_RPC_USER/_PASS.
    expect(page.body).toBe(`archy-${id}`);
    // The node is recreated with the app's new login and the app restarted after the install
    // returns; on a loaded machine that can take a while, so wait on the answer itself and say
    // what the app last got if it never comes.
    let last = 'no answer yet';
    const rpcAnswer = async (): Promise<string | undefined> => {
      const answer = await httpGet(`http://127.0.0.1:${port}/rpc`).catch((error: unknown) => {
        last = (error as Error).message;
        return undefined;
      });
      if (answer) last = `${answer.status} ${answer.body.slice(0, 300)}`;
      return answer?.status === 200 && /"chain":\s*"regtest"/.test(answer.body) ? answer.body : undefined;
    };
    const what = 'getblockchaininfo with the login from APP_BITCOIN_RPC_USER/PASS';
    let rpc = await waitFor(rpcAnswer, { what, timeoutMs: 90_000, intervalMs: 500 }).catch(() => undefined);
    if (rpc === undefined && /the name does not resolve/.test(last)) {
      // KNOWN OPEN BUG (issue 16 note): about one run in three, the app's main service — on three
      // networks (its own, its services', the node's) — cannot resolve the node's alias after the
      // node was recreated for the app's login (Podman 4.3's DNS). A restart of the app clears it;
      // the login itself is what this test proves, so it restarts once and says so in the log.
      console.warn(`known DNS bug: ${last}; restarting ${id} once`);
      await daemon.cli(['restart', id]);
      rpc = await waitFor(rpcAnswer, { what, timeoutMs: 90_000, intervalMs: 500 });
    }
    if (rpc === undefined) {
      const resolvConf = await podman(['exec', `archy-${id}`, 'cat', '/etc/resolv.conf']).catch(String);
      throw new Error(
        `timed out waiting for ${what}; the app's last RPC result: ${last}; resolv.conf: ${resolvConf}`,
      );
    }
    expect(rpc).toMatch(/"chain":\s*"regtest"/);
    const password = await secretIn(id, 'bitcoin-node-rpc-password');
    expect(password.length).toBeGreaterThan(20);
    expect(await fromApp('/data/arg-pass')).toBe(password);
    // Only that login opens the node: the same user with another password is turned away.
    const wrong = await podman([
      'exec',
      `archy-${id}`,
      'sh',
      '-c',
      `bitcoin-cli -rpcconnect="$RPC_HOST" -rpcport="$RPC_PORT" -rpcuser="$RPC_USER" -rpcpassword=not-${password.slice(0, 8)} getblockchaininfo 2>&1 || true`,
    ]);
    expect(wrong).toContain('Authorization failed: Incorrect rpcuser or rpcpassword');

    // The backend, by the name that replaced its static IP.
    expect((await httpGet(`http://127.0.0.1:${port}/db-host`)).body).toBe('db');
    const backend = await waitFor(
      async () => {
        const answer = await httpGet(`http://127.0.0.1:${port}/db`).catch(() => undefined);
        return answer?.body.includes(BACKEND_ANSWER) ? answer.body : undefined;
      },
      { what: 'the backend reached as db', timeoutMs: 120_000, intervalMs: 500 },
    );
    expect(backend).toContain('200 OK');
  }, 300_000);

  it('says where the app came from, shows its web login only with --reveal, and no secret in inspect', async () => {
    const status = await daemon.cliJson<AppStatus>(['status', id]);
    expect(status.origin).toMatchObject({ kind: 'umbrel', app: id, upstreamVersion: UPSTREAM_VERSION });

    const hidden = await daemon.cliJson<ConnectionInfo>(['connection', id]);
    expect(hidden.interfaces.find((entry) => entry.name === 'web-login')?.credentials).toEqual([
      { name: 'Username', secret: false, value: 'umbrel' },
      { name: 'Password', secret: true },
    ]);
    const revealed = await daemon.cliJson<ConnectionInfo>(['connection', id, '--reveal']);
    const login = revealed.interfaces.find((entry) => entry.name === 'web-login')!;
    expect(login.credentials.find((credential) => credential.name === 'Username')?.value).toBe('umbrel');
    const appPassword = login.credentials.find((credential) => credential.name === 'Password')!.value!;
    expect(appPassword).toMatch(/^[A-Za-z0-9_-]{32}$/);
    // Umbrel's APP_PASSWORD (deterministicPassword) is that same generated password.
    expect(await fromApp('/data/app-password')).toBe(appPassword);

    const inspect = await podman(['inspect', ...containers, 'archy-bitcoin-core']);
    for (const secret of [
      appPassword,
      await secretIn(id, 'bitcoin-node-rpc-password'),
      await secretIn('bitcoin-core', 'rpc-password'),
    ]) {
      expect(secret.length).toBeGreaterThan(20);
      expect(inspect).not.toContain(secret);
    }
  });

  it('remove --purge leaves no container, network or volume of the app', async () => {
    const removed = await daemon.cli(['remove', id, '--purge', '--yes']);
    expect(removed.code, removed.stderr).toBe(0);
    await expectNothingLeft(daemon, id);
    expect(await podman(['ps', '-a', '--filter', `name=^archy-${id}`, '--format', '{{.Names}}'])).toBe('');
    expect(await podman(['network', 'ls', '--filter', `name=^archy-${id}`, '--format', '{{.Name}}'])).toBe(
      '',
    );
    expect(await podman(['volume', 'ls', '--format', '{{.Name}}'])).not.toContain(id);
  });
});
