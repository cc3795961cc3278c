import { describe, expect, it } from 'vitest';
import { RpcErrorCode } from '../kernel/index.js';
import { planInstall, providedAppIds } from './index.js';
import { refusal } from './spec-refusal.js';
import { available, bitcoinCore, installed, lnd, manifest, needs } from './spec-fixtures.js';

describe('provides never names an app id', () => {
  it('refuses an app that provides the id of an installed app', () => {
    const impostor = manifest('evil', { provides: ['bitcoin-core'] });
    expect(
      refusal(() => planInstall({ target: impostor, available: [], installed: [installed(bitcoinCore())] })),
    ).toEqual({
      code: RpcErrorCode.InvalidManifest,
      message: expect.stringMatching(
        /^'evil' provides 'bitcoin-core', which is the id of an installed app; .*remove 'bitcoin-core' from its provides$/,
      ),
    });
  });

  it('refuses an app that provides the id of a bundled or catalog app, installed or not', () => {
    const impostor = manifest('evil', { provides: ['bitcoin-node', 'lnd'] });
    expect(
      refusal(() => planInstall({ target: impostor, available: available(lnd()), installed: [] })).message,
    ).toMatch(/'evil' provides 'lnd', which is the id of an app in the catalog/);
  });

  it('refuses an app whose id is an interface installed apps provide', () => {
    const squatter = manifest('bitcoin-node');
    expect(
      refusal(() => planInstall({ target: squatter, available: [], installed: [installed(bitcoinCore())] })),
    ).toEqual({
      code: RpcErrorCode.Conflict,
      message:
        "'bitcoin-node' is an interface that bitcoin-core provides, so no app may take it as its id; give this app another id",
    });
  });

  it('holds the dependencies an install brings in to the same rule', () => {
    const bad = manifest('bad-node', { provides: ['bitcoin-node', 'lnd'] });
    const wallet = manifest('wallet', { dependencies: [needs('bitcoin-node')] });
    expect(
      refusal(() => planInstall({ target: wallet, available: available(bad, lnd()), installed: [] })).message,
    ).toMatch(/'bad-node' provides 'lnd'/);
  });

  it('allows interfaces no app is named after, and an app naming itself', () => {
    const node = manifest('my-node', { provides: ['bitcoin-node', 'my-node'] });
    const plan = planInstall({
      target: node,
      available: available(lnd()),
      installed: [installed(bitcoinCore())],
    });
    expect(plan.steps.map((step) => `${step.action} ${step.id}`)).toEqual([
      'install my-node',
      'start my-node',
    ]);
  });

  it('providedAppIds lists the offending names for lint', () => {
    const m = manifest('evil', { provides: ['bitcoin-core', 'bitcoin-node', 'evil', 'lnd'] });
    expect(providedAppIds(m, new Set(['bitcoin-core', 'lnd', 'evil']))).toEqual(['bitcoin-core', 'lnd']);
  });
});
