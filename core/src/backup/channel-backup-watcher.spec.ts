import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ChannelBackupWatcher } from './channel-backup-watcher.js';
import { ScheduleStore } from './schedule-store.js';

// A real folder shaped like LND's volume, rewritten the way LND does (a temp file renamed over);
// the copy is a stand-in that records what it was asked to copy and when.

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

describe('ChannelBackupWatcher', () => {
  let dir: string;
  let watcher: ChannelBackupWatcher | undefined;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'archy-chanbackup-'));
  });
  afterEach(async () => {
    watcher?.stop();
    await watcher?.idle();
    await rm(dir, { recursive: true, force: true });
  });

  function start(options: { pollMs: number; targetSet?: () => boolean; fail?: () => boolean }) {
    const volumeDir = join(dir, 'apps/lnd/lnd');
    const copies: Array<{ file: string; content: string; at: number }> = [];
    let prunes = 0;
    const store = new ScheduleStore(join(dir, 'backups'));
    watcher = new ChannelBackupWatcher({
      locate: async () => [{ app: 'lnd', volumeDir, chainDir: 'data/chain/bitcoin' }],
      targetSet: async () => options.targetSet?.() ?? true,
      copy: async (_app, file) => {
        if (options.fail?.()) throw new Error('the target is unreachable: is the disk plugged in?');
        copies.push({ file, content: await readFile(file, 'utf8'), at: Date.now() });
        return {
          id: String(copies.length).padStart(64, '0'),
          shortId: String(copies.length),
          time: '',
          apps: [],
          reason: 'channel-backup',
          includesChain: false,
        };
      },
      prune: async () => (prunes += 1),
      store,
      logger: quiet,
      pollMs: options.pollMs,
      debounceMs: 100,
      retryMs: 200,
    });
    const file = join(volumeDir, 'data/chain/bitcoin/regtest/channel.backup');
    const rewrite = async (content: string) => {
      await mkdir(join(file, '..'), { recursive: true });
      await writeFile(`${file}.tmp`, content);
      await rename(`${file}.tmp`, file);
    };
    return { copies, prunes: () => prunes, store, file, rewrite };
  }

  it('copies at start, then within a second of each change (fs.watch, not the slow poll)', async () => {
    const lnd = start({ pollMs: 60_000 });
    await lnd.rewrite('v1');
    await watcher!.start();
    await expect.poll(() => lnd.copies.map((c) => c.content), { timeout: 5000 }).toEqual(['v1']);
    const changed = Date.now();
    await lnd.rewrite('v2');
    await expect.poll(() => lnd.copies.map((c) => c.content), { timeout: 5000 }).toEqual(['v1', 'v2']);
    expect(lnd.copies[1]!.at - changed).toBeLessThan(2000);
    await watcher!.idle();
    expect(lnd.prunes()).toBe(0); // not after each copy: every 10th
    const state = await lnd.store.readState();
    expect(state.channelBackup).toMatchObject({ app: 'lnd', snapshot: '2'.padStart(64, '0') });
    expect(state.channelBackup?.copiedAt).toBeDefined();
  });

  it('does not copy the same content again, across a restart of the watcher', async () => {
    const lnd = start({ pollMs: 100 });
    await lnd.rewrite('same');
    await watcher!.start();
    await expect.poll(() => lnd.copies.length, { timeout: 5000 }).toBe(1);
    watcher!.stop();
    await watcher!.idle();
    await watcher!.start();
    await new Promise((resolve) => setTimeout(resolve, 500));
    // The restarted watcher's checks are over (start() began one), so "no second copy" is checked
    // after they ran: under load 500 ms alone could end before the first check did.
    await watcher!.idle();
    expect(lnd.copies.length).toBe(1);
  });

  it('finds a file made after it started (the poll), and tries a failed copy again', async () => {
    let failing = true;
    const lnd = start({ pollMs: 100, fail: () => failing });
    await watcher!.start();
    await lnd.rewrite('late');
    await expect
      .poll(async () => (await lnd.store.readState()).channelBackup?.message, { timeout: 5000 })
      .toMatch(/plugged in/);
    failing = false;
    await expect.poll(() => lnd.copies.map((c) => c.content), { timeout: 5000 }).toEqual(['late']);
  });

  it('says so when no target is set up, and copies nothing', async () => {
    const lnd = start({ pollMs: 100, targetSet: () => false });
    await lnd.rewrite('v1');
    await watcher!.start();
    await expect
      .poll(async () => (await lnd.store.readState()).channelBackup?.message, { timeout: 5000 })
      .toMatch(/archy backup init/);
    expect(lnd.copies).toEqual([]);
  });
});
