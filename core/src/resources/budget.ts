import type { ResourceBudget } from '../kernel/index.js';
import { parseByteSize } from '../manifest/units.js';

export type { ResourceBudget };

const GIB = 1024 ** 3;

/**
 * 80% of RAM leaves the kernel, the page cache and the daemon room on a 4-8 GiB board; 1 GiB of
 * disk kept free stops a syncing node from filling the disk the OS and logs live on.
 */
export const DEFAULT_BUDGET: ResourceBudget = { memoryShare: 0.8, diskReserveBytes: GIB };

export const MEMORY_SHARE_ENV = 'ARCHY_MEMORY_SHARE';
export const DISK_RESERVE_ENV = 'ARCHY_DISK_RESERVE';

/**
 * The budget from ARCHY_MEMORY_SHARE (0 < share <= 1, e.g. 0.9) and ARCHY_DISK_RESERVE (a size
 * such as "2G"); defaults for unset ones. Throws a message naming the variable on a bad value,
 * so the daemon refuses to start rather than admit installs against a budget nobody meant.
 */
export function budgetFromEnv(env: NodeJS.ProcessEnv = process.env): ResourceBudget {
  const budget = { ...DEFAULT_BUDGET };
  const share = env[MEMORY_SHARE_ENV]?.trim();
  if (share) {
    const value = Number(share);
    if (!Number.isFinite(value) || value <= 0 || value > 1) {
      throw new Error(
        `${MEMORY_SHARE_ENV}=${share} is not a share of RAM; set a number above 0 and at most 1, e.g. 0.8`,
      );
    }
    budget.memoryShare = value;
  }
  const reserve = env[DISK_RESERVE_ENV]?.trim();
  if (reserve) {
    const parsed = reserve === '0' ? { ok: true as const, value: 0 } : parseByteSize(reserve);
    if (!parsed.ok) throw new Error(`${DISK_RESERVE_ENV}=${reserve}: ${parsed.reason}`);
    budget.diskReserveBytes = parsed.value;
  }
  return budget;
}

/** The memory (bytes) installed apps' reservations may add up to. */
export const memoryBudgetBytes = (budget: ResourceBudget, memoryBytes: number): number =>
  Math.floor(memoryBytes * budget.memoryShare);
