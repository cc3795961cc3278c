// `archy parmanode discover|adopt|release` end to end: a fake home laid out as Parmanode leaves it
// (.parmanode/installed.conf and parmanode.conf, an "external drive" folder standing for
// /media/<user>/parmanode with .bitcoin in it, ~/.bitcoin a link to it, Parmanode's bitcoin.conf),
// its datadir written by the bitcoind TEST DOUBLE run on the host as the Parmanode node (a process
// of the test user, as Parmanode's bitcoind runs), a real daemon and real rootless Podman.

import { spawn, type ChildProcess } from 'node:child_process';
import {
  lstatSync,
  mkdirSync,
  readdirSync,
  realpathSync,
  statSync,
  symlinkSync,
  writeFileSync,
  existsSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppStatus } from '../../src/api/contract.js';
import type { DiscoveryReport } from '../../src/parmanode/index.js';
import { freePort, tempDataDir, waitFor } from '../support/index.js';
import { podman } from '../support/podman-cli.js';
import { startDaemon, type TestDaemon } from '../support/daemon-harness.js';
import { compileBitcoindDouble } from '../support/bitcoind-double-images.js';
import { trackProcess } from '../support/test-processes.js';
import { datadirDigest, holdBitcoinAppsForFile, writeBitcoinApps } from './bitcoin-apps.js';

holdBitcoinAppsForFile();

const ID = 'bitcoin-core';
const CONTAINER = `archy-${ID}`;
const me = { uid: process.getuid!(), gid: process.getgid!() };

/** Every entry under `dir` (itself included) not owned by the test user; lstat never follows a link. */
function notMine(dir: string): string[] {
  const found: string[] = [];
  const visit = (path: string) => {
    const info = lstatSync(path);
    if (info.uid !== me.uid || info.gid !== me.gid) found.push(path);
    if (info.isDirectory()) for (const name of readdirSync(path)) visit(join(path, name));
  };
  visit(dir);
  return found;
}

const containerExists = async (): Promise<boolean> =>
  (await podman(['ps', '-a', '--filter', `name=^${CONTAINER}$`, '--format', '{{.Names}}'])).trim() !== '';

describe('archy parmanode discover, adopt and release', () => {
  let daemon: TestDaemon | undefined;
  let apps: string;
  let dataDir: string;
  let home: string;
  let drive: string;
  let datadir: string;
  let host: ChildProcess | undefined;
  let hostRpcPort: number;

  /** Parmanode's bitcoind on the host: the double (29.3) as a process of ours on the datadir, via the link. */
  async function startHostBitcoind(): Promise<ChildProcess> {
    const binary = await compileBitcoindDouble();
    const versionFile = join(home, 'double-version');
    writeFileSync(versionFile, '29.3\n');
    const child = spawn(binary, [`-datadir=${join(home, '.bitcoin')}`, `-rpcport=${hostRpcPort}`], {
      env: { ...process.env, BITCOIND_DOUBLE_VERSION_FILE: versionFile },
      stdio: 'ignore',
    });
    trackProcess(child, 'the host bitcoind double');
    await waitFor(() => existsSync(join(datadir, 'regtest', 'bitcoind.pid')), {
      what: 'the host bitcoind to start',
      timeoutMs: 20_000,
      intervalMs: 100,
    });
    return child;
  }

  beforeAll(async () => {
    apps = await writeBitcoinApps();
    dataDir = tempDataDir('parmanode-adopt');
    home = tempDataDir('parmanode-home');
    // Stands for /media/<user>/parmanode, the external drive Parmanode formats and mounts.
    drive = tempDataDir('parmanode-drive');
    datadir = join(drive, '.bitcoin');
    mkdirSync(join(home, '.parmanode'));
    writeFileSync(
      join(home, '.parmanode', 'installed.conf'),
      'parmanode-end\nbitcoin-start\nbitcoin-end\nelectrs-end\n',
    );
    writeFileSync(join(home, '.parmanode', 'parmanode.conf'), 'drive=external\ndrive_electrs=external\n');
    mkdirSync(datadir, { mode: 0o700 });
    mkdirSync(join(drive, 'electrs_db'));
    symlinkSync(`${datadir}/`, join(home, '.bitcoin'));
    // Parmanode's bitcoin.conf (make_bitcoin_conf.sh), on regtest.
    writeFileSync(
      join(datadir, 'bitcoin.conf'),
      'server=1\ntxindex=1\ndaemon=1\nrpcuser=parman\nrpcpassword=parman\nregtest=1\n',
    );
    hostRpcPort = await freePort();
    daemon = await startDaemon({ dataDir, env: { ARCHY_APPS_DIR: apps } });
    host = await startHostBitcoind();
  }, 120_000);

  afterAll(async () => {
    if (host && host.exitCode === null) host.kill('SIGKILL');
    await daemon?.stop();
    await podman(['rm', '-f', '-t', '1', CONTAINER]).catch(() => undefined);
    await podman(['network', 'rm', '-f', CONTAINER]).catch(() => undefined);
    // The drive may still belong to a container user when a test failed half-way.
    for (const dir of [drive, home, dataDir]) {
      if (dir) await podman(['unshare', 'rm', '-rf', dir]).catch(() => undefined);
    }
  });

  it('discover: finds the datadir behind ~/.bitcoin, its version, the running bitcoind, and what adoption would do', async () => {
    const report = JSON.parse(
      (await daemon!.cli(['parmanode', 'discover', '--home', home, '--json'])).stdout,
    ) as DiscoveryReport;
    expect(report.parmanode).toBe(true);
    expect(report.bitcoin).toMatchObject({
      datadir: realpathSync(datadir),
      link: join(home, '.bitcoin'),
      drive: 'external',
      implementation: 'core',
      version: '29.3.0',
      network: 'regtest',
      owner: me,
      running: { pid: host!.pid, found: 'pidfile' },
    });
    expect(report.bitcoin!.notes.join('\n')).toContain('daemon=1');
    expect(report.plan.map((p) => [p.app, p.action])).toEqual([
      ['parmanode', 'nothing-to-do'],
      ['bitcoin', 'adopt'],
      ['electrs', 'not-adopted'],
    ]);
    expect(report.plan[2]!.dataDirs).toEqual([join(realpathSync(drive), 'electrs_db')]);

    const text = await daemon!.cli(['parmanode', 'discover', '--home', home]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(
      `Bitcoin datadir: ${realpathSync(datadir)} (external drive, linked from ${join(home, '.bitcoin')})`,
    );
    expect(text.stdout).toContain('Bitcoin Core 29.3.0');
    expect(text.stdout).toContain(`bitcoind is running (pid ${host!.pid})`);
    expect(text.stdout).toContain('bitcoin: adopt as bitcoin-core');
  });

  it('adopt: refused without confirmation, and an older version than the datadir’s is refused, nothing changed', async () => {
    const before = await datadirDigest(datadir);
    const unconfirmed = await daemon!.cli(['parmanode', 'adopt', '--home', home]);
    expect(unconfirmed.code).not.toBe(0);
    expect(unconfirmed.stderr).toContain('--yes');

    const older = await daemon!.cli(['parmanode', 'adopt', '--home', home, '--yes', '--version', '28.4']);
    expect(older.code).not.toBe(0);
    expect(older.stderr).toMatch(/29\.3/);
    expect(older.stderr).toContain('Nothing was adopted or changed');

    expect(host!.exitCode).toBeNull(); // the host node still runs
    expect(await daemon!.cliJson<AppStatus[]>(['list'])).toEqual([]);
    expect(await containerExists()).toBe(false);
    expect(notMine(datadir)).toEqual([]);
    expect(await datadirDigest(datadir)).toBe(before);
  });

  it('adopt --yes: stops the host bitcoind over RPC and runs the node on the same folder, in place', async () => {
    const inode = statSync(datadir).ino;
    const before = await datadirDigest(datadir);
    const adopted = await daemon!.cli(['parmanode', 'adopt', '--home', home, '--yes', '--json'], {
      timeoutMs: 180_000,
    });
    expect(adopted.code, adopted.stderr).toBe(0);
    const result = JSON.parse(adopted.stdout) as { version: string; status: AppStatus; stopped: unknown[] };
    expect(result.version).toBe('29.3');
    expect(result.stopped).toEqual([{ kind: 'process', name: `bitcoind -datadir=${realpathSync(datadir)}` }]);
    expect(host!.exitCode ?? host!.signalCode).not.toBeNull();

    const status = await waitFor(
      async () => {
        const now = await daemon!.cliJson<AppStatus>(['status', ID]);
        return now.health === 'healthy' ? now : undefined;
      },
      { what: 'the adopted node to be healthy', timeoutMs: 60_000, intervalMs: 250 },
    );
    expect(status.adopted).toMatchObject({
      source: { kind: 'parmanode', home, entry: 'bitcoin' },
      volumes: { bitcoin: realpathSync(datadir) },
      originalOwner: me,
    });
    // No copy: the container mounts that very folder.
    expect(statSync(datadir).ino).toBe(inode);
    const mounts = JSON.parse(await podman(['inspect', '--format', '{{json .Mounts}}', CONTAINER])) as Array<{
      Source: string;
      Destination: string;
    }>;
    expect(mounts.find((m) => m.Destination === '/data')?.Source).toBe(realpathSync(datadir));
    expect(statSync(datadir).uid).not.toBe(me.uid); // the container's user has it now
    expect(existsSync(join(dataDir, 'apps', ID, 'bitcoin'))).toBe(false);
    // Its chain is the one it had.
    expect(await datadirDigest(datadir)).toBe(before);
  });

  it('remove --purge (and a plain remove) of an adopted app are refused', async () => {
    for (const args of [
      ['remove', ID, '--purge', '--yes'],
      ['remove', ID],
    ]) {
      const refused = await daemon!.cli(args);
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toContain('archy parmanode release');
    }
    expect((await daemon!.cliJson<AppStatus>(['status', ID])).state).toBe('running');
  });

  it('release: the app and its container go, the data stays where it was, ours again and unchanged', async () => {
    const before = await datadirDigest(datadir);
    const released = await daemon!.cli(['parmanode', 'release', '--yes'], { timeoutMs: 120_000 });
    expect(released.code, released.stderr).toBe(0);
    expect(released.stdout).toContain(`released ${ID}`);
    expect(await daemon!.cliJson<AppStatus[]>(['list'])).toEqual([]);
    expect(await containerExists()).toBe(false);
    expect(notMine(datadir)).toEqual([]);
    expect(existsSync(join(datadir, '.archipelago-version.json'))).toBe(false);
    expect(await datadirDigest(datadir)).toBe(before);
    expect(realpathSync(join(home, '.bitcoin'))).toBe(realpathSync(datadir));
  });

  it('a daemon killed in the middle of adopt (the node running on the data) rolls it back at boot and gives the data back', async () => {
    const before = await datadirDigest(datadir);
    await daemon!.stop();
    daemon = await startDaemon({
      dataDir,
      env: { ARCHY_APPS_DIR: apps, ARCHY_TEST_PAUSE_AT: 'adopt-running' },
    });
    const cli = daemon.spawnCli(['parmanode', 'adopt', '--home', home, '--yes']);
    await waitFor(() => daemon!.log().includes('paused at adopt-running'), {
      what: 'adopt to reach the pause',
      timeoutMs: 120_000,
      intervalMs: 200,
    });
    expect(statSync(datadir).uid).not.toBe(me.uid);
    await daemon.kill();
    cli.kill('SIGKILL');
    daemon = await startDaemon({ dataDir, env: { ARCHY_APPS_DIR: apps }, readyTimeoutMs: 120_000 });
    expect(await daemon.cliJson<AppStatus[]>(['list'])).toEqual([]);
    expect(await containerExists()).toBe(false);
    expect(notMine(datadir)).toEqual([]);
    expect(await datadirDigest(datadir)).toBe(before);
  });
});
