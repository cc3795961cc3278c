// Interfaces that carry credentials, through a real daemon, real rootless Podman and the bitcoind
// TEST DOUBLE on regtest (it checks -rpcauth with Core's HMAC): each dependent logs in to the
// node's RPC over their shared network with its OWN injected login (busybox wget with basic auth
// from inside its container), never sees another's password or the node's admin one, and no
// password shows in `podman inspect`. Rotation, removal and a Core ⇄ Knots switch are followed.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppStatus, ConnectionInfo, RotateCredentialsResult } from '../../src/api/contract.js';
import { helloImage, tempDataDir, uniqueAppId } from '../support/index.js';
import { startDaemon, type TestDaemon } from '../support/daemon-harness.js';
import { podman } from '../support/podman-cli.js';
import { holdBitcoinAppsForFile, readAsContainerUser, writeBitcoinApps } from './bitcoin-apps.js';

holdBitcoinAppsForFile();

const ZMQ = { rawblock: 28332, rawtx: 28333, hashblock: 28334, sequence: 28335 };
const SECRET_FILES = '/run/secrets/bitcoin-node-rpc-password';

/** The test apps dir's Core and Knots manifests, exporting ZMQ topics on bitcoin-node. */
async function bitcoinAppsWithExports(): Promise<string> {
  const dir = await writeBitcoinApps();
  for (const id of ['bitcoin-core', 'bitcoin-knots']) {
    const file = join(dir, id, 'manifest.yml');
    const manifest = parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    manifest.exports = { 'bitcoin-node': { zmq: ZMQ } };
    // writeBitcoinApps runs the node on regtest (-regtest): its bitcoin: block says so, ports too.
    Object.assign(manifest.bitcoin as Record<string, unknown>, { rpcPort: 18443, p2pPort: 18444 });
    writeFileSync(file, stringify(manifest));
  }
  return dir;
}

/** A dependent that idles; the test runs its RPC calls with `podman exec`. */
function writeDependent(dir: string, id: string, rpcMethods?: string[]): string {
  const methods = rpcMethods ? `, rpcMethods: [${rpcMethods.join(', ')}]` : '';
  const yaml = [
    `id: ${id}`,
    `name: Dependent ${id}`,
    'version: "1.0.0"',
    `image: ${helloImage('1.0.0')}`,
    'command: ["/bin/sh", "-c", "exec sleep 1000000"]',
    'stopTimeout: 2s',
    'dependencies:',
    `  - { id: bitcoin-node, requires: healthy${methods} }`,
  ].join('\n');
  const path = join(dir, `${id}.yml`);
  writeFileSync(path, `${yaml}\n`);
  return path;
}

/**
 * getblockchaininfo from inside `container`, as `user` with `password` — or, without a password,
 * with the login the dependent was given (its env names the user and the file). Returns wget's
 * output: the JSON answer, or its error line (e.g. "401 Unauthorized").
 */
async function rpcFrom(container: string, login?: { user: string; password: string }): Promise<string> {
  const script =
    'user="${1:-$ARCHY_DEP_BITCOIN_NODE_RPC_USER}"; pass="${2:-$(cat "$ARCHY_DEP_BITCOIN_NODE_RPC_PASSWORD_FILE")}"; ' +
    `wget -q -O - --post-data '{"jsonrpc":"1.0","id":"t","method":"getblockchaininfo","params":[]}' ` +
    '"http://$user:$pass@$ARCHY_DEP_BITCOIN_NODE_HOST:$ARCHY_DEP_BITCOIN_NODE_RPC_PORT/" 2>&1 || true';
  return podman([
    'exec',
    `archy-${container}`,
    'sh',
    '-c',
    script,
    'rpc',
    login?.user ?? '',
    login?.password ?? '',
  ]);
}

const passwordIn = (container: string): Promise<string> =>
  podman(['exec', `archy-${container}`, 'cat', SECRET_FILES]).then((text) => text.trim());

/** Everything a dependent can see of its secrets and env. */
const visibleTo = (container: string): Promise<string> =>
  podman(['exec', `archy-${container}`, 'sh', '-c', 'cat /run/secrets/* 2>/dev/null; env']);

const debugLog = (daemon: TestDaemon, id: string): Promise<string> =>
  readAsContainerUser(join(daemon.dataDir, 'apps', id, 'bitcoin', 'regtest', 'debug.log'));

/** The arguments of the node's most recent start, as the double logs them (quotes dropped). */
async function lastStartArgs(daemon: TestDaemon, id: string): Promise<string[]> {
  // The double opens each run's part of debug.log with blank lines, then its version line.
  const runs = (await debugLog(daemon, id)).split('\n\n\n\n\n');
  const last = runs[runs.length - 1]!;
  return [...last.matchAll(/Command-line arg: (.*)$/gm)].map((match) => match[1]!.replaceAll('"', ''));
}

describe('per-dependent Bitcoin RPC credentials', () => {
  let daemon: TestDaemon;
  let manifests: string;
  const first = uniqueAppId('rpc-dep-a');
  const second = uniqueAppId('rpc-dep-b');
  let firstPassword = '';

  beforeAll(async () => {
    manifests = tempDataDir('credential-manifests');
    daemon = await startDaemon({
      dataDir: tempDataDir('credentials'),
      env: { ARCHY_APPS_DIR: await bitcoinAppsWithExports() },
    });
    // 28.4 → Knots 29.3 → Core 31.0: each switch an upgrade of the numeric base, as versions-switch.test.ts.
    await daemon.cliJson<AppStatus>(['install', 'bitcoin-core', '--version', '28.4']);
  }, 300_000);

  afterAll(async () => {
    for (const id of [first, second]) await daemon?.cli(['remove', id, '--purge', '--yes']);
    for (const id of ['bitcoin-core', 'bitcoin-knots']) await daemon?.cli(['remove', id, '--purge', '--yes']);
    await daemon?.stop();
  }, 300_000);

  it('gives each dependent its own login, which the node accepts over their network', async () => {
    await daemon.cliJson<AppStatus>(['install', writeDependent(manifests, first)]);
    await daemon.cliJson<AppStatus>([
      'install',
      writeDependent(manifests, second, ['getblockchaininfo', 'getblock']),
    ]);

    for (const id of [first, second]) {
      const env = await podman(['exec', `archy-${id}`, 'env']);
      expect(env).toContain(`ARCHY_DEP_BITCOIN_NODE_RPC_USER=archy-${id}`);
      expect(env).toContain('ARCHY_DEP_BITCOIN_NODE_CHAIN=regtest');
      expect(env).toContain(`ARCHY_DEP_BITCOIN_NODE_ZMQ_RAWBLOCK=tcp://bitcoin-node:${ZMQ.rawblock}`);
      expect(env).toContain(`ARCHY_DEP_BITCOIN_NODE_RPC_PASSWORD_FILE=${SECRET_FILES}`);
      expect(env).toContain('ARCHY_DEP_BITCOIN_NODE_RPC_COOKIE_FILE=/run/secrets/bitcoin-node-rpc-cookie');
      const answer = await rpcFrom(id);
      expect(answer).toContain('"chain":"regtest"');
      const cookie = await podman(['exec', `archy-${id}`, 'cat', '/run/secrets/bitcoin-node-rpc-cookie']);
      expect(cookie.trim()).toBe(`archy-${id}:${await passwordIn(id)}`);
    }
    firstPassword = await passwordIn(first);
    expect(firstPassword).not.toBe(await passwordIn(second));
  });

  it("refuses one dependent's password under another's user", async () => {
    const answer = await rpcFrom(second, { user: `archy-${second}`, password: firstPassword });
    expect(answer).toContain('401');
    expect(answer).not.toContain('"chain"');
  });

  it("never hands out the node's admin password, nor shows a password in podman inspect", async () => {
    const info = await daemon.cliJson<ConnectionInfo>(['connection', 'bitcoin-core', '--reveal']);
    const admin = info.interfaces
      .find((entry) => entry.name === 'bitcoin-node')!
      .credentials.find((credential) => credential.name === 'RPC password')!.value!;
    expect(admin.length).toBeGreaterThan(20);
    const hidden = await daemon.cliJson<ConnectionInfo>(['connection', 'bitcoin-core']);
    expect(JSON.stringify(hidden)).not.toContain(admin);
    for (const id of [first, second]) {
      expect(await visibleTo(id)).not.toContain(admin);
      const inspect = await podman(['inspect', `archy-${id}`]);
      expect(inspect).not.toContain(await passwordIn(id));
      expect(inspect).not.toContain(admin);
    }
    const node = await podman(['inspect', 'archy-bitcoin-core']);
    for (const secret of [admin, await passwordIn(first), await passwordIn(second)])
      expect(node).not.toContain(secret);
    // The dependent's own login, revealed on request (and audited).
    const own = await daemon.cliJson<ConnectionInfo>(['connection', first, '--reveal']);
    expect(own.interfaces[0]).toMatchObject({ name: 'bitcoin-node', provider: 'bitcoin-core' });
    expect(JSON.stringify(own)).toContain(firstPassword);
    const audit = readFileSync(join(daemon.dataDir, 'audit', 'audit.log'), 'utf8');
    expect(audit).toContain('package.connection-info');
  });

  it('starts the node with -rpcwhitelist for the dependent that named its methods, and -zmqpub per topic', async () => {
    const args = await lastStartArgs(daemon, 'bitcoin-core');
    expect(args).toContain(`rpcwhitelist=archy-${second}:getblockchaininfo,getblock`);
    expect(args).toContain('rpcwhitelistdefault=0');
    for (const [topic, port] of Object.entries(ZMQ))
      expect(args).toContain(`zmqpub${topic}=tcp://0.0.0.0:${port}`);
    expect(args.filter((arg) => arg.startsWith('rpcauth='))).toHaveLength(3);
  });

  it('rotates a login: the old password is refused, the new one works', async () => {
    const rotated = await daemon.cliJson<RotateCredentialsResult>(['credentials', 'rotate', first]);
    expect(rotated.rotated).toEqual([
      { interface: 'bitcoin-node', provider: 'bitcoin-core', user: `archy-${first}` },
    ]);
    expect(rotated.restarted).toContain('bitcoin-core');
    const fresh = await passwordIn(first);
    expect(fresh).not.toBe(firstPassword);
    expect(await rpcFrom(first, { user: `archy-${first}`, password: firstPassword })).toContain('401');
    expect(await rpcFrom(first)).toContain('"chain":"regtest"');
    firstPassword = fresh;
  });

  it("removes a dependent's login with it", async () => {
    const secondPassword = await passwordIn(second);
    const removed = await daemon.cli(['remove', second]);
    expect(removed.code, removed.stderr).toBe(0);
    expect(existsSync(join(daemon.dataDir, 'secrets', second, 'bitcoin-rpc-password.enc'))).toBe(false);
    // The node was recreated without it: its login no longer opens the node (tried from the other dependent).
    expect(await rpcFrom(first, { user: `archy-${second}`, password: secondPassword })).toContain('401');
    expect(await rpcFrom(first)).toContain('"chain":"regtest"');
    const args = await lastStartArgs(daemon, 'bitcoin-core');
    expect(args.filter((arg) => arg.startsWith('rpcauth='))).toHaveLength(2);
    expect(args.some((arg) => arg.startsWith('rpcwhitelist='))).toBe(false);
  });

  it('keeps the login across a switch to Knots and back: the dependent follows the node', async () => {
    const toKnots = await daemon.cli(['switch', 'bitcoin-core', 'bitcoin-knots', '--confirm-switch'], {
      timeoutMs: 240_000,
    });
    expect(toKnots.code, toKnots.stderr).toBe(0);
    expect(await passwordIn(first)).toBe(firstPassword);
    expect(await rpcFrom(first)).toContain('"chain":"regtest"');
    expect(await debugLog(daemon, 'bitcoin-knots')).toContain('Bitcoin Knots version');
    const status = await daemon.cliJson<AppStatus>(['status', first]);
    expect(status.state).toBe('running');

    const back = await daemon.cli(
      ['switch', 'bitcoin-knots', 'bitcoin-core', '--version', '31.0', '--confirm-switch'],
      {
        timeoutMs: 240_000,
      },
    );
    expect(back.code, back.stderr).toBe(0);
    expect(await passwordIn(first)).toBe(firstPassword);
    expect(await rpcFrom(first)).toContain('"chain":"regtest"');
  }, 600_000);
});
