import { describe, expect, it } from 'vitest';
import { datadirFacts, prunedDatadirFacts } from '../bitcoin/spec-datadir-facts.js';
import { planImplementationSwitch, planVersionChange, type DatadirFacts } from '../bitcoin/index.js';
import { planReport, samePlan, shown, type Confirmations, type Planner } from './version-plan.js';

const facts = datadirFacts;
const pruned = prunedDatadirFacts();

/** The planner version-switch.ts hands over for a Core set-version on `datadir`. */
const coreChange =
  (from: string, to: string, datadir: DatadirFacts): Planner =>
  (confirm: Confirmations) =>
    planVersionChange({
      implementation: 'core',
      appId: 'bitcoin-core',
      from,
      to,
      facts: datadir,
      ...confirm,
    });

const side = (id: string, version: string) => ({
  ...shown({ id, version }, id === 'bitcoin-knots' ? 'knots' : 'core'),
  image: `127.0.0.1:5000/${id}:${version}`,
});

describe('planReport', () => {
  it('reports a downgrade needing a reindex as the rules decide it, and what confirms it', () => {
    const report = planReport({
      op: 'set-version',
      from: side('bitcoin-core', '29.3'),
      to: side('bitcoin-core', '28.4'),
      planWith: coreChange('29.3', '28.4', facts()),
      given: {},
    });
    expect(report).toMatchObject({
      direction: 'downgrade',
      allowed: false,
      needs: 'confirmation',
      confirmable: true,
      confirm: { confirmDowngrade: true },
      reindex: 'chainstate',
      startArgs: ['-reindex-chainstate'],
      datadirVersion: { implementation: 'core', version: '29.3', evidence: 'the recorded version' },
    });
    expect(report.typedText).toBeUndefined();
    expect(report.refusal).toContain('confirm with --confirm-downgrade');
    expect(report.reasons).toEqual([
      expect.objectContaining({ rule: 'older-release-series', effect: 'needs-reindex-chainstate' }),
    ]);
  });

  it('asks a pruned node for the typed app id, and lets the confirmed params through', () => {
    const request = {
      op: 'set-version' as const,
      from: side('bitcoin-core', '29.3'),
      to: side('bitcoin-core', '28.4'),
      planWith: coreChange('29.3', '28.4', pruned),
    };
    const asked = planReport({ ...request, given: {} });
    expect(asked).toMatchObject({
      needs: 'typed-confirmation',
      typedText: 'bitcoin-core',
      confirm: { confirmDowngrade: true, confirmResync: 'bitcoin-core' },
      reindex: 'full',
      allowed: false,
    });
    const mistyped = planReport({ ...request, given: { confirmDowngrade: true, confirmResync: 'bitcoin' } });
    expect(mistyped.allowed).toBe(false);
    expect(mistyped.refusal).toContain("you typed 'bitcoin'");
    expect(planReport({ ...request, given: asked.confirm }).allowed).toBe(true);
  });

  it('says when no confirmation can make a downgrade go ahead', () => {
    const report = planReport({
      op: 'set-version',
      from: side('bitcoin-core', '29.3'),
      to: side('bitcoin-core', '27.2'),
      planWith: coreChange('29.3', '27.2', facts()),
      given: { confirmDowngrade: true },
    });
    expect(report).toMatchObject({ allowed: false, confirmable: false, confirm: {}, startArgs: [] });
    expect(report.reasons.map((reason) => reason.rule)).toContain('xor-key-from-28');
  });

  it('reports an upgrade as needing nothing', () => {
    const report = planReport({
      op: 'set-version',
      from: side('bitcoin-core', '28.4'),
      to: side('bitcoin-core', '31.0'),
      planWith: coreChange('28.4', '31.0', facts()),
      given: {},
    });
    expect(report).toMatchObject({ direction: 'upgrade', allowed: true, needs: 'nothing', confirm: {} });
  });

  it('asks a switch for its own confirmation, and for the downgrade only when the versions go back', () => {
    const switchPlanner =
      (to: string, datadir: DatadirFacts): Planner =>
      (confirm) =>
        planImplementationSwitch({
          appId: 'bitcoin-knots',
          from: { implementation: 'core', version: '29.3' },
          to: { implementation: 'knots', version: to },
          facts: datadir,
          ...confirm,
        });
    const same = planReport({
      op: 'switch-implementation',
      from: side('bitcoin-core', '29.3'),
      to: side('bitcoin-knots', '29.3.knots20260508'),
      planWith: switchPlanner('29.3.knots20260508', facts()),
      given: {},
    });
    expect(same).toMatchObject({
      direction: 'same',
      allowed: false,
      needs: 'confirmation',
      confirm: { confirmSwitch: true },
      to: { display: '29.3 (2026-05-08)' },
    });
    expect(same.refusal).toContain('--confirm-switch');

    const back = planReport({
      op: 'switch-implementation',
      from: side('bitcoin-core', '29.3'),
      to: side('bitcoin-knots', '28.1.knots20250305'),
      planWith: switchPlanner('28.1.knots20250305', pruned),
      given: { confirmSwitch: true },
    });
    expect(back).toMatchObject({
      direction: 'downgrade',
      allowed: false,
      needs: 'typed-confirmation',
      typedText: 'bitcoin-knots',
      confirm: { confirmSwitch: true, confirmDowngrade: true, confirmResync: 'bitcoin-knots' },
    });
  });

  it('answers a change to what runs already as nothing to do', () => {
    const report = samePlan(side('hello', '1.0.0'), side('hello', '1.0.0'));
    expect(report).toMatchObject({ direction: 'same', allowed: true, needs: 'nothing' });
    expect(report.warning).toContain('nothing would change');
  });
});
