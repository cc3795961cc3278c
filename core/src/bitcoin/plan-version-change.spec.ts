import { describe, expect, it } from 'vitest';
import type { DatadirFacts } from './datadir-inspect.js';
import { planImplementationSwitch, planVersionChange } from './plan-version-change.js';

const facts = (overrides: Partial<DatadirFacts> = {}): DatadirFacts => ({
  datadir: '/data',
  exists: true,
  network: 'mainnet',
  networksPresent: ['mainnet'],
  banners: [],
  xorKey: 'non-zero',
  coinstatsIndex: false,
  hasBlocks: true,
  prune: { setting: 0, source: 'default', blockFilesPruned: false, pruned: false },
  ...overrides,
});
const pruned = facts({
  prune: { setting: 550, source: 'bitcoin.conf', blockFilesPruned: false, pruned: true },
});

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
