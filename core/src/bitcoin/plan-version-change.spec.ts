import { describe, expect, it } from 'vitest';
import { datadirFacts, prunedDatadirFacts } from './spec-datadir-facts.js';
import type { DatadirFacts } from './datadir-inspect.js';
import { planImplementationSwitch, planStartOnDatadir, planVersionChange } from './plan-version-change.js';

const facts = datadirFacts;
const pruned = prunedDatadirFacts();

describe('planVersionChange', () => {
  it('lets an upgrade through and says what going back would take', () => {
    expect(planVersionChange({ implementation: 'core', from: '28.4', to: '31.0', facts: facts() })).toEqual({
      kind: 'upgrade',
      allowed: true,
      needs: 'nothing',
      startArgs: [],
      warning:
        'upgrading bitcoin-core 28.4 → 31.0: a newer version upgrades the databases in place when it first starts. ' +
        'Going back to 28.4 later needs a reindex of the chainstate (hours).',
      datadirVersion: { implementation: 'core', version: '28.4', evidence: 'the recorded version' },
      rules: ['upgrade'],
    });
  });

  it('warns before an upgrade across 28 that a fresh datadir cannot go back', () => {
    const plan = planVersionChange({
      implementation: 'core',
      from: '27.2',
      to: '28.4',
      facts: facts({ xorKey: 'absent', hasBlocks: false }),
    });
    expect(plan.warning).toContain('Going back to 27.2 later will not be possible on this datadir.');
  });

  it('changes nothing for the same version', () => {
    const plan = planVersionChange({ implementation: 'core', from: '28.4', to: '28.4', facts: facts() });
    expect(plan).toMatchObject({ kind: 'same', allowed: true, needs: 'nothing' });
    expect(plan.warning).toBe(
      'Bitcoin Core 28.4 wrote this datadir, the same version as 28.4; its data stays as it is',
    );
  });

  it('refuses an unconfirmed downgrade that needs a chainstate reindex, and plans it when confirmed', () => {
    const unconfirmed = planVersionChange({
      implementation: 'core',
      from: '30.0',
      to: '29.3',
      facts: facts(),
    });
    expect(unconfirmed).toMatchObject({
      kind: 'downgrade',
      allowed: false,
      needs: 'confirmation',
      reindex: 'chainstate',
    });
    expect(unconfirmed.refusal).toBe(
      'downgrading bitcoin-core 30.0 → 29.3 needs a reindex of the chainstate (hours); confirm with --confirm-downgrade',
    );
    expect(unconfirmed.warning).toBe(
      'downgrading bitcoin-core 30.0 → 29.3 needs a reindex of the chainstate (hours), because an older major ' +
        'version may not read the databases a newer one wrote (downgrades are not supported upstream).',
    );

    const confirmed = planVersionChange({
      implementation: 'core',
      from: '30.0',
      to: '29.3',
      facts: facts(),
      confirmDowngrade: true,
    });
    expect(confirmed).toMatchObject({ allowed: true, needs: 'confirmation', reindex: 'chainstate' });
    expect(confirmed.startArgs).toEqual(['-reindex-chainstate']);
    expect(confirmed.refusal).toBeUndefined();
  });

  it('asks only a confirmation for a point-release downgrade', () => {
    const plan = planVersionChange({ implementation: 'core', from: '28.4', to: '28.1', facts: facts() });
    expect(plan.refusal).toBe(
      'downgrading bitcoin-core 28.4 → 28.1 needs confirmation (point releases of one major version share ' +
        'their on-disk formats); confirm with --confirm-downgrade',
    );
    const confirmed = planVersionChange({
      implementation: 'core',
      from: '28.4',
      to: '28.1',
      facts: facts(),
      confirmDowngrade: true,
    });
    expect(confirmed).toMatchObject({ allowed: true, startArgs: [] });
    expect(confirmed.reindex).toBeUndefined();
  });

  it('blocks a pruned node without a typed confirmation of the full re-sync', () => {
    const plain = planVersionChange({
      implementation: 'core',
      from: '30.0',
      to: '29.3',
      facts: pruned,
      confirmDowngrade: true,
    });
    expect(plain).toMatchObject({
      allowed: false,
      needs: 'typed-confirmation',
      reindex: 'full',
      startArgs: ['-reindex'],
    });
    expect(plain.refusal).toBe(
      'downgrading bitcoin-core 30.0 → 29.3 would re-download the whole chain: this node is pruned, so it cannot ' +
        'reindex from local blocks; to accept, confirm with --confirm-downgrade and by typing the app id (bitcoin-core)',
    );
    expect(plain.warning).toContain('this node is pruned: it would have to re-download the whole chain');

    const mistyped = planVersionChange({
      implementation: 'core',
      from: '30.0',
      to: '29.3',
      facts: pruned,
      confirmDowngrade: true,
      confirmResync: 'bitcoin',
    });
    expect(mistyped.refusal).toMatch(/^you typed 'bitcoin', not 'bitcoin-core'\. downgrading/);

    const typed = planVersionChange({
      implementation: 'core',
      from: '30.0',
      to: '29.3',
      facts: pruned,
      confirmDowngrade: true,
      confirmResync: 'bitcoin-core',
    });
    expect(typed).toMatchObject({ allowed: true, needs: 'typed-confirmation', reindex: 'full' });
    expect(typed.startArgs).toEqual(['-reindex']);
    expect(typed.startArgs).not.toContain('-reindex=auto');
  });

  it('refuses, whatever is confirmed, going below 28 on a datadir 28+ created', () => {
    const plan = planVersionChange({
      implementation: 'core',
      from: '29.3',
      to: '27.2',
      facts: facts(),
      confirmDowngrade: true,
      confirmResync: 'bitcoin-core',
    });
    expect(plan).toMatchObject({ kind: 'downgrade', allowed: false, needs: 'nothing' });
    expect(plan.refusal).toBe(
      'downgrading bitcoin-core 29.3 → 27.2 is refused: this datadir was created by version 28 or later, which ' +
        'obfuscates the block files with the key in blocks/xor.dat; versions before 28 cannot read them, and a ' +
        'reindex would not help. Stay on 29.3 or another version of at least 28.0, or install 27.2 with a new, ' +
        'empty datadir (it downloads the whole chain again)',
    );
  });

  it('lets a pre-28 datadir go back below 28 (all-zero key), with a reindex', () => {
    const plan = planVersionChange({
      implementation: 'core',
      from: '28.4',
      to: '27.2',
      facts: facts({ xorKey: 'zero' }),
      confirmDowngrade: true,
    });
    expect(plan).toMatchObject({ allowed: true, reindex: 'chainstate' });
  });

  it('compares with the newest evidence: a banner newer than the record turns an upgrade into a downgrade', () => {
    const plan = planVersionChange({
      implementation: 'core',
      from: '28.4',
      to: '29.3',
      facts: facts({ banners: [{ implementation: 'core', version: '31.0.0' }] }),
    });
    expect(plan).toMatchObject({
      kind: 'downgrade',
      allowed: false,
      datadirVersion: { version: '31.0.0', evidence: 'debug.log shows Bitcoin Core 31.0 started here' },
    });
    expect(plan.refusal).toBe(
      'downgrading bitcoin-core 31.0 → 29.3 (debug.log shows Bitcoin Core 31.0 started here, newer than the ' +
        'recorded 28.4) needs a reindex of the chainstate (hours); confirm with --confirm-downgrade',
    );
  });

  it('uses format clues when nothing newer was recorded', () => {
    const plan = planVersionChange({
      implementation: 'core',
      from: '29.3',
      to: '29.3',
      facts: facts({ coinstatsIndex: true }),
    });
    expect(plan.kind).toBe('downgrade');
    expect(plan.datadirVersion.evidence).toBe('indexes/coinstatsindex/ shows version 30 or later ran here');
  });

  it('refuses versions of the wrong shape', () => {
    expect(() =>
      planVersionChange({ implementation: 'knots', from: '29.3', to: '28.1', facts: facts() }),
    ).toThrow(`'29.3' is not a Bitcoin Knots version; write one such as "29.3.knots20260508"`);
  });
});

describe('planImplementationSwitch', () => {
  it('needs its own confirmation even for the same Core base', () => {
    const request = {
      from: { implementation: 'knots' as const, version: '29.3.knots20260508' },
      to: { implementation: 'core' as const, version: '29.3' },
      facts: facts(),
    };
    const unconfirmed = planImplementationSwitch(request);
    expect(unconfirmed).toMatchObject({
      kind: 'same',
      allowed: false,
      needs: 'confirmation',
      switch: { from: 'knots', to: 'core' },
    });
    expect(unconfirmed.refusal).toBe(
      'switching from Bitcoin Knots 29.3 (2026-05-08) to Bitcoin Core 29.3 keeps the datadir, secrets and ports; ' +
        'only one of them ever runs; confirm the switch with --confirm-switch',
    );
    expect(planImplementationSwitch({ ...request, confirmSwitch: true })).toMatchObject({ allowed: true });
  });

  it('applies the downgrade rules by numeric base across implementations', () => {
    const plan = planImplementationSwitch({
      from: { implementation: 'knots', version: '29.3.knots20260508' },
      to: { implementation: 'core', version: '28.4' },
      facts: facts(),
      confirmSwitch: true,
    });
    expect(plan).toMatchObject({ kind: 'downgrade', allowed: false, reindex: 'chainstate' });
    expect(plan.refusal).toBe(
      'downgrading Bitcoin Knots 29.3 (2026-05-08) → Bitcoin Core 28.4 needs a reindex of the chainstate (hours); confirm with --confirm-downgrade',
    );
  });

  it('is not a version change', () => {
    expect(() =>
      planImplementationSwitch({
        from: { implementation: 'core', version: '28.4' },
        to: { implementation: 'core', version: '29.3' },
        facts: facts(),
      }),
    ).toThrow(
      'Bitcoin Core is already the implementation on this datadir; to change its version, use: archy set-version',
    );
  });
});

const marker = (version: string, writtenAt: string, banner?: string): DatadirFacts['marker'] => ({
  schema: 1,
  implementation: 'core',
  version,
  network: 'mainnet',
  writtenAt,
  ...(banner !== undefined && { banner }),
});

describe('planStartOnDatadir', () => {
  it('starts a new chain without asking anything', () => {
    const plan = planStartOnDatadir({
      implementation: 'core',
      version: '27.2',
      facts: facts({ hasBlocks: false, xorKey: 'absent' }),
    });
    expect(plan).toMatchObject({ kind: 'fresh', allowed: true, needs: 'nothing', startArgs: [] });
  });

  it('treats a chain nothing names as unknown: confirmation, and never a reindex', () => {
    const unknown = facts({ xorKey: 'absent', datadir: '/srv/kept/bitcoin' });
    const refused = planStartOnDatadir({ implementation: 'core', version: '27.2', facts: unknown });
    expect(refused).toMatchObject({ kind: 'unknown', allowed: false, needs: 'confirmation', startArgs: [] });
    expect(refused.refusal).toBe(
      'nothing says which version wrote the chain in /srv/kept/bitcoin (no Archipelago version marker, no version ' +
        'banner in debug.log, no format clue); if a newer version wrote it, Bitcoin Core 27.2 may not read it, or ' +
        'may damage it. It is not assumed to be older. If you know the version that ran here last, install that ' +
        'version or a newer one; to start 27.2 on it anyway, confirm with --confirm-downgrade (it starts without any reindex)',
    );
    const confirmed = planStartOnDatadir({
      implementation: 'core',
      version: '27.2',
      facts: unknown,
      confirmDowngrade: true,
    });
    expect(confirmed).toMatchObject({ kind: 'unknown', allowed: true, startArgs: [] });
  });

  it('refuses kept data a 28+ version created to an older version, even confirmed (the install bypass)', () => {
    const kept = facts({ marker: marker('29.3', '2026-06-01T10:00:00.000Z') });
    const plan = planStartOnDatadir({
      implementation: 'core',
      version: '27.2',
      facts: kept,
      confirmDowngrade: true,
    });
    expect(plan).toMatchObject({
      kind: 'downgrade',
      allowed: false,
      rules: ['xor-key-from-28', 'older-release-series'],
    });
    expect(plan.refusal).toMatch(
      /^downgrading bitcoin-core 29\.3 → 27\.2 \(the marker written after 29\.3 ran\) is refused: .*a reindex would not help/,
    );
    expect(plan.startArgs).toEqual([]);
  });

  it('plans kept data of a newer version exactly as set-version would: confirmation, then a one-time reindex', () => {
    const kept = facts({ xorKey: 'zero', marker: marker('30.0', '2026-06-01T10:00:00.000Z') });
    const unconfirmed = planStartOnDatadir({ implementation: 'core', version: '28.4', facts: kept });
    const setVersion = planVersionChange({ implementation: 'core', from: '30.0', to: '28.4', facts: kept });
    expect(unconfirmed).toMatchObject({
      allowed: false,
      needs: setVersion.needs,
      reindex: setVersion.reindex,
    });
    const confirmed = planStartOnDatadir({
      implementation: 'core',
      version: '28.4',
      facts: kept,
      confirmDowngrade: true,
    });
    expect(confirmed).toMatchObject({ allowed: true, startArgs: ['-reindex-chainstate'] });
  });

  it('lets an installed node start again on what it wrote itself', () => {
    const plan = planStartOnDatadir({
      implementation: 'core',
      version: '28.4',
      recorded: '28.4',
      facts: facts({
        marker: marker('28.4', '2026-06-01T10:00:05.000Z'),
        banners: [{ implementation: 'core', version: '28.4.0', at: '2026-06-02T09:00:00Z' }],
      }),
    });
    expect(plan).toMatchObject({ kind: 'same', allowed: true, startArgs: [] });
  });

  it('stops a start of the recorded version when a newer one ran here since (a banner after the marker)', () => {
    const plan = planStartOnDatadir({
      implementation: 'core',
      version: '29.3',
      recorded: '29.3',
      facts: facts({
        marker: marker('29.3', '2026-06-01T10:00:05.000Z'),
        banners: [
          { implementation: 'core', version: '29.3.0', at: '2026-06-01T10:00:00Z' },
          { implementation: 'core', version: '31.0.0', at: '2026-06-03T08:00:00Z' },
        ],
      }),
    });
    expect(plan).toMatchObject({ kind: 'downgrade', allowed: false, needs: 'confirmation' });
    expect(plan.refusal).toContain(
      'downgrading bitcoin-core 31.0 → 29.3 (debug.log shows Bitcoin Core 31.0 started here',
    );
  });

  it('takes evidence older than the marker as accepted by the marked version', () => {
    // 30.0 failed to start and the daemon restored 29.3 (marker after it); then a confirmed
    // 31.0 → 29.3 left a coin statistics index behind, which 29.3 then ran with.
    const plan = planStartOnDatadir({
      implementation: 'core',
      version: '29.3',
      recorded: '29.3',
      facts: facts({
        xorKey: 'zero',
        xorKeySince: '2026-05-01T00:00:00.000Z',
        coinstatsIndex: true,
        coinstatsIndexSince: '2026-06-01T09:00:00.000Z',
        marker: marker('29.3', '2026-06-02T10:00:00.500Z'),
        banners: [{ implementation: 'core', version: '30.0.0', at: '2026-06-02T10:00:00Z' }],
      }),
    });
    expect(plan).toMatchObject({ kind: 'same', allowed: true });
    // A clue that appeared after the marker still counts.
    const later = planStartOnDatadir({
      implementation: 'core',
      version: '29.3',
      recorded: '29.3',
      facts: facts({
        coinstatsIndex: true,
        coinstatsIndexSince: '2026-06-03T00:00:00.000Z',
        marker: marker('29.3', '2026-06-02T10:00:00.500Z'),
      }),
    });
    expect(later).toMatchObject({ kind: 'downgrade' });
  });

  it('never lets the marker excuse a random block-file key', () => {
    const plan = planStartOnDatadir({
      implementation: 'core',
      version: '27.2',
      recorded: '27.2',
      facts: facts({
        xorKey: 'non-zero',
        xorKeySince: '2026-01-01T00:00:00.000Z',
        marker: marker('27.2', '2026-06-01T00:00:00.000Z'),
      }),
      confirmDowngrade: true,
    });
    expect(plan).toMatchObject({ kind: 'downgrade', allowed: false });
  });

  it('knows later starts of the build the marker records, and names a version by the catalog and the banner', () => {
    // A catalog 27.2 whose binary says v27.99.0-…: its own restarts are not a newer version.
    const build = '27.99.0-4b1d48a6866b';
    const restarted = planStartOnDatadir({
      implementation: 'core',
      version: '27.2',
      recorded: '27.2',
      facts: facts({
        xorKey: 'absent',
        marker: marker('27.2', '2026-06-01T10:00:05.000Z', build),
        banners: [{ implementation: 'core', version: build, at: '2026-06-02T09:00:00Z' }],
      }),
    });
    expect(restarted).toMatchObject({ kind: 'same', allowed: true });
    expect(restarted.warning).toBe(
      `Bitcoin Core 27.2 (debug.log: v${build}) wrote this datadir, the same version as 27.2; its data stays as it is`,
    );

    const downgrade = planVersionChange({
      implementation: 'core',
      from: '30.0',
      to: '29.3',
      facts: facts({ marker: marker('30.0', '2026-06-01T10:00:05.000Z', '29.99.0-abcdef1') }),
    });
    expect(downgrade.refusal).toMatch(
      /^downgrading bitcoin-core 30\.0 \(debug\.log: v29\.99\.0-abcdef1\) → 29\.3/,
    );
  });
});
