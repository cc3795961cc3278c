import { describe, expect, it } from 'vitest';
import { RpcError } from '../api/container-client';
import { catalogEntry, versionPlan } from '../test/fixtures';
import {
  asksConsent,
  consentSatisfied,
  describeFailure,
  setVersionParams,
  switchParams,
  switchTargetOf,
} from './version-card';

const none = { confirmed: false, typed: '' };
const ticked = { confirmed: true, typed: '' };

describe("the daemon's plan and the user's consent", () => {
  it('an upgrade the daemon lets through needs nothing', () => {
    const plan = versionPlan({ direction: 'upgrade', allowed: true, needs: 'nothing', confirm: {} });
    expect(asksConsent(plan)).toBe(false);
    expect(consentSatisfied(plan, none)).toBe(true);
    expect(setVersionParams('bitcoin-core', '31.0', plan, none)).toEqual({
      id: 'bitcoin-core',
      version: '31.0',
    });
  });

  it('no plan yet, or the same version, is nothing to send', () => {
    expect(consentSatisfied(undefined, ticked)).toBe(false);
    expect(consentSatisfied(versionPlan({ direction: 'same', confirm: {} }), ticked)).toBe(false);
  });

  it('a downgrade needs the tick, and sends what the plan says confirms it', () => {
    const plan = versionPlan();
    expect(asksConsent(plan)).toBe(true);
    expect(consentSatisfied(plan, none)).toBe(false);
    expect(consentSatisfied(plan, ticked)).toBe(true);
    expect(setVersionParams('bitcoin-core', '28.4', plan, ticked)).toEqual({
      id: 'bitcoin-core',
      version: '28.4',
      confirmDowngrade: true,
    });
    expect(setVersionParams('bitcoin-core', '28.4', plan, none)).toEqual({
      id: 'bitcoin-core',
      version: '28.4',
    });
  });

  it('a typed confirmation needs exactly the text the daemon names, and sends what was typed', () => {
    const plan = versionPlan({
      needs: 'typed-confirmation',
      typedText: 'bitcoin-core',
      confirm: { confirmDowngrade: true, confirmResync: 'bitcoin-core' },
    });
    expect(consentSatisfied(plan, ticked)).toBe(false);
    expect(consentSatisfied(plan, { confirmed: true, typed: 'bitcoin' })).toBe(false);
    const typed = { confirmed: true, typed: ' bitcoin-core ' };
    expect(consentSatisfied(plan, typed)).toBe(true);
    expect(setVersionParams('bitcoin-core', '28.4', plan, typed)).toEqual({
      id: 'bitcoin-core',
      version: '28.4',
      confirmDowngrade: true,
      confirmResync: 'bitcoin-core',
    });
  });

  it('a change no confirmation allows can never be sent', () => {
    const plan = versionPlan({ confirmable: false, confirm: {} });
    expect(asksConsent(plan)).toBe(false);
    expect(consentSatisfied(plan, { confirmed: true, typed: 'bitcoin-core' })).toBe(false);
  });

  it("a switch sends the switch's confirmation and the version step's, as the plan lists them", () => {
    const plan = versionPlan({
      op: 'switch-implementation',
      to: { id: 'bitcoin-knots', version: '29.3.knots20260508', display: '29.3 (2026-05-08)', image: 'x' },
      confirm: { confirmSwitch: true },
      direction: 'same',
    });
    expect(consentSatisfied(plan, none)).toBe(false);
    expect(switchParams('bitcoin-core', 'bitcoin-knots', '29.3.knots20260508', plan, ticked)).toEqual({
      from: 'bitcoin-core',
      to: 'bitcoin-knots',
      version: '29.3.knots20260508',
      confirmSwitch: true,
    });
  });
});

describe('switchTargetOf', () => {
  it('is the Bitcoin node the app conflicts with, from the catalog, not from a list of ids', () => {
    const node = { network: 'regtest' as const };
    const core = catalogEntry('bitcoin-core', { bitcoin: node, conflicts: ['bitcoin-knots'] });
    const knots = catalogEntry('bitcoin-knots', { bitcoin: node, conflicts: ['bitcoin-core'] });
    const lnd = catalogEntry('lnd', { conflicts: [] });
    expect(switchTargetOf(core, [core, knots, lnd])?.id).toBe('bitcoin-knots');
    expect(switchTargetOf(lnd, [core, knots, lnd])).toBeUndefined();
    // A conflict that is no Bitcoin node is nothing to switch to.
    expect(
      switchTargetOf(catalogEntry('my-node', { bitcoin: node, conflicts: ['lnd'] }), [lnd]),
    ).toBeUndefined();
  });
});

describe('failures', () => {
  it('says plainly when the daemon has no such method yet', () => {
    const message = describeFailure(
      new RpcError(-32601, "unknown method 'package.plan-version-change'"),
      'plan version changes',
    );
    expect(message).toMatch(/cannot plan version changes yet/);
  });

  it("passes the daemon's refusal through", () => {
    const refusal = new RpcError(-32003, 'this node is pruned: a downgrade means a full re-sync');
    expect(describeFailure(refusal, 'change versions')).toBe(refusal.message);
  });
});
