import { describe, expect, it } from 'vitest';
import { RpcErrorCode } from '../kernel/index.js';
import { planStart } from './index.js';
import { refusal } from './spec-refusal.js';
import {
  available,
  bitcoinCore,
  bitcoinKnots,
  installed,
  lnd,
  manifest,
  needs,
  rtl,
} from './spec-fixtures.js';

const startSteps = (...args: Parameters<typeof planStart>) =>
  planStart(...args).steps.map((step) => `${step.action} ${step.id} (${step.reason})`);

describe('planStart', () => {
  it('starts stopped dependencies first, dependencies before dependents', () => {
    const apps = [
      installed(rtl(), 'stopped'),
      installed(lnd(), 'failed'),
      installed(bitcoinCore(), 'stopped'),
    ];
    expect(startSteps({ id: 'rtl', installed: apps })).toEqual([
      'start bitcoin-core (provides bitcoin-node for lnd)',
      'start lnd (needed by rtl)',
      'start rtl (requested)',
    ]);
  });

  it('only waits for dependencies that are already up, and restarts one in a crash loop', () => {
    const plan = planStart({
      id: 'rtl',
      installed: [installed(rtl(), 'stopped'), installed(lnd()), installed(bitcoinCore())],
    });
    expect(plan.steps).toEqual([
      {
        action: 'start',
        id: 'rtl',
        version: '1.0.0',
        reason: 'requested',
        waitFor: [{ id: 'lnd', requires: 'running' }],
      },
    ]);
    const looping = [installed(rtl(), 'stopped'), installed(lnd(), 'crash-loop'), installed(bitcoinCore())];
    expect(startSteps({ id: 'rtl', installed: looping })).toEqual([
      'start lnd (needed by rtl)',
      'start rtl (requested)',
    ]);
  });

  it('keeps an app on the provider it was bound to at install', () => {
    const apps = [
      installed(lnd(), 'stopped', { bindings: { 'bitcoin-node': 'bitcoin-knots' } }),
      installed(bitcoinCore(), 'stopped'),
      installed(bitcoinKnots(), 'stopped'),
    ];
    expect(startSteps({ id: 'lnd', installed: apps })).toEqual([
      'start bitcoin-knots (provides bitcoin-node for lnd)',
      'start lnd (requested)',
    ]);
  });

  it('refuses to start a bound provider while the app it conflicts with runs', () => {
    const apps = [
      installed(lnd(), 'stopped', { bindings: { 'bitcoin-node': 'bitcoin-knots' } }),
      installed(bitcoinCore(), 'running'),
      installed(bitcoinKnots(), 'stopped'),
    ];
    expect(refusal(() => planStart({ id: 'lnd', installed: apps }))).toEqual({
      code: RpcErrorCode.Conflict,
      message:
        'bitcoin-knots (provides bitcoin-node for lnd) conflicts with bitcoin-core, which is running: ' +
        "stop bitcoin-core first ('archy stop bitcoin-core')",
    });
  });

  it('refuses to start an app that conflicts with a running one', () => {
    const apps = [installed(bitcoinKnots(), 'stopped'), installed(bitcoinCore(), 'running')];
    expect(refusal(() => planStart({ id: 'bitcoin-knots', installed: apps })).message).toBe(
      "bitcoin-knots conflicts with bitcoin-core, which is running: stop bitcoin-core first ('archy stop bitcoin-core')",
    );
  });

  it('asks which installed provider to use when it cannot tell', () => {
    const apps = [
      installed(lnd(), 'stopped'),
      installed(bitcoinCore(), 'stopped'),
      installed(bitcoinKnots(), 'stopped'),
    ];
    expect(refusal(() => planStart({ id: 'lnd', installed: apps })).message).toBe(
      "lnd needs 'bitcoin-node' and several installed apps provide it: bitcoin-core, bitcoin-knots; " +
        "start the one lnd should use ('archy start <id>'), then run 'archy start lnd' again",
    );
    expect(startSteps({ id: 'lnd', installed: apps, choices: { 'bitcoin-node': 'bitcoin-core' } })).toEqual([
      'start bitcoin-core (provides bitcoin-node for lnd)',
      'start lnd (requested)',
    ]);
  });

  it('never installs: a missing dependency is refused, naming what could be installed', () => {
    const apps = [installed(lnd(), 'stopped')];
    expect(
      refusal(() =>
        planStart({ id: 'lnd', installed: apps, available: available(bitcoinCore(), bitcoinKnots()) }),
      ),
    ).toEqual({
      code: RpcErrorCode.NotFound,
      message:
        "lnd needs 'bitcoin-node' but no installed app provides it; install one of: bitcoin-core, bitcoin-knots first ('archy install <id>')",
    });
    expect(
      refusal(() =>
        planStart({ id: 'rtl', installed: [installed(rtl(), 'stopped')], available: available(lnd()) }),
      ).message,
    ).toBe("rtl needs 'lnd' but no installed app provides it; install it first with 'archy install lnd'");
    expect(refusal(() => planStart({ id: 'lnd', installed: apps })).message).toBe(
      "no app provides 'bitcoin-node' (needed by lnd); install an app that provides it from its manifest with 'archy install path/to/manifest.yml'",
    );
  });

  it('refuses a dependency whose installed version fell out of range', () => {
    const apps = [installed(lnd('>=29'), 'stopped'), installed(bitcoinCore('28.4'), 'running')];
    expect(
      refusal(() => planStart({ id: 'lnd', installed: apps, available: available(bitcoinCore('29.3')) }))
        .message,
    ).toBe(
      "lnd needs bitcoin-node >=29 but bitcoin-core 28.4 is installed; update it first with 'archy set-version bitcoin-core 29.3'",
    );
  });

  it('refuses a cycle among installed apps', () => {
    const a = manifest('a', { dependencies: [needs('b')] });
    const b = manifest('b', { dependencies: [needs('a')] });
    expect(
      refusal(() => planStart({ id: 'a', installed: [installed(a, 'stopped'), installed(b, 'stopped')] }))
        .message,
    ).toBe(
      'dependency cycle: a → b → a; none of these apps can start before the others, so one of their manifests must drop that dependency',
    );
  });

  it('refuses an app that is not installed', () => {
    expect(refusal(() => planStart({ id: 'lnd', installed: [] }))).toEqual({
      code: RpcErrorCode.NotFound,
      message: "app 'lnd' is not installed; see installed apps with: archy list",
    });
  });
});
