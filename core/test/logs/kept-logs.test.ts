// Kept logs (README "Kept logs") through a real daemon and real rootless Podman: a busybox app
// that prints numbered lines, run by run, is restarted, updated to another version and its daemon
// SIGKILLed and started again; `archy logs --since` then has every line of every run exactly
// once, in order. A chatty app with small caps keeps to them; a purge removes logs/<id>/.

import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import type { AppStatus, LogLine } from '../../src/api/contract.js';
import { addVersion, emptyCatalog } from '../../src/catalog/index.js';
import { registry, tempDataDir, uniqueAppId, waitFor } from '../support/index.js';
import { podman } from '../support/podman-cli.js';
import { startDaemon, type TestDaemon } from '../support/daemon-harness.js';
import { pushHelloCopy } from '../support/hello-copy.js';
import { writeSignedCatalog } from '../daemon/release-fixture.js';

// Each start is a new run (counted in its volume); it prints `run R line N` every 50 ms, and on
// SIGTERM `run R end N` with its last N: a run's lines are then exactly 1..N, then the end line.
const COUNTER_SCRIPT = [
  'r=$(( $(cat /data/run 2>/dev/null || echo 0) + 1 ))',
  'echo $r > /data/run',
  'i=0',
  'trap \'echo "run $r end $i"; exit 0\' TERM',
  'while true; do i=$((i+1)); echo "run $r line $i"; sleep 0.05; done',
].join('; ');

function counterManifest(id: string, image: string, version: string): string {
  return [
    `id: ${id}`,
    `name: Counter ${id}`,
    `version: "${version}"`,
    `image: ${image}`,
    `command: ["/bin/sh", "-c", ${JSON.stringify(COUNTER_SCRIPT)}]`,
    'volumes:',
    '  - mount: /data',
    'stopTimeout: 5s',
    '',
  ].join('\n');
}

const keptLines = async (daemon: TestDaemon, id: string): Promise<LogLine[]> =>
  daemon.cliJson<LogLine[]>(['logs', id, '--since', '1h']);

/** Waits until the kept lines hold `run R line N`. */
const waitForLine = (daemon: TestDaemon, id: string, run: number, line: number): Promise<LogLine[]> =>
  waitFor(
    async () => {
      const lines = await keptLines(daemon, id);
      return lines.some((l) => l.line === `run ${run} line ${line}`) && lines;
    },
    { what: `run ${run} line ${line} in the kept logs of ${id}`, timeoutMs: 30_000, intervalMs: 300 },
  );

/** Every run's lines, checked to be `line 1..N` exactly once (then `end N` for a finished run), in run order. */
function expectWholeRuns(
  lines: LogLine[],
  finishedRuns: number,
): Map<number, { count: number; containers: Set<string> }> {
  const runs = new Map<number, { count: number; ended: boolean; containers: Set<string> }>();
  let lastRun = 0;
  for (const line of lines) {
    const match = /^run (\d+) (line|end) (\d+)$/.exec(line.line);
    expect(match, `an unexpected line: ${line.line}`).not.toBeNull();
    const [, runText, kind, numberText] = match!;
    const run = Number(runText);
    const n = Number(numberText);
    expect(run, `run ${run} after run ${lastRun}: out of order`).toBeGreaterThanOrEqual(lastRun);
    if (run > lastRun) {
      expect(run, `a whole run is missing before run ${run}`).toBe(lastRun + 1);
      runs.set(run, { count: 0, ended: false, containers: new Set() });
      lastRun = run;
    }
    const state = runs.get(run)!;
    expect(state.ended, `a line after run ${run} ended`).toBe(false);
    expect(line.time, 'a kept line carries its time').toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
    state.containers.add(line.container ?? '');
    if (kind === 'end') {
      expect(n, `run ${run} ended at ${n} but ${state.count} lines were kept`).toBe(state.count);
      state.ended = true;
    } else {
      expect(n, `run ${run}: line ${n} after line ${state.count} (lost or doubled)`).toBe(state.count + 1);
      state.count = n;
    }
  }
  expect(lastRun).toBeGreaterThanOrEqual(finishedRuns);
  for (let run = 1; run <= finishedRuns; run += 1) {
    expect(runs.get(run)?.ended, `run ${run} has its end line`).toBe(true);
  }
  return runs;
}

describe('kept logs across restart, update and a daemon crash (real rootless Podman)', () => {
  const daemons: TestDaemon[] = [];
  const images: string[] = [];
  afterAll(async () => {
    for (const daemon of daemons) await daemon.stop();
    // Only our names, untagged: the copies are the hello test image itself (same ID), and removing
    // one by ID, digest or with --force takes hello:1.x.0 away from every other test file.
    for (const image of images) await podman(['untag', image, image]).catch(() => undefined);
  });

  it('keeps every line of every container exactly once, in order; remove without purge keeps them', async () => {
    const id = uniqueAppId('kept');
    const repository = `archy-test/pins/${id}`;
    const repo = `${registry()}/${repository}`;
    const digests = {
      '1.0.0': await pushHelloCopy(repository, '1.0.0', '1.0.0'),
      '1.1.0': await pushHelloCopy(repository, '1.1.0', '1.1.0'),
    };
    images.push(`${repo}:1.0.0`, `${repo}:1.1.0`);
    let catalog = emptyCatalog();
    for (const [version, digest] of Object.entries(digests)) {
      catalog = addVersion(catalog, id, { version, image: `${repo}:${version}`, digest });
    }
    const catalogDir = writeSignedCatalog('kept-catalog', catalog);
    const appsDir = tempDataDir('kept-apps');
    mkdirSync(join(appsDir, id));
    writeFileSync(join(appsDir, id, 'manifest.yml'), counterManifest(id, `${repo}:1.0.0`, '1.0.0'));
    const dataDir = tempDataDir('kept');
    const env = { ARCHY_CATALOG_DIR: catalogDir, ARCHY_APPS_DIR: appsDir };
    let daemon = await startDaemon({ dataDir, env });
    daemons.push(daemon);
    onTestFinished(async () => {
      await daemons.at(-1)?.cli(['remove', id, '--purge', '--yes']);
    });

    const installed = await daemon.cliJson<AppStatus>(['install', id, '--version', '1.0.0']);
    expect(installed).toMatchObject({ version: '1.0.0' });
    await waitForLine(daemon, id, 1, 10);

    // A restart: run 2.
    expect((await daemon.cli(['restart', id])).code).toBe(0);
    await waitForLine(daemon, id, 2, 10);

    // An update to another version recreates the container: run 3.
    const switched = await daemon.cli(['set-version', id, '1.1.0', '--json']);
    expect(switched.stderr).toBe('');
    expect(switched.code).toBe(0);
    const before = await waitForLine(daemon, id, 3, 10);

    // The daemon dies (SIGKILL) mid-run; the app prints on; a new daemon keeps what it printed.
    await daemon.kill();
    const printedWhileDown =
      Math.max(
        ...before.filter((l) => l.line.startsWith('run 3 line')).map((l) => Number(l.line.split(' ')[3])),
      ) + 30;
    await new Promise((resolve) => setTimeout(resolve, 2000));
    daemon = await startDaemon({ dataDir, env });
    daemons.push(daemon);
    await waitForLine(daemon, id, 3, printedWhileDown);

    // Stopped: run 3 gets its end line.
    expect((await daemon.cli(['stop', id])).code).toBe(0);
    const all = await waitFor(
      async () => {
        const lines = await keptLines(daemon, id);
        return lines.some((l) => /^run 3 end /.test(l.line)) && lines;
      },
      { what: 'the end line of run 3', timeoutMs: 30_000, intervalMs: 300 },
    );
    const runs = expectWholeRuns(all, 3);
    const containerOf = (run: number): string => [...runs.get(run)!.containers][0]!;
    for (const run of [1, 2, 3])
      expect(runs.get(run)!.containers.size, `run ${run} in one container`).toBe(1);
    expect(containerOf(3), 'the update recreated the container').not.toBe(containerOf(1));
    expect(containerOf(1)).toMatch(/^[0-9a-f]{12}$/);

    // --tail and --until page back through them; --until includes its own time.
    const last5 = await daemon.cliJson<LogLine[]>(['logs', id, '--since', '1h', '--tail', '5']);
    expect(last5).toEqual(all.slice(-5));
    const firstOfRun3 = all.find((l) => l.line === 'run 3 line 1')!;
    const earlier = await daemon.cliJson<LogLine[]>([
      'logs',
      id,
      '--until',
      firstOfRun3.time!,
      '--tail',
      '3',
    ]);
    expect(earlier.at(-1)).toEqual(firstOfRun3);

    // Without the new options: the current container from Podman, as before (no time, no container).
    const plain = await daemon.cliJson<LogLine[]>(['logs', id, '--tail', '2']);
    expect(plain.at(-1)?.line).toMatch(/^run 3 end \d+$/);
    expect(Object.keys(plain.at(-1)!).sort()).toEqual(['line', 'stream']);

    // Remove without purge keeps logs/<id>/ (its spools read to the end and deleted).
    expect((await daemon.cli(['remove', id])).code).toBe(0);
    expect(existsSync(join(dataDir, 'logs', id, 'current.log'))).toBe(true);
    const afterRemove = await keptLines(daemon, id);
    expect(afterRemove.map((l) => l.line)).toEqual(all.map((l) => l.line));
    await waitFor(
      () => readdirSync(join(dataDir, 'logs', id, 'spool')).every((name) => !name.endsWith('.k8s')),
      {
        what: 'the spools of the removed containers to be deleted',
        timeoutMs: 20_000,
      },
    );
  }, 240_000);
});

describe('kept logs: caps and purge', () => {
  let daemon: TestDaemon | undefined;
  afterAll(async () => {
    await daemon?.stop();
  });

  it('rotates within the per-app cap set by daemon options, and a purge removes logs/<id>/', async () => {
    const FILE_BYTES = 64 * 1024;
    const FILES = 3;
    const dataDir = tempDataDir('kept-caps');
    daemon = await startDaemon({
      dataDir,
      env: { ARCHY_KEPT_LOG_FILE_SIZE: '64K', ARCHY_KEPT_LOG_FILES: String(FILES) },
    });
    const id = uniqueAppId('chatty');
    const padding = 'x'.repeat(80);
    // ~1.2 MB of kept lines: many times the cap of 3 × 64 KiB.
    const script = `i=0; while [ $i -lt 6000 ]; do i=$((i+1)); echo "big $i ${padding}"; done; echo done-printing; exec sleep 1000`;
    const manifest = join(dataDir, `${id}.yml`);
    writeFileSync(
      manifest,
      [
        `id: ${id}`,
        `name: Chatty ${id}`,
        'version: "1.0.0"',
        `image: ${registry()}/archy-test/hello:1.0.0`,
        `command: ["/bin/sh", "-c", ${JSON.stringify(script)}]`,
        'stopTimeout: 1s',
        '',
      ].join('\n'),
    );
    onTestFinished(async () => {
      await daemon?.cli(['remove', id, '--purge', '--yes']);
    });
    expect((await daemon.cli(['install', manifest])).code).toBe(0);
    await waitFor(
      async () =>
        (await daemon!.cliJson<LogLine[]>(['logs', id, '--since', '1h', '--tail', '1']))[0]?.line ===
        'done-printing',
      { what: 'the chatty app to finish printing into its kept logs', timeoutMs: 60_000, intervalMs: 500 },
    );
    const dir = join(dataDir, 'logs', id);
    const files = readdirSync(dir).filter((name) => name.endsWith('.log'));
    expect(files.length).toBe(FILES);
    for (const name of files) expect(statSync(join(dir, name)).size, name).toBeLessThanOrEqual(FILE_BYTES);
    // What is kept is the newest lines, whole and in order; the oldest went with the rotated files.
    const kept = await daemon.cliJson<LogLine[]>(['logs', id, '--since', '1h']);
    expect(kept.at(-1)?.line).toBe('done-printing');
    const numbers = kept.slice(0, -1).map((l) => Number(l.line.split(' ')[1]));
    expect(numbers[0]).toBeGreaterThan(1);
    expect(numbers.at(-1)).toBe(6000);
    numbers.forEach((n, i) => i > 0 && expect(n).toBe(numbers[i - 1]! + 1));

    const purged = await daemon.cli(['remove', id, '--purge', '--yes']);
    expect(purged.code).toBe(0);
    expect(existsSync(dir)).toBe(false);
    const containers = await podman(['ps', '-a', '--filter', `name=^archy-${id}$`, '--format', '{{.Names}}']);
    expect(containers.trim()).toBe('');
  }, 120_000);
});
