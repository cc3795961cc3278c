import { describe, expect, it } from 'vitest';
import { RpcError } from '../api/container-client';
import {
  consentSatisfied,
  describeFailure,
  planImplementationSwitch,
  planVersionChange,
  refusalNeedsTypedConfirmation,
  setVersionParams,
  switchParams,
} from './version-card';

const none = { confirmed: false, typed: '' };
const ticked = { confirmed: true, typed: '' };

describe('version change plan', () => {
  it('an upgrade needs nothing', () => {
    const plan = planVersionChange({ appId: 'bitcoin-core', current: '28.4', target: '31.0', pruned: false });
    expect(plan).toMatchObject({ direction: 'upgrade', needs: 'nothing', warnings: [] });
    expect(consentSatisfied(plan, none)).toBe(true);
    expect(setVersionParams('bitcoin-core', '31.0', plan, none)).toEqual({
      id: 'bitcoin-core',
      version: '31.0',
    });
  });

  it('the same version is not a change', () => {
    const plan = planVersionChange({ appId: 'bitcoin-core', current: '31.0', target: '31.0', pruned: false });
    expect(plan.direction).toBe('same');
    expect(consentSatisfied(plan, ticked)).toBe(false);
  });

  it('a downgrade warns about the reindex and needs explicit confirmation', () => {
    const plan = planVersionChange({ appId: 'bitcoin-core', current: '31.0', target: '28.4', pruned: false });
    expect(plan.direction).toBe('downgrade');
    expect(plan.needs).toBe('confirmation');
    expect(plan.warnings.join(' ')).toMatch(/31\.0 → 28\.4.*reindex/);
    expect(consentSatisfied(plan, none)).toBe(false);
    expect(consentSatisfied(plan, ticked)).toBe(true);
    expect(setVersionParams('bitcoin-core', '28.4', plan, ticked)).toEqual({
      id: 'bitcoin-core',
      version: '28.4',
      confirmDowngrade: true,
    });
  });

  it('a downgrade on a pruned node needs the app id typed, for the full re-sync', () => {
    const plan = planVersionChange({ appId: 'bitcoin-core', current: '31.0', target: '28.4', pruned: true });
    expect(plan.needs).toBe('typed-confirmation');
    expect(plan.typedText).toBe('bitcoin-core');
    expect(plan.warnings.join(' ')).toMatch(/pruned.*full re-sync/);
    expect(consentSatisfied(plan, ticked)).toBe(false);
    expect(consentSatisfied(plan, { confirmed: true, typed: 'bitcoin-knots' })).toBe(false);
    expect(consentSatisfied(plan, { confirmed: false, typed: 'bitcoin-core' })).toBe(false);
    const consent = { confirmed: true, typed: ' bitcoin-core ' };
    expect(consentSatisfied(plan, consent)).toBe(true);
    expect(setVersionParams('bitcoin-core', '28.4', plan, consent)).toEqual({
      id: 'bitcoin-core',
      version: '28.4',
      confirmDowngrade: true,
      confirmResync: 'bitcoin-core',
    });
  });

  it('orders Knots builds by date and shows them with it', () => {
    const plan = planVersionChange({
      appId: 'bitcoin-knots',
      current: '29.3.knots20260508',
      target: '29.3.knots20260101',
      pruned: false,
    });
    expect(plan.direction).toBe('downgrade');
    expect(plan.warnings[0]).toContain('29.3 (2026-05-08) → 29.3 (2026-01-01)');
  });
});

describe('Core ⇄ Knots switch', () => {
  it('always needs its own confirmation, even when it is no downgrade', () => {
    const request = {
      fromApp: 'bitcoin-core',
      fromVersion: '29.1',
      toApp: 'bitcoin-knots',
      toVersion: '29.3.knots20260508',
      pruned: false,
    };
    const plan = planImplementationSwitch(request);
    expect(plan.needs).toBe('confirmation');
    expect(plan.direction).toBe('upgrade');
    expect(plan.warnings[0]).toMatch(/Switch from Bitcoin Core to Bitcoin Knots/);
    expect(consentSatisfied(plan, none)).toBe(false);
    expect(switchParams(request, plan, ticked)).toEqual({
      from: 'bitcoin-core',
      to: 'bitcoin-knots',
      version: '29.3.knots20260508',
      confirmSwitch: true,
    });
  });

  it('compares the Core base: Core 31.0 → Knots 29.3 is a downgrade too, with both warnings', () => {
    const request = {
      fromApp: 'bitcoin-core',
      fromVersion: '31.0',
      toApp: 'bitcoin-knots',
      toVersion: '29.3.knots20260508',
      pruned: true,
    };
    const plan = planImplementationSwitch(request);
    expect(plan.direction).toBe('downgrade');
    expect(plan.needs).toBe('typed-confirmation');
    expect(plan.typedText).toBe('bitcoin-knots');
    expect(plan.warnings).toHaveLength(3);
    const consent = { confirmed: true, typed: 'bitcoin-knots' };
    expect(switchParams(request, plan, consent)).toMatchObject({
      confirmSwitch: true,
      confirmDowngrade: true,
      confirmResync: 'bitcoin-knots',
    });
  });
});

describe('failures', () => {
  it('says plainly when the daemon has no such method yet', () => {
    const message = describeFailure(
      new RpcError(-32601, "unknown method 'package.set-version'"),
      'change versions',
    );
    expect(message).toMatch(/cannot change versions yet/);
  });

  it("passes the daemon's refusal through, and spots a pruned-node refusal", () => {
    const refusal = new RpcError(
      -32003,
      'this node is pruned: a downgrade means a full re-sync; type bitcoin-core',
    );
    expect(describeFailure(refusal, 'change versions')).toBe(refusal.message);
    expect(refusalNeedsTypedConfirmation(refusal)).toBe(true);
    expect(refusalNeedsTypedConfirmation(new RpcError(-32003, 'busy'))).toBe(false);
    // The daemon's set-version refusal says so in its data too, whatever its words.
    const planned = new RpcError(-32003, 'downgrading needs confirmation', {
      plan: { kind: 'downgrade', needs: 'typed-confirmation', warning: 'x', rules: [] },
    });
    expect(refusalNeedsTypedConfirmation(planned)).toBe(true);
  });
});
