import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackupScheduleReport, BackupSnapshotInfo, BackupStatus } from '../../src/api/contract.js';
import { startDaemon, type TestDaemon } from '../support/daemon-harness.js';
import { freePort, helloImage, tempDataDir, uniqueAppId, waitFor } from '../support/index.js';
import { podman } from '../support/podman-cli.js';

// Issue 17, B3, against a real daemon, real rootless Podman and real restic on a local target:
// - a schedule of every minute (a test-only minute of 3 s: ARCHY_TEST_SCHEDULE_MINUTE_MS) makes
//   snapshots and forgets those beyond its retention (keep-last 2);
// - an app shaped like LND (its command names --lnddir=/data; a volume `lnd` at /data; files of
//   uid 1000 in 0700 folders, as LND's) gets its channel.backup copied into the target within
//   seconds of each rewrite, as its own snapshot;
// - `archy backup status` and `archy backup schedule` show the last run and the next.

const MINUTE_MS = 3000;
let daemon: TestDaemon;
let dataDir: string;
const lnd = uniqueAppId('lnd-shaped');

/** A hello app shaped like LND: its lnddir is the volume `lnd` mounted at /data. */
function writeLndShapedManifest(dir: string, hostPort: number): string {
  const yaml = [
    `id: ${lnd}`,
    `name: LND-shaped ${lnd}`,
    'version: "1.0.0"',
    `image: ${helloImage('1.0.0')}`,
    // sh -c's script ignores its arguments; they are there to say where the lnddir is, as LND's do.
    'command: ["/bin/sh", "-c", "exec httpd -f -p 8080 -h /www", "lnd", "--lnddir=/data"]',
    'ports:',
    '  - container: 8080',
    `    host: ${hostPort}`,
    'volumes:',
    '  - mount: /data',
    '    name: lnd',
    'stopTimeout: 2s',
    'health:',
    '  http: { port: 8080, path: / }',
    '  interval: 2s',
  ].join('\n');
  const path = join(dir, `${lnd}.yml`);
  writeFileSync(path, `${yaml}\n`);
  return path;
}

async function snapshots(): Promise<BackupSnapshotInfo[]> {
  const result = await daemon.cli(['backup', 'list', '--json']);
  // The list may be refused while a job holds the repository: then it is just not there yet.
  return result.code === 0 ? (JSON.parse(result.stdout) as BackupSnapshotInfo[]) : [];
}

beforeAll(async () => {
  dataDir = tempDataDir('backup-schedule');
  daemon = await startDaemon({
    dataDir,
    env: {
      ARCHY_TEST_SCHEDULE_MINUTE_MS: String(MINUTE_MS),
      // LND's folders are 0700 and its own (uid 1000): fs.watch cannot see into them, the poll
      // (through the app-tree helper) does.
      ARCHY_CHANNEL_BACKUP_POLL_MS: '2000',
    },
  });
  await daemon.cliJson(['install', writeLndShapedManifest(dataDir, await freePort())]);
  // Its own folder under the run's root (removed with it); on the data dir's disk, on purpose.
  const target = tempDataDir('backup-schedule-target');
  const init = await daemon.cli([
    'backup',
    'init',
    '--to',
    target,
    '--same-disk',
    '--confirm-key-saved',
    '--json',
  ]);
  expect(init.code, init.stderr).toBe(0);
}, 120_000);

afterAll(async () => {
  await daemon?.cli(['backup', 'schedule', '--off']).catch(() => undefined);
  await daemon?.cli(['remove', lnd, '--purge', '--yes']).catch(() => undefined);
  await daemon?.stop();
});

describe('channel.backup of an LND-shaped app', () => {
  const channelBackup = () => join(dataDir, 'apps', lnd, 'lnd', 'data/chain/bitcoin/regtest/channel.backup');
  /**
   * As LND writes it: a temp file renamed over the old one, owned by the container's uid 1000 in
   * folders of mode 0700 (so the daemon's user cannot read it directly: the app-tree helper does).
   */
  async function rewrite(content: string): Promise<void> {
    const file = channelBackup();
    const volume = join(dataDir, 'apps', lnd, 'lnd');
    await podman([
      'unshare',
      'sh',
      '-c',
      'mkdir -p "$(dirname "$1")" && printf %s "$2" > "$1.tmp" && chmod 600 "$1.tmp" && mv "$1.tmp" "$1" && chown -R 1000:1000 "$3/data" && chmod -R go-rwx "$3/data"',
      'sh',
      file,
      content,
      volume,
    ]);
  }
  const copies = async () => (await snapshots()).filter((s) => s.reason === 'channel-backup');

  it('is copied into the target within seconds of each change, as its own snapshot', async () => {
    for (const [round, content] of ['channels-v1', 'channels-v2'].entries()) {
      const changed = Date.now();
      await rewrite(content);
      await waitFor(async () => (await copies()).length === round + 1, {
        what: `channel.backup copy ${round + 1}`,
        timeoutMs: 30_000,
        intervalMs: 250,
      });
      const seconds = (Date.now() - changed) / 1000;
      console.log(`channel.backup copy ${round + 1} in the target ${seconds.toFixed(1)} s after the change`);
      expect(seconds).toBeLessThan(20);
    }
    const [copy] = await copies();
    expect(copy!.apps.map((a) => a.id)).toEqual([lnd]);
    const status = await daemon.cliJson<BackupStatus>(['backup', 'status']);
    expect(status.channelBackup).toMatchObject({ app: lnd });
    expect(Date.parse(status.channelBackup!.copiedAt!)).toBeGreaterThan(Date.now() - 60_000);
  }, 90_000);
});

describe('the schedule', () => {
  it('shows that none is set, then makes snapshots every minute and keeps the last 2', async () => {
    const none = await daemon.cliJson<BackupScheduleReport>(['backup', 'schedule']);
    expect(none.schedule).toBeNull();
    const set = await daemon.cliJson<BackupScheduleReport>([
      'backup',
      'schedule',
      '--every',
      '1m',
      '--keep-last',
      '2',
      '--keep-daily',
      '0',
      '--keep-weekly',
      '0',
      '--keep-monthly',
      '0',
      lnd,
    ]);
    expect(set.schedule).toMatchObject({ enabled: true, every: 1, apps: [lnd], retention: { keepLast: 2 } });
    expect(Date.parse(set.nextRun!)).toBeGreaterThan(Date.now() - 1000);

    // Three runs made (three distinct snapshots seen), and never more than two kept.
    const seen = new Set<string>();
    let most = 0;
    await waitFor(
      async () => {
        const scheduled = (await snapshots()).filter((s) => s.reason === 'schedule');
        for (const s of scheduled) seen.add(s.id);
        most = Math.max(most, scheduled.length);
        return seen.size >= 3 && scheduled.length === 2;
      },
      { what: 'three scheduled backups, the oldest forgotten', timeoutMs: 150_000, intervalMs: 500 },
    );
    // A run's snapshot may be listed before its prune ends: at most one over the retention.
    expect(most).toBeLessThanOrEqual(3);

    const status = await daemon.cliJson<BackupStatus>(['backup', 'status']);
    expect(status.schedule).toMatchObject({ every: 1 });
    expect(status.nextRun).toBeDefined();
    const report = await daemon.cliJson<BackupScheduleReport>(['backup', 'schedule']);
    expect(report.last).toMatchObject({ ok: true, job: 'create' });
    const text = await daemon.cli(['backup', 'schedule']);
    expect(text.stdout).toMatch(/schedule: +every minute/);
    expect(text.stdout).toMatch(/next run: +\d{4}-\d\d-\d\d \d\d:\d\d/);
    expect(text.stdout).toMatch(/last run: +ok/);

    // Off: no next run, and no more snapshots.
    const off = await daemon.cliJson<BackupScheduleReport>(['backup', 'schedule', '--off']);
    expect(off.schedule?.enabled).toBe(false);
    expect(off.nextRun).toBeUndefined();
  }, 200_000);
});
