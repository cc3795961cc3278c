// Reads what a Bitcoin datadir says about the versions that wrote it, without a Bitcoin binary.
//
// Bitcoin datadirs carry no version, so we gather evidence: our own marker (written only after a
// successful start), the last version banners in debug.log (a *failed* start writes one too, so a
// banner is not proof that version ran), and format clues — blocks/xor.dat (28+; a non-zero key
// means 28+ created the datadir) and indexes/coinstatsindex/ (30+). Prune settings come from the
// args we pass, settings.json and bitcoin.conf, in bitcoind's order of precedence.
//
// One file (about 400 lines) on purpose: each clue reader is small and means something only
// beside the others — the verdict weighs marker, banners and format clues together, and the
// reasons it gives quote them side by side. Split apart, the weighing would read its evidence
// through five imports.

import { open, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { ChainNetwork } from '../manifest/index.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import type { XorKeyState } from './downgrade-rules.js';
import { parseBitcoinVersion, type BitcoinImplementation } from './version.js';

export const VERSION_MARKER_FILE = '.archipelago-version.json';
/** debug.log grows without bound on a long-running node; banners of recent starts sit at its end. */
export const DEBUG_LOG_TAIL_BYTES = 1024 * 1024;
const XOR_KEY_BYTES = 8;

/** The subdirectory bitcoind uses for each network (mainnet writes to the datadir itself). */
export const NETWORK_SUBDIRS: Record<ChainNetwork, string> = {
  mainnet: '',
  testnet: 'testnet3',
  testnet4: 'testnet4',
  signet: 'signet',
  regtest: 'regtest',
};

/** bitcoin.conf section names per network. */
const CONF_SECTIONS: Record<ChainNetwork, string> = {
  mainnet: 'main',
  testnet: 'test',
  testnet4: 'testnet4',
  signet: 'signet',
  regtest: 'regtest',
};

const CHAIN_NAMES: Record<string, ChainNetwork> = {
  main: 'mainnet',
  test: 'testnet',
  testnet4: 'testnet4',
  signet: 'signet',
  regtest: 'regtest',
};

const versionMarkerSchema = z.object({
  schema: z.literal(1),
  implementation: z.enum(['core', 'knots']),
  version: z.string().min(1),
  network: z.enum(['mainnet', 'testnet', 'testnet4', 'signet', 'regtest']),
  writtenAt: z.string(),
  appId: z.string().optional(),
  /**
   * The version the run this marker records printed in debug.log, when it differs from `version`
   * (a catalog `27.2` whose binary says `v27.99.0-…`): later banners of that build are this version.
   */
  banner: z.string().optional(),
});
export type VersionMarker = z.infer<typeof versionMarkerSchema>;
/** What the daemon says when it writes a marker; the time is added on writing. */
export type MarkerEntry = Omit<VersionMarker, 'schema' | 'writtenAt'>;

export interface VersionBanner {
  implementation: BitcoinImplementation;
  /** As printed, without the leading `v`: `28.1.0`, `29.1.knots20250903`. */
  version: string;
  /** The line's timestamp (ISO, as logged: whole seconds unless -logtimemicros); absent with -logtimestamps=0. */
  at?: string;
}

export interface PruneFacts {
  /** The prune setting in MiB: 0 off, 1 manual pruning, more is a target size. */
  setting: number;
  source: 'args' | 'settings.json' | 'bitcoin.conf' | 'default';
  /** The datadir's block files were pruned already (blk00000.dat is gone while later ones exist). */
  blockFilesPruned: boolean;
  /** Either of the above: this node cannot rebuild its chainstate from local blocks. */
  pruned: boolean;
}

export interface DatadirFacts {
  datadir: string;
  exists: boolean;
  network: ChainNetwork;
  /** Every network with a subdirectory here (mainnet when blocks/ sits at the top). */
  networksPresent: ChainNetwork[];
  marker?: VersionMarker;
  /** Why a marker file that exists could not be read. */
  markerProblem?: string;
  /** The last banner in debug.log: the last version that *tried* to start. */
  lastBanner?: VersionBanner;
  /** All banners found in the tail of debug.log, oldest first. */
  banners: VersionBanner[];
  xorKey: XorKeyState;
  /** When blocks/xor.dat was last written (ISO), when it exists: a marker written later has seen it. */
  xorKeySince?: string;
  coinstatsIndex: boolean;
  /** When indexes/coinstatsindex/ was created (its mtime, ISO), when it exists. */
  coinstatsIndexSince?: string;
  /** blocks/ exists for the network: the chain was (at least partly) downloaded. */
  hasBlocks: boolean;
  prune: PruneFacts;
}

export interface InspectOptions {
  /** The network the manifest runs; without it, it is read from args and bitcoin.conf. */
  network?: ChainNetwork;
  /** The arguments we pass to bitcoind (the manifest's command), e.g. ["-prune=550"]. */
  args?: readonly string[];
  debugLogTailBytes?: number;
}

export async function inspectDatadir(datadir: string, options: InspectOptions = {}): Promise<DatadirFacts> {
  const args = parseArgs(options.args ?? []);
  const conf = parseBitcoinConf((await readTextIfExists(join(datadir, 'bitcoin.conf'))) ?? '');
  const network = options.network ?? networkFrom(args) ?? networkFrom(conf.top) ?? 'mainnet';
  const netDir = join(datadir, NETWORK_SUBDIRS[network]);
  const { marker, problem } = await readVersionMarker(datadir);
  const banners = await readBanners(
    join(netDir, 'debug.log'),
    options.debugLogTailBytes ?? DEBUG_LOG_TAIL_BYTES,
  );
  const settings = await readSettingsJson(join(netDir, 'settings.json'));
  const blocks = await listBlockFiles(join(netDir, 'blocks'));
  const prune = pruneFacts(args, settings, conf, network, blocks);
  const xorKey = await readXorKey(join(netDir, 'blocks', 'xor.dat'));
  const xorSince = await modifiedAt(join(netDir, 'blocks', 'xor.dat'));
  const coinstatsSince = await directoryModifiedAt(join(netDir, 'indexes', 'coinstatsindex'));

  return {
    datadir,
    exists: await isDirectory(datadir),
    network,
    networksPresent: await networksPresent(datadir),
    ...(marker && { marker }),
    ...(problem !== undefined && { markerProblem: problem }),
    ...(banners.length > 0 && { lastBanner: banners[banners.length - 1]! }),
    banners,
    xorKey,
    ...(xorKey !== 'absent' && xorSince !== undefined && { xorKeySince: xorSince }),
    coinstatsIndex: coinstatsSince !== undefined,
    ...(coinstatsSince !== undefined && { coinstatsIndexSince: coinstatsSince }),
    hasBlocks: blocks !== undefined,
    prune,
  };
}

// ---------------------------------------------------------------------------------------------
// Our marker

/**
 * Records that `version` ran on this datadir. Call it only after bitcoind started successfully:
 * a failed start leaves its banner in debug.log, and the marker is what tells the two apart.
 */
export async function writeVersionMarker(
  datadir: string,
  entry: MarkerEntry,
  now: Date = new Date(),
): Promise<VersionMarker> {
  const marker = versionMarkerOf(entry, now);
  await writeFileAtomic(join(datadir, VERSION_MARKER_FILE), markerText(marker), 0o644);
  return marker;
}

/** The marker file's text for `entry` written at `now`, for a writer that is not a plain path write. */
export function versionMarkerText(entry: MarkerEntry, now: Date = new Date()): string {
  return markerText(versionMarkerOf(entry, now));
}

const versionMarkerOf = (entry: MarkerEntry, now: Date): VersionMarker => ({
  schema: 1,
  ...entry,
  writtenAt: now.toISOString(),
});

const markerText = (marker: VersionMarker): string => `${JSON.stringify(marker, null, 2)}\n`;

async function readVersionMarker(datadir: string): Promise<{ marker?: VersionMarker; problem?: string }> {
  const path = join(datadir, VERSION_MARKER_FILE);
  const text = await readTextIfExists(path);
  if (text === undefined) return {};
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { problem: `${path} is not JSON; it is ignored and rewritten after the next successful start` };
  }
  const result = versionMarkerSchema.safeParse(json);
  if (!result.success) {
    return {
      problem: `${path} is not a version marker we know; it is ignored and rewritten after the next successful start`,
    };
  }
  return { marker: result.data };
}

// ---------------------------------------------------------------------------------------------
// debug.log

// The timestamp bitcoind puts before each line (-logtimestamps, on by default), when there is one.
const BANNER = /^(?:(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z) )?.*?Bitcoin (Core|Knots) version v?(\S+)/gm;

/** Reads the version banners in the last `tailBytes` of debug.log, oldest first. */
async function readBanners(path: string, tailBytes: number): Promise<VersionBanner[]> {
  const text = await readTail(path, tailBytes);
  if (text === undefined) return [];
  const banners: VersionBanner[] = [];
  for (const match of text.matchAll(BANNER)) {
    const implementation = match[2] === 'Knots' ? 'knots' : 'core';
    const version = match[3]!;
    if (!parseBitcoinVersion(version, implementation)) continue;
    banners.push({ implementation, version, ...(match[1] !== undefined && { at: match[1] }) });
  }
  return banners;
}

async function readTail(path: string, bytes: number): Promise<string | undefined> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    if (isMissing(err)) return undefined;
    throw err;
  }
  try {
    const { size } = await handle.stat();
    const length = Math.min(size, bytes);
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, size - length);
    // The first line may be cut in half; a banner cut there is one we can do without.
    return buffer.toString('utf8');
  } finally {
    await handle.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Format clues

async function readXorKey(path: string): Promise<XorKeyState> {
  let data: Buffer;
  try {
    data = await readFile(path);
  } catch (err) {
    return isMissing(err) ? 'absent' : 'unreadable';
  }
  if (data.length !== XOR_KEY_BYTES) return 'unreadable';
  return data.every((byte) => byte === 0) ? 'zero' : 'non-zero';
}

/** The names of blk*.dat files, or undefined when there is no blocks/ folder. */
async function listBlockFiles(blocksDir: string): Promise<string[] | undefined> {
  try {
    return (await readdir(blocksDir)).filter((name) => /^blk\d{5}\.dat$/.test(name));
  } catch (err) {
    if (isMissing(err)) return undefined;
    throw err;
  }
}

async function networksPresent(datadir: string): Promise<ChainNetwork[]> {
  const found: ChainNetwork[] = [];
  for (const [network, subdir] of Object.entries(NETWORK_SUBDIRS) as [ChainNetwork, string][]) {
    if (await isDirectory(join(datadir, subdir, 'blocks'))) found.push(network);
    else if (subdir !== '' && (await isDirectory(join(datadir, subdir)))) found.push(network);
  }
  return found;
}

// ---------------------------------------------------------------------------------------------
// Settings: args > settings.json > bitcoin.conf (network section, then top level)

type Settings = Map<string, string>;

interface BitcoinConf {
  top: Settings;
  sections: Map<string, Settings>;
}

/** Reads `-name=value`, `--name`, `-noname` arguments; the last one of a name wins, as in bitcoind. */
function parseArgs(args: readonly string[]): Settings {
  const settings: Settings = new Map();
  for (const arg of args) {
    const match = /^--?([A-Za-z0-9.]+)(?:=(.*))?$/.exec(arg);
    if (!match) continue;
    setOption(settings, match[1]!, match[2]);
  }
  return settings;
}

/** `noprune` means prune=0 (and `noprune=0` prune=1); a bare `regtest` means regtest=1. */
function setOption(settings: Settings, name: string, value: string | undefined): void {
  if (name.startsWith('no') && name.length > 2) settings.set(name.slice(2), value === '0' ? '1' : '0');
  else settings.set(name, value ?? '1');
}

export function parseBitcoinConf(text: string): BitcoinConf {
  const top: Settings = new Map();
  const sections = new Map<string, Settings>();
  let current = top;
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.replace(/#.*$/, '').trim();
    if (line === '') continue;
    const section = /^\[([a-z0-9]+)\]$/.exec(line);
    if (section) {
      current = sections.get(section[1]!) ?? new Map();
      sections.set(section[1]!, current);
      continue;
    }
    const eq = line.indexOf('=');
    const name = (eq === -1 ? line : line.slice(0, eq)).trim();
    const value = eq === -1 ? undefined : line.slice(eq + 1).trim();
    // `regtest.prune=550` at the top level means prune=550 in [regtest].
    const dot = name.indexOf('.');
    if (current === top && dot > 0) {
      const target = sections.get(name.slice(0, dot)) ?? new Map();
      sections.set(name.slice(0, dot), target);
      setOption(target, name.slice(dot + 1), value);
    } else {
      setOption(current, name, value);
    }
  }
  return { top, sections };
}

function networkFrom(settings: Settings): ChainNetwork | undefined {
  const chain = settings.get('chain');
  if (chain !== undefined && CHAIN_NAMES[chain]) return CHAIN_NAMES[chain];
  for (const network of ['regtest', 'signet', 'testnet4'] as const) {
    if (settings.get(network) === '1') return network;
  }
  if (settings.get('testnet') === '1') return 'testnet';
  return undefined;
}

async function readSettingsJson(path: string): Promise<Record<string, unknown>> {
  const text = await readTextIfExists(path);
  if (text === undefined) return {};
  try {
    const json: unknown = JSON.parse(text);
    return typeof json === 'object' && json !== null ? (json as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function pruneFacts(
  args: Settings,
  settings: Record<string, unknown>,
  conf: BitcoinConf,
  network: ChainNetwork,
  blockFiles: string[] | undefined,
): PruneFacts {
  const fromSettings = settings['prune'];
  const candidates: [PruneFacts['source'], string | undefined][] = [
    ['args', args.get('prune')],
    [
      'settings.json',
      typeof fromSettings === 'number' || typeof fromSettings === 'string' ? String(fromSettings) : undefined,
    ],
    ['bitcoin.conf', conf.sections.get(CONF_SECTIONS[network])?.get('prune') ?? conf.top.get('prune')],
  ];
  const found = candidates.find(([, value]) => value !== undefined);
  const setting = found ? Math.max(0, Number.parseInt(found[1]!, 10) || 0) : 0;
  const blockFilesPruned =
    blockFiles !== undefined && blockFiles.length > 0 && !blockFiles.includes('blk00000.dat');
  return {
    setting,
    source: found ? found[0] : 'default',
    blockFilesPruned,
    pruned: setting > 0 || blockFilesPruned,
  };
}

// ---------------------------------------------------------------------------------------------

async function readTextIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if (isMissing(err)) return undefined;
    throw err;
  }
}

async function modifiedAt(path: string): Promise<string | undefined> {
  try {
    return (await stat(path)).mtime.toISOString();
  } catch {
    return undefined;
  }
}

async function directoryModifiedAt(path: string): Promise<string | undefined> {
  try {
    const info = await stat(path);
    return info.isDirectory() ? info.mtime.toISOString() : undefined;
  } catch {
    return undefined;
  }
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

const isMissing = (err: unknown): boolean =>
  (err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR';
