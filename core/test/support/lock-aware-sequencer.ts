// The order test files are handed to the workers. Test files that use the bitcoin-* app ids take
// a lock across files (container names are per Podman user: test/daemon/bitcoin-apps.ts), so two of
// them never run at once. Vitest's own order (longest first) often gives both workers such a file:
// one of them then idles on the lock for minutes — in CI, pipeline-build waited ~270 s that way.
// This order plans the run ahead instead: whenever the lock is free, the longest file still waiting
// for it goes next, and the other worker meanwhile runs files that need no lock, longest first.
// Durations are the last run's (vitest's results cache); files it does not know get a guess.
// Only the order changes: the lock still keeps the files apart if a guess is off.

import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/** How a test file says it uses the bitcoin-* app ids (see test/daemon/bitcoin-apps.ts). */
const TAKES_BITCOIN_APPS_LOCK = /\b(?:holdBitcoinAppsForFile|lockBitcoinApps)\(/;
/** A guess for a file the cache does not know: integration files start daemons and containers. */
const UNKNOWN_INTEGRATION_MS = 30_000;
const UNKNOWN_SPEC_MS = 1_000;

interface Planned {
  spec: TestSpecification;
  ms: number;
  locked: boolean;
}

export default class LockAwareSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const planned = files.map((spec) => this.plan(spec));
    const byLongest = (a: Planned, b: Planned) => b.ms - a.ms;
    const locked = planned.filter((p) => p.locked).sort(byLongest);
    const free = planned.filter((p) => !p.locked).sort(byLongest);

    // List scheduling on the configured number of workers, the lock a resource held by one file.
    const workers = Number(this.ctx.config.maxWorkers) || 1;
    const freeAt: number[] = Array.from({ length: workers }, () => 0);
    let lockFreeAt = 0;
    const order: TestSpecification[] = [];
    while (locked.length > 0 || free.length > 0) {
      const worker = freeAt.indexOf(Math.min(...freeAt));
      const now = freeAt[worker]!;
      if (locked.length > 0 && (lockFreeAt <= now || free.length === 0)) {
        const next = locked.shift()!;
        lockFreeAt = Math.max(now, lockFreeAt) + next.ms;
        freeAt[worker] = lockFreeAt;
        order.push(next.spec);
      } else {
        const next = free.shift()!;
        freeAt[worker] = now + next.ms;
        order.push(next.spec);
      }
    }
    return order;
  }

  private plan(spec: TestSpecification): Planned {
    const key = `${spec.project.name}:${relative(this.ctx.config.root, spec.moduleId)}`;
    const integration = spec.project.name === 'integration';
    const cached = this.ctx.cache.getFileTestResults(key)?.duration;
    const ms = cached ?? (integration ? UNKNOWN_INTEGRATION_MS : UNKNOWN_SPEC_MS);
    return { spec, ms, locked: integration && TAKES_BITCOIN_APPS_LOCK.test(source(spec.moduleId)) };
  }
}

function source(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
