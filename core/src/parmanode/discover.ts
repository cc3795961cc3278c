// `archy parmanode discover`: what a Parmanode node left on this machine, read by the CLI (which
// runs as the Parmanode user and can read their home; the daemon may not). Reads files and /proc
// and asks systemctl; changes nothing.
//
// Facts from Parmanode's source (github.com/ArmanTheParman/Parmanode): Bitcoin's datadir is
// `~/.bitcoin`; on an external drive it is `/media/<user>/parmanode/.bitcoin` and `~/.bitcoin` is
// a symlink to it (make_bitcoin_symlinks.sh); its systemd unit is `bitcoind.service`, with
// `-pid=/run/bitcoind/bitcoind.pid -datadir=$HOME/.bitcoin` (make_bitcoind_service_file.sh);
// electrs' is `electrs.service`, its index `~/.electrs_db` or `<drive>/electrs_db`; Fulcrum's
// `~/.fulcrum_db` or `<drive>/fulcrum_db`; LND's data `~/.lnd`.

import { execFile } from 'node:child_process';
import { lstat, readFile, readdir, readlink, realpath, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { inspectDatadir, NETWORK_SUBDIRS, parseBitcoinConf } from '../bitcoin/index.js';
import type { ChainNetwork } from '../manifest/index.js';
import { planAdoption, type AppPlan } from './adoption-plan.js';
import { parseInstalledConf, parseParmanodeConf, type InstalledEntry } from './parmanode-conf.js';

const run = promisify(execFile);

/** Parmanode's systemd unit per installed.conf app (the ones that run on the host). */
export const PARMANODE_UNITS: Record<string, string> = {
  bitcoin: 'bitcoind.service',
  electrs: 'electrs.service',
  fulcrum: 'fulcrum.service',
  lnd: 'lnd.service',
};

export interface UnitState {
  unit: string;
  app: string;
  /** `systemctl show` answered: whether the unit is loaded, running, enabled at boot. */
  loaded: boolean;
  active: boolean;
  enabled: boolean;
}

export interface BitcoinFindings {
  /** The datadir's real path (no link in it): what adoption binds. */
  datadir: string;
  /** `~/.bitcoin` when it is a symlink to the datadir (an external drive). */
  link?: string;
  drive: 'external' | 'internal';
  implementation?: 'core' | 'knots';
  /** The last `Bitcoin Core version vX` banner in debug.log (the last version that tried to start). */
  version?: string;
  network: ChainNetwork;
  /** prune in MiB (0: off), from bitcoin.conf or settings.json. */
  prune: number;
  owner: { uid: number; gid: number };
  /** A bitcoind running on this datadir now. */
  running?: { pid: number; found: 'pidfile' | 'process' };
  /** What in its bitcoin.conf matters once Archipelago runs it. */
  notes: string[];
}

export interface DiscoveryReport {
  home: string;
  /** `~/.parmanode/installed.conf` was found. */
  parmanode: boolean;
  installed: InstalledEntry[];
  /** parmanode.conf's drive settings (drive, drive_electrs, drive_fulcrum). */
  drives: Record<string, string>;
  bitcoin?: BitcoinFindings;
  /** systemd's view of Parmanode's units; `systemd: false` when systemctl cannot ask (no systemd). */
  systemd: boolean;
  units: UnitState[];
  /** Unit files present in /etc/systemd/system (what systemd would run at boot). */
  unitFiles: string[];
  plan: AppPlan[];
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

const exists = (path: string): Promise<boolean> =>
  stat(path).then(
    () => true,
    () => false,
  );

/** Where the Bitcoin datadir is: `~/.bitcoin` (a folder, or the link to the drive), else the drive's folder. */
export async function locateBitcoinDatadir(
  home: string,
  drives: Record<string, string>,
): Promise<Pick<BitcoinFindings, 'datadir' | 'link' | 'drive'> | undefined> {
  const link = join(home, '.bitcoin');
  const info = await lstat(link).catch(() => undefined);
  if (info?.isSymbolicLink()) {
    const target = resolve(home, await readlink(link));
    const real = await realpath(target).catch(() => undefined);
    if (real === undefined) return undefined; // the drive is not mounted
    return { datadir: real, link, drive: real.startsWith(home + '/') ? 'internal' : 'external' };
  }
  if (info?.isDirectory()) return { datadir: await realpath(link), drive: 'internal' };
  if (drives.drive === 'external') {
    const onDrive = join('/media', basename(home), 'parmanode', '.bitcoin');
    if (await exists(onDrive)) return { datadir: await realpath(onDrive), drive: 'external' };
  }
  return undefined;
}

/** The other apps' data folders that exist, by installed.conf name. */
async function otherDataDirs(
  home: string,
  drives: Record<string, string>,
  parmanodeDrive: string | undefined,
): Promise<Record<string, string[]>> {
  const onDrive = (setting: string | undefined, name: string, internal: string) =>
    setting === 'external' && parmanodeDrive ? join(parmanodeDrive, name) : join(home, internal);
  const candidates: Record<string, string[]> = {
    electrs: [onDrive(drives.drive_electrs, 'electrs_db', '.electrs_db'), join(home, '.electrs')],
    fulcrum: [onDrive(drives.drive_fulcrum, 'fulcrum_db', '.fulcrum_db'), join(home, '.fulcrum')],
    lnd: [join(home, '.lnd')],
  };
  const found: Record<string, string[]> = {};
  for (const [app, paths] of Object.entries(candidates)) {
    const present: string[] = [];
    for (const path of paths) if (await exists(path)) present.push(path);
    if (present.length > 0) found[app] = present;
  }
  return found;
}

/** A bitcoind running on `datadir`: its pid file, else any bitcoind whose -datadir is it. */
export async function runningBitcoind(
  datadir: string,
  network: ChainNetwork,
  aliases: readonly string[] = [],
): Promise<BitcoinFindings['running']> {
  const pidText = await readText(join(datadir, NETWORK_SUBDIRS[network], 'bitcoind.pid'));
  const pid = Number(pidText?.trim());
  if (Number.isInteger(pid) && pid > 0 && (await isBitcoind(pid))) return { pid, found: 'pidfile' };
  const names = new Set([datadir, ...aliases]);
  for (const entry of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry)) continue;
    const argv = (await readText(`/proc/${entry}/cmdline`).catch(() => undefined))?.split('\0') ?? [];
    if (!argv[0] || basename(argv[0]) !== 'bitcoind') continue;
    for (const arg of argv) {
      const match = /^--?datadir=(.*)$/.exec(arg);
      if (!match) continue;
      const named = match[1]!.replace(/\/+$/, '');
      const real = await realpath(named).catch(() => named);
      if (names.has(named) || names.has(real)) return { pid: Number(entry), found: 'process' };
    }
  }
  return undefined;
}

async function isBitcoind(pid: number): Promise<boolean> {
  const argv0 = (await readText(`/proc/${pid}/cmdline`).catch(() => undefined))?.split('\0')[0];
  return argv0 !== undefined && basename(argv0) === 'bitcoind';
}

/** systemd's view of the units, or undefined when systemctl cannot ask (no systemd, no systemctl). */
export async function unitStates(apps: readonly string[]): Promise<UnitState[] | undefined> {
  const states: UnitState[] = [];
  for (const app of apps) {
    const unit = PARMANODE_UNITS[app];
    if (!unit) continue;
    let stdout: string;
    try {
      ({ stdout } = await run(
        'systemctl',
        ['show', unit, '-p', 'LoadState', '-p', 'ActiveState', '-p', 'UnitFileState'],
        {
          timeout: 10_000,
        },
      ));
    } catch {
      return undefined;
    }
    const field = (name: string) => new RegExp(`^${name}=(.*)$`, 'm').exec(stdout)?.[1] ?? '';
    states.push({
      unit,
      app,
      loaded: field('LoadState') === 'loaded',
      active: ['active', 'activating', 'reloading'].includes(field('ActiveState')),
      enabled: field('UnitFileState').startsWith('enabled'),
    });
  }
  return states;
}

/** What bitcoin.conf asks for that changes once Archipelago runs the node. */
function confNotes(text: string | undefined): string[] {
  if (text === undefined) return [];
  const { top } = parseBitcoinConf(text);
  const notes: string[] = [];
  if (top.get('daemon') === '1')
    notes.push(
      'bitcoin.conf sets daemon=1: Archipelago runs the node with -daemon=0 (the file is not changed)',
    );
  if (top.has('rpcpassword'))
    notes.push(
      "bitcoin.conf sets rpcuser/rpcpassword: they keep working (bitcoind reads the file); Archipelago's apps get logins of their own",
    );
  const rpcport = top.get('rpcport');
  if (rpcport !== undefined && rpcport !== '8332')
    notes.push(
      `bitcoin.conf sets rpcport=${rpcport}; Archipelago publishes the network's default RPC port, so remove it before adopting`,
    );
  return notes;
}

export async function discoverParmanode(home: string): Promise<DiscoveryReport> {
  await checkHome(home);
  const installedText = await readText(join(home, '.parmanode', 'installed.conf'));
  const conf = parseParmanodeConf((await readText(join(home, '.parmanode', 'parmanode.conf'))) ?? '');
  const drives = Object.fromEntries(Object.entries(conf).filter(([key]) => /^drive(_|$)/.test(key)));
  const installed = parseInstalledConf(installedText ?? '');
  const located = await locateBitcoinDatadir(home, drives);
  let bitcoin: BitcoinFindings | undefined;
  if (located) {
    const facts = await inspectDatadir(located.datadir);
    const owner = await stat(located.datadir);
    const running = await runningBitcoind(located.datadir, facts.network, [
      ...(located.link ? [located.link] : []),
      join(home, '.bitcoin'),
    ]);
    bitcoin = {
      ...located,
      ...(facts.lastBanner && {
        implementation: facts.lastBanner.implementation,
        version: facts.lastBanner.version,
      }),
      network: facts.network,
      prune: facts.prune.setting,
      owner: { uid: owner.uid, gid: owner.gid },
      ...(running && { running }),
      notes: confNotes(await readText(join(located.datadir, 'bitcoin.conf'))),
    };
  }
  const parmanodeDrive = located?.drive === 'external' ? dirname(located.datadir) : undefined;
  const dataDirs = await otherDataDirs(home, drives, parmanodeDrive);
  const apps = installed.filter((entry) => entry.state === 'installed').map((entry) => entry.app);
  const units = await unitStates(apps);
  const unitFiles: string[] = [];
  for (const unit of Object.values(PARMANODE_UNITS)) {
    if (await exists(join('/etc/systemd/system', unit))) unitFiles.push(unit);
  }
  return {
    home,
    parmanode: installedText !== undefined,
    installed,
    drives,
    ...(bitcoin && { bitcoin }),
    systemd: units !== undefined,
    units: units ?? [],
    unitFiles,
    plan: planAdoption({
      entries: installed,
      ...(bitcoin && {
        bitcoin: {
          datadir: bitcoin.datadir,
          ...(bitcoin.implementation && { implementation: bitcoin.implementation }),
        },
      }),
      dataDirs,
    }),
  };
}

/** A home that is not a readable folder is a mistake in the command, not "no Parmanode here". */
async function checkHome(home: string): Promise<void> {
  let info;
  try {
    info = await stat(home);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(
      code === 'ENOENT'
        ? `${home} does not exist; give the Parmanode user's home folder with --home`
        : `cannot read ${home}: ${(error as Error).message}; run as the Parmanode user or give --home`,
    );
  }
  if (!info.isDirectory())
    throw new Error(`${home} is not a folder; give the Parmanode user's home folder with --home`);
}
