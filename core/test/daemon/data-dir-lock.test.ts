// One daemon per data dir: a second `archy daemon` on a data dir in use refuses before it touches
// anything (the first keeps its .cookie, its daemon.json and its API), and a daemon SIGKILLed
// leaves no lock behind — the next one starts without any manual step.

import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, registry, tempDataDir, testCatalogDir } from '../support/index.js';
import { runCli, startDaemon, type TestDaemon } from '../support/daemon-harness.js';

describe('the data-dir lock', () => {
  const daemons: TestDaemon[] = [];
  afterAll(async () => {
    for (const daemon of daemons) await daemon.stop();
  });

  it('refuses a second daemon on the same data dir, leaving the first untouched; free after a SIGKILL', async () => {
    const dataDir = tempDataDir('lock');
    const first = await startDaemon({ dataDir });
    daemons.push(first);
    const cookieFile = join(dataDir, '.cookie');
    const infoFile = join(dataDir, 'run', 'daemon.json');
    const cookie = readFileSync(cookieFile, 'utf8');
    const cookieMtime = statSync(cookieFile).mtimeMs;
    const info = readFileSync(infoFile, 'utf8');

    const env = {
      ...process.env,
      ARCHY_INSECURE_REGISTRIES: registry(),
      ARCHY_UNSIGNED_REGISTRIES: registry(),
      ARCHY_CATALOG_DIR: testCatalogDir(),
    };
    // Were the lock not there, this daemon would run on (and the call time out).
    const second = await runCli(
      ['daemon', '--data-dir', dataDir, '--listen', `127.0.0.1:${await freePort()}`],
      env,
      30_000,
    );
    expect(second.code).not.toBe(0);
    expect(second.stderr).toContain(
      `another archipelagod (pid ${first.process.pid}) is already running on the data dir ${dataDir}`,
    );
    expect(readFileSync(cookieFile, 'utf8')).toBe(cookie);
    expect(statSync(cookieFile).mtimeMs).toBe(cookieMtime);
    expect(readFileSync(infoFile, 'utf8')).toBe(info);
    expect((await first.cli(['list', '--json'])).code).toBe(0);

    // A crash frees the lock with the process: no stale lock, no manual step.
    await first.kill();
    const next = await startDaemon({ dataDir });
    daemons.push(next);
    expect((await next.cli(['list', '--json'])).code).toBe(0);
    expect((JSON.parse(readFileSync(infoFile, 'utf8')) as { pid: number }).pid).toBe(next.process.pid);
  }, 120_000);
});
