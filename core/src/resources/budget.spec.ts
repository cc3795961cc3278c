import { describe, expect, it } from 'vitest';
import { budgetFromEnv, DEFAULT_BUDGET, memoryBudgetBytes } from './budget.js';

describe('budgetFromEnv', () => {
  it('uses the defaults when nothing is set', () => {
    expect(budgetFromEnv({})).toEqual({ memoryShare: 0.8, diskReserveBytes: 1024 ** 3 });
  });

  it('reads a share of RAM and a disk reserve size', () => {
    expect(budgetFromEnv({ ARCHY_MEMORY_SHARE: '0.9', ARCHY_DISK_RESERVE: '2G' })).toEqual({
      memoryShare: 0.9,
      diskReserveBytes: 2 * 1024 ** 3,
    });
    expect(budgetFromEnv({ ARCHY_DISK_RESERVE: '0' }).diskReserveBytes).toBe(0);
  });

  it('refuses values that are not a share or a size, naming the variable', () => {
    expect(() => budgetFromEnv({ ARCHY_MEMORY_SHARE: '80' })).toThrow(
      'ARCHY_MEMORY_SHARE=80 is not a share of RAM; set a number above 0 and at most 1, e.g. 0.8',
    );
    expect(() => budgetFromEnv({ ARCHY_MEMORY_SHARE: '0' })).toThrow(/ARCHY_MEMORY_SHARE/);
    expect(() => budgetFromEnv({ ARCHY_DISK_RESERVE: 'lots' })).toThrow(
      /^ARCHY_DISK_RESERVE=lots: expected a size/,
    );
  });
});

describe('memoryBudgetBytes', () => {
  it('is the share of RAM, in whole bytes', () => {
    expect(memoryBudgetBytes(DEFAULT_BUDGET, 1000)).toBe(800);
    expect(memoryBudgetBytes({ ...DEFAULT_BUDGET, memoryShare: 1 / 3 }, 1000)).toBe(333);
  });
});
