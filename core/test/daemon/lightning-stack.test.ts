// Issue 15's "done when", through a real daemon, real rootless Podman and TEST DOUBLES (no real
// Bitcoin or Lightning node runs here): Bitcoin Core is the bitcoind double on regtest, "LND" is
// the lightning double (an LND-shaped provider: tls.cert, admin.macaroon, REST getinfo), and the
// app on top is the dependent double, which uses both with only what Archipelago hands it.
// Proven: the Lightning app and the dependent each get their OWN node login (never the admin's
// nor each other's) and the ZMQ endpoints; the dependent logs in to RPC with its login (the node
// applies that login's -rpcwhitelist), gets a hashblock after generatetoaddress, reads the
// Lightning app's certificate and macaroon and gets 200 from its REST; no secret shows in any
// container's `podman inspect`; the lndconnect URI (CLI and RPC) carries exactly the certificate
// and macaroon in the Lightning app's volume. The install plans offer the choice of node and say
// which containers restart for a new login.

import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppStatus, ConnectionInfo, InstallPlanView } from '../../src/api/contract.js';
import { tempDataDir, uniqueAppId, waitFor } from '../support/index.js';
import { podman } from '../support/podman-cli.js';
import { startDaemon, type TestDaemon } from '../support/daemon-harness.js';
import { holdBitcoinAppsForFile } from './bitcoin-apps.js';
import {
  dependentFinding,
  DEPENDENT_FORBIDDEN_METHOD,
  LIGHTNING_GRPC_PORT,
  LIGHTNING_VOLUME,
  MACAROON_PATH,
  readVolumeFile,
  secretIn,
  TLS_CERT_PATH,
  writeLightningStack,
  ZMQ,
  type LightningStack,
} from './lightning-stack-apps.js';

holdBitcoinAppsForFile();

const PASSWORD_FILE = 'bitcoin-node-rpc-password';
const COOKIE_FILE = 'bitcoin-node-rpc-cookie';

async function rpc<T>(daemon: TestDaemon, method: string, params: unknown): Promise<T> {
  const token = readFileSync(join(daemon.dataDir, '.cookie'), 'utf8').trim();
  const response = await fetch(`${daemon.url}/rpc/v1`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  const answer = (await response.json()) as { result?: T; error?: { message: string } };
  if (answer.error) throw new Error(`${method}: ${answer.error.message}`);
  return answer.result!;
}

/** The `name` interface of connection info, e.g. lightning-node. */
const iface = (info: ConnectionInfo, name: string) => info.interfaces.find((entry) => entry.name === name)!;

describe('the Bitcoin & Lightning stack with doubles: a node, an LND-shaped app, an app using both', () => {
  let daemon: TestDaemon;
  let stack: LightningStack;
  const ln = uniqueAppId('lightning-double');
  const dep = uniqueAppId('dependent-double');

  beforeAll(async () => {
    stack = await writeLightningStack({ lightning: ln, dependent: dep });
    daemon = await startDaemon({
      dataDir: tempDataDir('lightning-stack'),
      env: { ARCHY_APPS_DIR: stack.appsDir },
    });
  }, 300_000);

  afterAll(async () => {
    for (const id of [dep, ln, 'bitcoin-core']) await daemon?.cli(['remove', id, '--purge', '--yes']);
    await daemon?.stop();
  }, 300_000);

  it('plans the whole stack for the app on top before anything is installed: the choice of node, then every step', async () => {
    const open = await rpc<InstallPlanView>(daemon, 'package.plan-install', { id: dep });
    expect(open.ready).toBe(false);
    // One choice for both apps that use a Bitcoin node (the app asked for and the Lightning app).
    expect(open.choices).toEqual([
      {
        interface: 'bitcoin-node',
        dependent: dep,
        candidates: [
          { id: 'bitcoin-core', name: 'Bitcoin Core' },
          { id: 'bitcoin-knots', name: 'Bitcoin Knots' },
        ],
      },
    ]);
    const chosen = await rpc<InstallPlanView>(daemon, 'package.plan-install', {
      id: dep,
      choices: { 'bitcoin-node': 'bitcoin-core' },
    });
    expect(chosen.ready).toBe(true);
    expect(chosen.steps.map((step) => `${step.action} ${step.app}`)).toEqual([
      'install bitcoin-core',
      'start bitcoin-core',
      `install ${ln}`,
      `start ${ln}`,
      `install ${dep}`,
      `start ${dep}`,
    ]);
    expect(await daemon.cliJson<AppStatus[]>(['list'])).toEqual([]);
  });

  it('installs Bitcoin Core (the double), then the Lightning app: the plan restarts the node for its login', async () => {
    const node = await daemon.cliJson<AppStatus>(['install', 'bitcoin-core']);
    expect(node.state).toBe('running');

    const plan = await rpc<InstallPlanView>(daemon, 'package.plan-install', { id: ln });
    expect(plan).toMatchObject({ ready: true, choices: [] });
    expect(plan.steps.map((step) => `${step.action} ${step.app}`)).toEqual([
      `install ${ln}`,
      'restart bitcoin-core',
      `start ${ln}`,
    ]);
    expect(plan.credentials).toEqual([
      { dependent: ln, provider: 'bitcoin-core', interface: 'bitcoin-node' },
    ]);

    const lightning = await daemon.cliJson<AppStatus>(['install', ln]);
    expect(lightning.state).toBe('running');

    // The Lightning app's container: its own login at the node, the chain and every ZMQ endpoint.
    const env = await podman(['exec', `archy-${ln}`, 'env']);
    expect(env).toContain(`ARCHY_DEP_BITCOIN_NODE_RPC_USER=archy-${ln}`);
    expect(env).toContain('ARCHY_DEP_BITCOIN_NODE_CHAIN=regtest');
    for (const [topic, port] of Object.entries(ZMQ))
      expect(env).toContain(`ARCHY_DEP_BITCOIN_NODE_ZMQ_${topic.toUpperCase()}=tcp://bitcoin-node:${port}`);
    expect(env).toContain(`ARCHY_DEP_BITCOIN_NODE_RPC_PASSWORD_FILE=/run/secrets/${PASSWORD_FILE}`);
    const password = await secretIn(ln, PASSWORD_FILE);
    expect(await secretIn(ln, COOKIE_FILE)).toBe(`archy-${ln}:${password}`);
  });

  it('installs the dependent: the plan restarts the node and the Lightning app, then it starts', async () => {
    const plan = await rpc<InstallPlanView>(daemon, 'package.plan-install', { id: dep });
    expect(plan).toMatchObject({ ready: true, choices: [] });
    expect(plan.steps.map((step) => `${step.action} ${step.app}`)).toEqual([
      `install ${dep}`,
      'restart bitcoin-core',
      `restart ${ln}`,
      `start ${dep}`,
    ]);
    expect(plan.credentials).toEqual([
      {
        dependent: dep,
        provider: 'bitcoin-core',
        interface: 'bitcoin-node',
        methods: ['getblockchaininfo', 'getblockhash'],
      },
      // The Lightning app's certificate and macaroon, handed to the dependent as files.
      { dependent: dep, provider: ln, interface: 'lightning-node' },
    ]);
    const status = await daemon.cliJson<AppStatus>(['install', dep]);
    expect(status.state).toBe('running');
    const list = await daemon.cliJson<AppStatus[]>(['list']);
    expect(list.map((app) => `${app.id} ${app.state}`).sort()).toEqual(
      [`${dep} running`, `${ln} running`, 'bitcoin-core running'].sort(),
    );
  });

  it('the dependent logs in to the node with its own login, which the node knows by its whitelist', async () => {
    const env = await dependentFinding(dep, 'env');
    expect(env).toContain(`ARCHY_DEP_BITCOIN_NODE_RPC_USER=archy-${dep}`);
    expect(env).toContain(`ARCHY_DEP_BITCOIN_NODE_RPC_COOKIE_FILE=/run/secrets/${COOKIE_FILE}`);
    const own = await secretIn(dep, PASSWORD_FILE);
    expect(await secretIn(dep, COOKIE_FILE)).toBe(`archy-${dep}:${own}`);

    const answer = await waitFor(
      async () => {
        const found = await dependentFinding(dep, 'rpc/getblockchaininfo');
        return found.startsWith('ok\n') ? found : undefined;
      },
      { what: 'the dependent double to call getblockchaininfo', timeoutMs: 30_000, intervalMs: 250 },
    );
    expect(answer).toMatch(/"chain": ?"regtest"/);
    // A method off its list is refused for its user: the node took the login as archy-<dep>'s.
    const refused = await waitFor(
      () => dependentFinding(dep, `rpc/${DEPENDENT_FORBIDDEN_METHOD}`).catch(() => undefined),
      {
        what: `the dependent double to call ${DEPENDENT_FORBIDDEN_METHOD}`,
        timeoutMs: 30_000,
        intervalMs: 250,
      },
    );
    expect(refused).toMatch(/^failed\n/);
    expect(refused).toContain('403');

    // Not the admin's, not the Lightning app's: three different passwords, and it holds only its own.
    const admin = iface(
      await daemon.cliJson<ConnectionInfo>(['connection', 'bitcoin-core', '--reveal']),
      'bitcoin-node',
    ).credentials.find((credential) => credential.name === 'RPC password')!.value!;
    const lightning = await secretIn(ln, PASSWORD_FILE);
    expect(new Set([admin, lightning, own]).size).toBe(3);
    const everything = await podman(['exec', `archy-${dep}`, 'sh', '-c', 'cat /run/secrets/*; env']);
    expect(everything).not.toContain(admin);
    expect(everything).not.toContain(lightning);
  });

  it('the dependent gets a hashblock over ZMQ after generatetoaddress', async () => {
    expect(await dependentFinding(dep, 'env')).toContain(
      `ARCHY_DEP_BITCOIN_NODE_ZMQ_HASHBLOCK=tcp://bitcoin-node:${ZMQ.hashblock}`,
    );
    await waitFor(async () => (await dependentFinding(dep, 'zmq-state')).trim() === 'subscribed', {
      what: 'the dependent double to subscribe to hashblock',
      timeoutMs: 30_000,
      intervalMs: 250,
    });
    const mined = await podman([
      'exec',
      'archy-bitcoin-core',
      'bitcoin-cli',
      '-regtest',
      '-datadir=/data',
      'generatetoaddress',
      '1',
      'bcrt1qlightningstack',
    ]);
    const [hash] = JSON.parse(mined) as string[];
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    const zmq = await waitFor(
      async () => {
        const lines = await dependentFinding(dep, 'zmq');
        return lines.includes(hash!) ? lines : undefined;
      },
      { what: `hashblock ${hash} at the dependent`, timeoutMs: 30_000, intervalMs: 250 },
    );
    expect(zmq).toMatch(new RegExp(`^hashblock ${hash} \\d+$`, 'm'));
  });

  it("the dependent reads the Lightning app's certificate and macaroon and gets 200 from its REST", async () => {
    const env = await dependentFinding(dep, 'env');
    expect(env).toContain(`ARCHY_DEP_LIGHTNING_NODE_HOST=lightning-node`);
    expect(env).toContain('ARCHY_DEP_LIGHTNING_NODE_REST_PORT=8080');
    expect(env).toContain(`ARCHY_DEP_LIGHTNING_NODE_GRPC_PORT=${LIGHTNING_GRPC_PORT}`);
    expect(env).toContain('ARCHY_DEP_LIGHTNING_NODE_MACAROON_FILE=/run/secrets/lightning-node-macaroon');
    expect(env).toContain('ARCHY_DEP_LIGHTNING_NODE_TLS_CERT_FILE=/run/secrets/lightning-node-tls-cert');

    const answer = await waitFor(
      async () => {
        const found = await dependentFinding(dep, 'lightning');
        return found.startsWith('ok\n') ? found : undefined;
      },
      {
        what: "the dependent double to get 200 from the Lightning app's REST",
        timeoutMs: 30_000,
        intervalMs: 250,
      },
    );
    expect(JSON.parse(answer.slice(3))).toMatchObject({ alias: 'lightning-double' });

    // The files it was handed are the ones in the Lightning app's volume, byte for byte.
    const macaroon = await readVolumeFile(daemon.dataDir, ln, LIGHTNING_VOLUME, MACAROON_PATH);
    const cert = await readVolumeFile(daemon.dataDir, ln, LIGHTNING_VOLUME, TLS_CERT_PATH);
    expect(macaroon).toHaveLength(32);
    const handed = await podman([
      'exec',
      `archy-${dep}`,
      'od',
      '-An',
      '-v',
      '-tx1',
      '/run/secrets/lightning-node-macaroon',
    ]);
    expect(handed.replace(/\s+/g, '')).toBe(macaroon.toString('hex'));
    const tls = (await dependentFinding(dep, 'lightning-tls')).split('\n');
    expect(tls[0]).toBe('-----BEGIN CERTIFICATE-----');
    expect(tls[1]).toBe(createHash('sha256').update(cert).digest('hex'));
  });

  it('shows no secret in any container’s podman inspect', async () => {
    const admin = iface(
      await daemon.cliJson<ConnectionInfo>(['connection', 'bitcoin-core', '--reveal']),
      'bitcoin-node',
    ).credentials.find((credential) => credential.name === 'RPC password')!.value!;
    const macaroon = await readVolumeFile(daemon.dataDir, ln, LIGHTNING_VOLUME, MACAROON_PATH);
    const secrets = [
      admin,
      await secretIn(ln, PASSWORD_FILE),
      await secretIn(dep, PASSWORD_FILE),
      macaroon.toString('hex'),
      macaroon.toString('base64'),
      macaroon.toString('base64url'),
    ];
    for (const container of ['archy-bitcoin-core', `archy-${ln}`, `archy-${dep}`]) {
      const inspect = await podman(['inspect', container]);
      const [details] = JSON.parse(inspect) as Array<{ Config: { Env: string[] } }>;
      expect(details!.Config.Env.length).toBeGreaterThan(0);
      for (const secret of secrets) {
        expect(inspect, `${container}'s inspect`).not.toContain(secret);
        expect(details!.Config.Env.join('\n')).not.toContain(secret);
      }
    }
  });

  it('gives the lndconnect URI with the certificate and macaroon of the volume (CLI and RPC)', async () => {
    const macaroon = await readVolumeFile(daemon.dataDir, ln, LIGHTNING_VOLUME, MACAROON_PATH);
    const certPem = (await readVolumeFile(daemon.dataDir, ln, LIGHTNING_VOLUME, TLS_CERT_PATH)).toString(
      'utf8',
    );
    const der = new X509Certificate(certPem).raw;

    const hidden = iface(await daemon.cliJson<ConnectionInfo>(['connection', ln]), 'lightning-node');
    expect(hidden.uri).toBeUndefined();
    expect(JSON.stringify(hidden)).not.toContain(macaroon.toString('hex'));

    const fromCli = iface(
      await daemon.cliJson<ConnectionInfo>(['connection', ln, '--reveal']),
      'lightning-node',
    );
    const fromRpc = iface(
      await rpc<ConnectionInfo>(daemon, 'package.connection-info', { id: ln, reveal: true }),
      'lightning-node',
    );
    for (const info of [fromCli, fromRpc]) {
      const uri = new URL(info.uri!);
      expect(uri.protocol).toBe('lndconnect:');
      // gRPC is published on this machine only (expose: local), so the URI names 127.0.0.1.
      expect(uri.host).toBe(`127.0.0.1:${stack.grpcHostPort}`);
      expect(Buffer.from(uri.searchParams.get('cert')!, 'base64url').equals(der)).toBe(true);
      expect(Buffer.from(uri.searchParams.get('macaroon')!, 'base64url').equals(macaroon)).toBe(true);
      expect(info.credentials).toContainEqual({
        name: 'Macaroon (hex)',
        secret: true,
        value: macaroon.toString('hex'),
      });
      expect(info.endpoints).toContainEqual({
        name: 'REST (this machine only)',
        url: `https://127.0.0.1:${stack.restHostPort}`,
      });
    }
    // The reveal is audited.
    const audit = readFileSync(join(daemon.dataDir, 'audit', 'audit.log'), 'utf8');
    expect(audit).toContain('package.connection-info');
  });
});
