// Helpers for the version tests: Bitcoin app manifests for regtest with the bitcoind TEST DOUBLE
// (their images in the test repository 127.0.0.1:5000/archy-test/, as the tests' catalog lists
// them), the datadir read through `podman unshare`, and a lock so only one test file at a time uses
// the app ids bitcoin-core / bitcoin-knots (container names are per Podman user, not per daemon).

import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll } from 'vitest';
import { freePort, tempDataDir } from '../support/index.js';
import { podman } from '../support/podman-cli.js';
import { testDefaultVersion, testReleaseImage } from '../support/test-catalog.js';

const run = promisify(execFile);
const REPO_APPS = fileURLToPath(new URL('../../../apps/', import.meta.url));
export const BITCOIN_APPS = ['bitcoin-core', 'bitcoin-knots'] as const;

/**
 * An apps dir with the real Core/Knots manifests turned to regtest and made quick: small
 * resources, free host ports, a short health check that asks the node through bitcoin-cli.
 * `failHealthOn` names a version whose health check never passes (a failed upgrade, on purpose).
 * `tor` keeps the manifests' `tor:` block (default on Tor, with its own Tor container); without
 * it the nodes run on clearnet, as the tests that are not about Tor expect.
 */
export async function writeBitcoinApps(
  options: { prune?: number; failHealthOn?: string; tor?: boolean } = {},
): Promise<string> {
  const dir = tempDataDir('bitcoin-apps');
  const rpcPort = await freePort();
  // Two quick calls can get the same port back (it is free again once probed): insist on another.
  let p2pPort = await freePort();
  while (p2pPort === rpcPort) p2pPort = await freePort();
  for (const id of BITCOIN_APPS) {
    const manifest = testBitcoinManifest(id);
    const command = manifest.command as string[];
    manifest.command = [...command, '-regtest', ...(options.prune ? [`-prune=${options.prune}`] : [])];
    manifest.ports = [
      { container: 18444, host: p2pPort, expose: 'local' },
      { container: 18443, host: rpcPort, expose: 'local' },
    ];
    manifest.resources = { memory: '128M' };
    manifest.stopTimeout = '10s';
    const ask = 'exec bitcoin-cli -regtest -datadir=/data getblockchaininfo';
    const check = options.failHealthOn
      ? `[ "$(cat /etc/bitcoind-double/version)" != "${options.failHealthOn}" ] && ${ask}`
      : ask;
    manifest.health = {
      exec: { command: ['/bin/sh', '-c', check] },
      interval: '1s',
      timeout: '5s',
      startPeriod: '3s',
      retries: 2,
    };
    (manifest.bitcoin as Record<string, unknown>).network = 'regtest';
    if (!options.tor) delete manifest.tor;
    mkdirSync(join(dir, id));
    writeFileSync(join(dir, id, 'manifest.yml'), stringify(manifest));
  }
  return dir;
}

/**
 * The repo's manifest of a Bitcoin app with its image in the test repository at the tests'
 * default version (127.0.0.1:5000/archy-test/bitcoin-core:31.0): the production manifest names
 * the product's own image, which a test must never build, pull or run.
 */
export function testBitcoinManifest(id: (typeof BITCOIN_APPS)[number]): Record<string, unknown> {
  const manifest = parse(readFileSync(join(REPO_APPS, id, 'manifest.yml'), 'utf8')) as Record<
    string,
    unknown
  >;
  const version = testDefaultVersion(id);
  manifest.version = version;
  manifest.image = testReleaseImage(id, version);
  return manifest;
}

/** `cat` of a file in a container-owned datadir. */
export async function readAsContainerUser(path: string): Promise<string> {
  const { stdout } = await run('podman', ['unshare', 'cat', path]);
  return stdout;
}

/**
 * A digest per file of the chain data under `datadir` (read through podman unshare), leaving out
 * what bitcoind rewrites on every start and stop (debug.log, .cookie, .lock, bitcoind.pid), the
 * double's own bookkeeping, and our marker: what must never change or be lost.
 */
export async function datadirDigest(datadir: string): Promise<string> {
  const script =
    'cd "$1" && find . -type f ! -name debug.log ! -name .cookie ! -name .lock ! -name bitcoind.pid ' +
    "! -name bitcoind-double.state ! -name settings.json ! -name '.archipelago-version.json' -exec sha256sum {} + | sort";
  const { stdout } = await run('podman', ['unshare', 'sh', '-c', script, 'digest', datadir]);
  return stdout;
}

/** The Bitcoin containers running now, by name (podman ps), to assert only one ever runs. */
export async function runningBitcoinContainers(): Promise<string[]> {
  const out = await podman(['ps', '--format', '{{.Names}}']);
  return out
    .split('\n')
    .map((line) => line.trim())
    .filter((name) => name === 'archy-bitcoin-core' || name === 'archy-bitcoin-knots');
}

const LOCK = join(tmpdir(), 'archy-test-bitcoin-apps.lock');

/**
 * For a test file that uses the bitcoin-* app ids (container names are per Podman user, so one
 * file at a time): holds the cross-file lock for the whole file, and first clears containers a
 * killed run left behind. Call at the file's top level, before its own hooks.
 */
export function holdBitcoinAppsForFile(): void {
  let release: (() => void) | undefined;
  beforeAll(async () => {
    release = await lockBitcoinApps();
    await removeStaleBitcoinContainers();
  }, 900_000);
  afterAll(() => release?.());
}

/** Takes the cross-file lock on the bitcoin-* app ids; returns its release. */
export async function lockBitcoinApps(timeoutMs = 900_000): Promise<() => void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      mkdirSync(LOCK);
      writeFileSync(join(LOCK, 'pid'), String(process.pid));
      return () => rmSync(LOCK, { recursive: true, force: true });
    } catch {
      const holder = Number(existsSync(join(LOCK, 'pid')) ? readFileSync(join(LOCK, 'pid'), 'utf8') : 'NaN');
      if (Number.isFinite(holder) && !isAlive(holder)) rmSync(LOCK, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`${LOCK} is held by another test file`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Removes leftovers of an earlier test that died: archy-bitcoin-* containers and networks whose
 * daemon's data dir was a test's (under the temp dir). Anything else with those names is left alone.
 */
export async function removeStaleBitcoinContainers(): Promise<void> {
  for (const id of BITCOIN_APPS) {
    const owner = await podman([
      'inspect',
      '--format',
      '{{index .Config.Labels "io.archipelago.data-dir"}}',
      `archy-${id}`,
    ]).catch(() => '');
    if (owner.trim().startsWith(join(tmpdir(), 'archy-test-'))) {
      await podman(['rm', '-f', '--depend', '-t', '1', `archy-${id}`]).catch(() => undefined);
    }
    // The app's network too: a test that failed half-way leaves it, and the next daemon must not adopt it.
    const networkOwner = await podman([
      'network',
      'inspect',
      '--format',
      '{{index .Labels "io.archipelago.data-dir"}}',
      `archy-${id}`,
    ]).catch(() => '');
    if (networkOwner.trim().startsWith(join(tmpdir(), 'archy-test-'))) {
      await podman(['network', 'rm', '-f', `archy-${id}`]).catch(() => undefined);
    }
  }
}
