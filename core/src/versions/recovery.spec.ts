import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RECOVERY_TABLE } from './recovery-table.js';
import { CHANGES, convergedOn, mustEndOn, nodeFor, type VersionChange } from './spec-changes.js';
import { Crash } from './spec-fake-node.js';
import { STEPS, type IntentOp } from './step-names.js';

// One case per (operation, step) of the recovery table: the daemon dies right after the journal
// names the step (where ARCHY_TEST_PAUSE_AT stops it), the next boot recovers, and the node must
// have converged where the table says — rolled back to the old version, or forward to the new one
// (and back to the old one after all if the new one never becomes healthy).

let work: string;
let runs = 0;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'archy-versions-recovery-'));
});
afterAll(() => rm(work, { recursive: true, force: true }));

const setVersion = CHANGES.find((change) => change.name === 'set-version up')!;
const coreToKnots = CHANGES.find((change) => change.name === 'switch Core → Knots')!;
const changeOf: Record<Exclude<IntentOp, 'install'>, VersionChange> = {
  'set-version': setVersion,
  'switch-implementation': coreToKnots,
};
/** The step at which the new version first runs: from here on, going back could be a downgrade. */
const firstRun = { 'set-version': 'start-new', 'switch-implementation': 'start-target' } as const;

/** Runs the change, dying after `step` is journaled (the second time the step comes, for `verify`). */
async function crashAt(change: VersionChange, step: string, targetHealthy: boolean) {
  runs += 1;
  const node = nodeFor(change, join(work, `run-${runs}`), targetHealthy);
  const daemon = await node.start();
  if (step === 'verify') {
    // Only recovery writes `verify`: die at start-target, then again at the boot that rolls forward.
    node.crashAfterStep = 'start-target';
    await expect(change.run(daemon)).rejects.toThrow(Crash);
    node.crashAfterStep = 'verify';
    await expect(node.boot()).rejects.toThrow(Crash);
  } else {
    node.crashAfterStep = step;
    await expect(change.run(daemon)).rejects.toThrow(Crash);
  }
  expect(await node.journal.loadAll()).toMatchObject([{ op: change.op, step }]);
  await node.boot();
  return node;
}

describe('the recovery table', () => {
  it('rolls forward exactly from the first run of the new version on (restore excepted)', () => {
    for (const op of ['set-version', 'switch-implementation'] as const) {
      const steps: readonly string[] = STEPS[op];
      const rules = RECOVERY_TABLE[op] as Record<string, { recovery: string }>;
      for (const step of steps) {
        const expected =
          step !== 'restore' && steps.indexOf(step) >= steps.indexOf(firstRun[op])
            ? 'roll-forward'
            : 'roll-back';
        expect(`${op} ${step}: ${rules[step]!.recovery}`).toBe(`${op} ${step}: ${expected}`);
      }
    }
  });
});

for (const op of ['set-version', 'switch-implementation'] as const) {
  describe(`a daemon killed during ${op}`, () => {
    const change = changeOf[op];
    for (const step of STEPS[op]) {
      const rule = (RECOVERY_TABLE[op] as Record<string, { recovery: string; means: string }>)[step]!;
      // A restore happens only when the new version failed; everything else is tried both ways.
      const healthCases = step === 'restore' ? [false] : step === 'commit' ? [true] : [true, false];
      for (const targetHealthy of healthCases) {
        const expected = rule.recovery === 'roll-forward' && targetHealthy ? change.to : change.from;
        it(`at ${step} (${rule.recovery}; new version ${targetHealthy ? 'healthy' : 'never healthy'}) ends on ${expected.app} ${expected.version}`, async () => {
          const node = await crashAt(change, step, targetHealthy);
          expect(await convergedOn(node)).toEqual(expected);
          expect(mustEndOn(node, change, targetHealthy)).toEqual(expected);
          // Running the recovery again changes nothing.
          await node.boot();
          expect(await convergedOn(node)).toEqual(expected);
        });
      }
    }
  });
}

describe('a daemon killed during an install', () => {
  it('leaves the decision to the install record: recovery only clears the intent', async () => {
    const node = nodeFor(setVersion, join(work, 'install'), true);
    const record = node.records.get('bitcoin-core')!;
    await node.journal.write({
      op: 'install',
      app: 'bitcoin-core',
      to: { id: 'bitcoin-core', version: record.version, image: record.image },
      step: 'create',
    });
    expect(RECOVERY_TABLE.install.create.recovery).toBe('roll-back');
    expect(await node.daemon().recoverBefore(structuredClone(record))).toBeUndefined();
    expect(await node.journal.loadAll()).toEqual([]);
  });
});
