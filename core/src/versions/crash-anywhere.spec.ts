import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArchyError } from '../kernel/index.js';
import { CHANGES, convergedOn, mustEndOn, nodeFor } from './spec-changes.js';
import { Crash } from './spec-fake-node.js';

// The property behind the recovery table: whatever version change runs (set-version up or down,
// update, a switch Core → Knots or back), with the new version healthy or never, and wherever the
// daemon dies — at any effect on the host or the journal, and possibly again during the recovery
// at the next boot — the node ends with exactly one installed version, running, with its data
// untouched in exactly one place; on the new version exactly when that one ran and is healthy.

let work: string;
let runs = 0;
beforeAll(async () => {
  // tmpfs when there is one: the journal fsyncs every step, and the property writes thousands.
  work = await mkdtemp(join(process.platform === 'linux' ? '/dev/shm' : tmpdir(), 'archy-crash-anywhere-'));
});
afterAll(() => rm(work, { recursive: true, force: true }));

/** A crash, or the change refusing/failing as it should (a target that is never healthy). */
function expectedFailure(error: unknown): void {
  if (error instanceof Crash || error instanceof ArchyError) return;
  throw error;
}

describe('a crash at any step of any version change', () => {
  it('converges to exactly one installed version with the data untouched', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...CHANGES),
        fc.boolean(),
        // Effects counted from the change's start: past its last one, the change runs to the end.
        fc.integer({ min: 1, max: 45 }),
        fc.option(fc.integer({ min: 1, max: 30 }), { nil: undefined }),
        async (change, targetHealthy, crashAt, crashAgainAt) => {
          runs += 1;
          const node = nodeFor(change, join(work, `run-${runs}`), targetHealthy);
          const daemon = await node.start();
          node.crashAtEffect = node.effects + crashAt;
          let crashed = false;
          await change.run(daemon).catch((error: unknown) => {
            crashed = error instanceof Crash;
            expectedFailure(error);
          });
          node.crashAtEffect = undefined;
          if (crashed) {
            node.crashAtEffect = crashAgainAt === undefined ? undefined : node.effects + crashAgainAt;
            // Killed again during the recovery: the boot after that must finish it.
            await node.boot().catch((error: unknown) => {
              if (!(error instanceof Crash)) throw error;
              return node.boot();
            });
          }
          const side = await convergedOn(node);
          expect(side).toEqual(mustEndOn(node, change, targetHealthy));
          // And the recovery, run once more, changes nothing.
          await node.boot();
          expect(await convergedOn(node)).toEqual(side);
        },
      ),
      { numRuns: 400 },
    );
  });
});
