// The proof that a failed run leaves nothing: a nested `vitest run` of a deliberately failing test
// file (test/fixtures/deliberately-failing.fixture.ts) that starts two daemons, installs an app on
// each, SIGKILLs one (orphaning its Podman service), follows the other's logs and then fails an
// assertion. Once the nested run has exited (non-zero), no process of it may be alive, no
// container, pod, network or secret of it may exist, and its temp root must be gone.

import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { findTestResources, removeTestResources } from './cleanup.js';
import { REQUESTED_RUN_ID_ENV, testRootFor } from './constants.js';
import { tempDataDir } from './index.js';
import { podman } from './podman-cli.js';
import { endArchyProcessesUnder, endPodmanServicesIn, processesUnder } from './test-processes.js';

const CORE = fileURLToPath(new URL('../../', import.meta.url));
const VITEST = fileURLToPath(new URL('../../../node_modules/vitest/vitest.mjs', import.meta.url));
const FIXTURE = 'test/fixtures/deliberately-failing.fixture.ts';

interface FixtureReport {
  dataDirs: string[];
  apps: string[];
  pids: Record<'killedDaemon' | 'orphanedService' | 'runningDaemon' | 'runningService' | 'follower', number>;
  followerAlive: boolean;
}

/** `vitest run` of the fixture in a run of its own, as a fresh `npm test` would run it. */
function runNested(env: NodeJS.ProcessEnv): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [VITEST, 'run', '--configLoader', 'runner', '--project', 'integration', FIXTURE],
      { cwd: CORE, env, timeout: 150_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const output = `${stdout}\n${stderr}`;
        if (error && typeof error.code !== 'number')
          reject(new Error(`the nested vitest run did not finish: ${error.message}\n${output}`));
        else resolve({ code: error ? (error.code as number) : 0, output });
      },
    );
  });
}

/** The environment of this worker without the outer run's ids, so the nested run makes its own. */
function nestedEnv(runId: string, report: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (name.startsWith('ARCHY_TEST_') || name.startsWith('VITEST') || name === 'TEST') continue;
    env[name] = value;
  }
  return {
    ...env,
    ARCHY_TEST_FIXTURES: '1',
    [REQUESTED_RUN_ID_ENV]: runId,
    ARCHY_TEST_PROOF_REPORT: report,
    FORCE_COLOR: '0',
  };
}

describe('a run whose test fails leaves nothing behind', () => {
  const runId = `proof${randomBytes(5).toString('hex')}`;
  const root = testRootFor(runId);

  // Should the proof fail, what the nested run left is still cleaned up here.
  afterAll(async () => {
    await endArchyProcessesUnder(root);
    await removeTestResources(runId, root);
    await endPodmanServicesIn(root);
    if (existsSync(root)) await podman(['unshare', 'rm', '-rf', root]).catch(() => undefined);
  });

  it('a nested run with a deliberately failing test: non-zero, and no process, container or temp dir left', async () => {
    const report = join(tempDataDir('teardown-proof'), 'report.json');
    const nested = await runNested(nestedEnv(runId, report));

    // It failed, and for the deliberate reason, after starting everything.
    expect(nested.code, nested.output).not.toBe(0);
    expect(nested.output).toContain('DELIBERATE FAILURE for the teardown proof');
    const started = JSON.parse(readFileSync(report, 'utf8')) as FixtureReport;
    expect(started.followerAlive, 'the log follower was running when the test failed').toBe(true);
    for (const dir of started.dataDirs) expect(dir.startsWith(`${root}/`)).toBe(true);
    for (const [what, pid] of Object.entries(started.pids))
      expect(Number.isInteger(pid) && pid > 1, `${what} pid ${pid}`).toBe(true);
    expect(started.pids.orphanedService).not.toBe(started.pids.runningService);

    // No process of the nested run: none of the pids it reported is still what it was, and no
    // process of this user names its temp root (daemons, Podman services) or a data dir in it
    // (CLI clients, through ARCHY_DATA_DIR).
    const left = processesUnder(root);
    for (const [what, pid] of Object.entries(started.pids))
      expect(
        left.map((proc) => proc.pid),
        `${what} (pid ${pid}) still running`,
      ).not.toContain(pid);
    expect(left.map((proc) => `${proc.pid}: ${proc.args.join(' ')}`)).toEqual([]);

    // Nothing of it in Podman, by its run label or its daemons' data-dir label.
    expect(await findTestResources(runId, root)).toEqual({
      containers: [],
      pods: [],
      networks: [],
      secrets: [],
    });
    const names = await podman(['ps', '-a', '--format', '{{.Names}}']);
    for (const app of started.apps) expect(names.split('\n')).not.toContain(`archy-${app}`);

    // And its temp root (data dirs, catalog keys, image work dirs) is gone.
    expect(existsSync(root), `${root} left behind`).toBe(false);
    rmSync(report, { force: true });
  }, 170_000);
});
