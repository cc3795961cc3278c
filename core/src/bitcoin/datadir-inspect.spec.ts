import { mkdir, mkdtemp, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { inspectDatadir, VERSION_MARKER_FILE, writeVersionMarker } from './datadir-inspect.js';

let datadir: string;
beforeEach(async () => {
  datadir = await mkdtemp(join(tmpdir(), 'archy-datadir-'));
});
afterEach(async () => {
  await rm(datadir, { recursive: true, force: true });
});

async function put(path: string, data: string | Uint8Array): Promise<void> {
  await mkdir(join(datadir, path, '..'), { recursive: true });
  await writeFile(join(datadir, path), data);
}

describe('inspectDatadir', () => {
  it('describes an empty datadir', async () => {
    expect(await inspectDatadir(datadir)).toEqual({
      datadir,
      exists: true,
      network: 'mainnet',
      networksPresent: [],
      banners: [],
      xorKey: 'absent',
      coinstatsIndex: false,
      hasBlocks: false,
      prune: { setting: 0, source: 'default', blockFilesPruned: false, pruned: false },
    });
  });

  it('tells an all-zero xor key from a random one, and a malformed file from both', async () => {
    await put('blocks/xor.dat', Buffer.alloc(8));
    expect((await inspectDatadir(datadir)).xorKey).toBe('zero');
    await put('blocks/xor.dat', Buffer.from([0x1f, 0, 0, 0, 0, 0, 0, 0x9a]));
    expect((await inspectDatadir(datadir)).xorKey).toBe('non-zero');
    await put('blocks/xor.dat', Buffer.alloc(3));
    expect((await inspectDatadir(datadir)).xorKey).toBe('unreadable');
  });

  it('finds the 30+ coin statistics index', async () => {
    await mkdir(join(datadir, 'indexes', 'coinstatsindex', 'db'), { recursive: true });
    expect((await inspectDatadir(datadir)).coinstatsIndex).toBe(true);
  });

  it('tells when each format clue appeared, for the guard to compare with the marker', async () => {
    await put('blocks/xor.dat', Buffer.alloc(8));
    await mkdir(join(datadir, 'indexes', 'coinstatsindex'), { recursive: true });
    const then = new Date('2026-05-01T12:00:00Z');
    await utimes(join(datadir, 'blocks', 'xor.dat'), then, then);
    await utimes(join(datadir, 'indexes', 'coinstatsindex'), then, then);
    const facts = await inspectDatadir(datadir);
    expect(facts.xorKeySince).toBe('2026-05-01T12:00:00.000Z');
    expect(facts.coinstatsIndexSince).toBe('2026-05-01T12:00:00.000Z');
  });

  it('reads banners without a timestamp (-logtimestamps=0) too, without a time', async () => {
    await put('debug.log', 'Bitcoin Core version v28.4.0\n');
    expect((await inspectDatadir(datadir)).banners).toEqual([{ implementation: 'core', version: '28.4.0' }]);
  });

  it('reads the last banner even when a failed start came after a successful one', async () => {
    await writeVersionMarker(datadir, { implementation: 'core', version: '30.0', network: 'mainnet' });
    await put(
      'debug.log',
      [
        '2026-06-01T10:00:00Z Bitcoin Core version v30.0.0 (release build)',
        '2026-06-01T10:00:05Z init message: Done loading',
        '2026-06-02T09:00:00Z Bitcoin Core version v28.4.0 (release build)',
        '2026-06-02T09:00:01Z : Corrupted block database detected.',
        '2026-06-02T09:00:01Z Aborted block database rebuild. Exiting.',
      ].join('\n'),
    );
    const facts = await inspectDatadir(datadir);
    expect(facts.lastBanner).toEqual({
      implementation: 'core',
      version: '28.4.0',
      at: '2026-06-02T09:00:00Z',
    });
    expect(facts.banners).toEqual([
      { implementation: 'core', version: '30.0.0', at: '2026-06-01T10:00:00Z' },
      { implementation: 'core', version: '28.4.0', at: '2026-06-02T09:00:00Z' },
    ]);
    expect(facts.marker).toMatchObject({ implementation: 'core', version: '30.0', network: 'mainnet' });
  });

  it('reads Knots banners, and only the tail of a huge debug.log', async () => {
    const filler = 'x'.repeat(1000) + '\n';
    await put(
      'debug.log',
      'Bitcoin Core version v27.2.0\n' + filler.repeat(100) + 'Bitcoin Knots version v29.1.knots20250903\n',
    );
    const facts = await inspectDatadir(datadir, { debugLogTailBytes: 4096 });
    expect(facts.banners).toEqual([{ implementation: 'knots', version: '29.1.knots20250903' }]);
  });

  it('reads prune from bitcoin.conf, its network section, settings.json and our args, in that order of weight', async () => {
    await put('bitcoin.conf', 'server=1\nprune=550\n');
    expect((await inspectDatadir(datadir)).prune).toEqual({
      setting: 550,
      source: 'bitcoin.conf',
      blockFilesPruned: false,
      pruned: true,
    });
    await put('bitcoin.conf', 'prune=550\n[main]\nprune=0\n');
    expect((await inspectDatadir(datadir)).prune.pruned).toBe(false);
    await put('settings.json', JSON.stringify({ prune: 2000 }));
    expect((await inspectDatadir(datadir)).prune).toMatchObject({ setting: 2000, source: 'settings.json' });
    expect((await inspectDatadir(datadir, { args: ['-datadir=/data', '-noprune'] })).prune).toMatchObject({
      setting: 0,
      source: 'args',
      pruned: false,
    });
  });

  it('sees pruned block files even when prune is off now', async () => {
    await put('blocks/blk00007.dat', 'x');
    await put('blocks/blk00008.dat', 'x');
    expect((await inspectDatadir(datadir)).prune).toEqual({
      setting: 0,
      source: 'default',
      blockFilesPruned: true,
      pruned: true,
    });
  });

  it('looks in the network subdir: regtest from bitcoin.conf, args or the manifest', async () => {
    await put('bitcoin.conf', 'regtest=1\n[regtest]\nprune=600\n');
    await put('regtest/blocks/xor.dat', Buffer.from([1, 2, 3, 4, 5, 6, 7, 8]));
    await put('regtest/debug.log', 'Bitcoin Core version v29.99.0-4b1d48a6866b\n');
    await mkdir(join(datadir, 'regtest', 'indexes', 'coinstatsindex'), { recursive: true });
    const facts = await inspectDatadir(datadir);
    expect(facts).toMatchObject({
      network: 'regtest',
      networksPresent: ['regtest'],
      xorKey: 'non-zero',
      coinstatsIndex: true,
      hasBlocks: true,
      lastBanner: { implementation: 'core', version: '29.99.0-4b1d48a6866b' },
      prune: { setting: 600, source: 'bitcoin.conf' },
    });
    expect((await inspectDatadir(datadir, { network: 'mainnet' })).xorKey).toBe('absent');
    expect((await inspectDatadir(datadir, { args: ['-chain=signet'] })).network).toBe('signet');
  });

  it('ignores a marker it cannot read and says so', async () => {
    await put(VERSION_MARKER_FILE, '{ not json');
    const facts = await inspectDatadir(datadir);
    expect(facts.marker).toBeUndefined();
    expect(facts.markerProblem).toBe(
      `${join(datadir, VERSION_MARKER_FILE)} is not JSON; it is ignored and rewritten after the next successful start`,
    );
  });
});

describe('writeVersionMarker', () => {
  it('writes the marker atomically, readable by the container user', async () => {
    const marker = await writeVersionMarker(
      datadir,
      { implementation: 'knots', version: '29.3.knots20260508', network: 'regtest', appId: 'bitcoin-knots' },
      new Date('2026-06-22T12:00:00Z'),
    );
    const path = join(datadir, VERSION_MARKER_FILE);
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual(marker);
    expect(marker).toEqual({
      schema: 1,
      implementation: 'knots',
      version: '29.3.knots20260508',
      network: 'regtest',
      appId: 'bitcoin-knots',
      writtenAt: '2026-06-22T12:00:00.000Z',
    });
    expect((await stat(path)).mode & 0o777).toBe(0o644);
  });
});
