import { describe, expect, it } from 'vitest';
import { decisiveExitOutput, describeExitOutput } from './exit-output.js';

// What a pre-28 bitcoind printed on a datadir a 28+ one created (ARCHITECTURE.md), then its shutdown.
const PRE28_ON_XOR_DATADIR = [
  '2026-12-06T09:00:00Z Bitcoin Core version v27.99.0-4b1d48a6866b (release build)',
  '2026-12-06T09:00:00Z Using data directory /data/regtest',
  '2026-12-06T09:00:01Z Verifying last 6 blocks at level 3',
  '2026-12-06T09:00:01Z Verification error: ReadBlockFromDisk failed at 101, hash=0f9188f1',
  '2026-12-06T09:00:01Z : Corrupted block database detected.',
  'Please restart with -reindex or -reindex-chainstate to recover.',
  '2026-12-06T09:00:01Z Aborted block database rebuild. Exiting.',
  '2026-12-06T09:00:01Z Shutdown: In progress...',
  '2026-12-06T09:00:01Z scheduler thread exit',
  '2026-12-06T09:00:01Z Flushed fee estimates to fee_estimates.dat.',
  '2026-12-06T09:00:01Z Shutdown: done',
];

describe('decisiveExitOutput', () => {
  it('quotes the lines that say why, not the shutdown chatter after them', () => {
    const output = decisiveExitOutput(PRE28_ON_XOR_DATADIR, { bitcoin: false });
    expect(output.lines).toEqual([
      '2026-12-06T09:00:01Z Verification error: ReadBlockFromDisk failed at 101, hash=0f9188f1',
      '2026-12-06T09:00:01Z : Corrupted block database detected.',
      'Please restart with -reindex or -reindex-chainstate to recover.',
      '2026-12-06T09:00:01Z Aborted block database rebuild. Exiting.',
    ]);
  });

  it("cuts bitcoind's reindex advice the guard did not approve, and says so", () => {
    const output = decisiveExitOutput(PRE28_ON_XOR_DATADIR, { bitcoin: true });
    expect(output.lines.join('\n')).not.toMatch(/-reindex/);
    expect(output.lines).toContain('2026-12-06T09:00:01Z : Corrupted block database detected.');
    expect(output.withheldAdvice).toMatch(/version guard did not approve a reindex/);
    expect(describeExitOutput(output)).toMatch(
      /^; it said: .*Corrupted block database detected\..*\. bitcoind's advice to reindex is left out/,
    );
  });

  it('keeps advice for exactly the reindex the guard approved', () => {
    const lines = [
      'Error: Unsupported chainstate database format found. Please restart with -reindex-chainstate.',
    ];
    expect(decisiveExitOutput(lines, { bitcoin: true, approvedArgs: ['-reindex-chainstate'] })).toEqual({
      lines,
    });
    const refused = decisiveExitOutput(lines, { bitcoin: true, approvedArgs: [] });
    expect(refused.lines).toEqual(['Error: Unsupported chainstate database format found.']);
    expect(refused.withheldAdvice).toBeDefined();
    // Approving -reindex-chainstate does not approve a full -reindex.
    const full = decisiveExitOutput(['Please restart with -reindex or -reindex-chainstate to recover.'], {
      bitcoin: true,
      approvedArgs: ['-reindex-chainstate'],
    });
    expect(full.lines).toEqual([]);
    expect(full.withheldAdvice).toBeDefined();
  });

  it('keeps the facts of a sentence that names the flag, without the flag', () => {
    const output = decisiveExitOutput(
      [
        '2026-12-06T10:08:29Z Error: You need to rebuild the database using -reindex to go back to unpruned mode.  This will redownload the entire blockchain',
        '2026-12-06T10:08:29Z Please restart with -reindex-chainstate.',
      ],
      { bitcoin: true },
    );
    expect(output.lines).toEqual([
      '2026-12-06T10:08:29Z Error: You need to rebuild the database using a reindex to go back to unpruned mode.  This will redownload the entire blockchain',
    ]);
    expect(output.withheldAdvice).toBeDefined();
  });

  it('falls back to the last lines when none looks decisive, and drops repeats', () => {
    const lines = ['starting', 'listening on 8080', 'bye', '2026-12-06T09:00:01Z bye'];
    expect(decisiveExitOutput(lines, { bitcoin: false }).lines).toEqual([
      'starting',
      'listening on 8080',
      'bye',
    ]);
    expect(describeExitOutput({ lines: [] })).toBe('');
  });
});
