import { describe, expect, it } from 'vitest';
import { RpcErrorCode } from '../kernel/index.js';
import { planRemove, planStop } from './index.js';
import { refusal } from './spec-refusal.js';
import { bitcoinCore, bitcoinKnots, installed, lnd, manifest, needs, rtl } from './spec-fixtures.js';

const mempool = manifest('mempool', { dependencies: [needs('bitcoin-node')] });
const node = [installed(bitcoinCore()), installed(lnd()), installed(rtl()), installed(mempool)];

describe('planStop', () => {
  it('stops an app nothing running needs', () => {
    expect(planStop({ id: 'rtl', installed: node })).toEqual({ id: 'rtl', stopFirst: [] });
  });

  it('refuses while dependents run, naming them and the way out', () => {
    expect(refusal(() => planStop({ id: 'bitcoin-core', installed: node }))).toEqual({
      code: RpcErrorCode.Conflict,
      message:
        'cannot stop bitcoin-core while apps that need it are running: lnd, mempool, rtl; ' +
        "stop them first, or run 'archy stop bitcoin-core --cascade' to stop them too",
    });
  });

  it('with cascade, lists dependents to stop first, deepest first', () => {
    expect(planStop({ id: 'bitcoin-core', installed: node, cascade: true })).toEqual({
      id: 'bitcoin-core',
      stopFirst: ['rtl', 'lnd', 'mempool'],
    });
  });

  it('orders by the longest way down, so a dependent also needing the app directly stops first', () => {
    const dashboard = manifest('dashboard', { dependencies: [needs('bitcoin-node'), needs('rtl')] });
    const apps = [...node, installed(dashboard)];
    expect(planStop({ id: 'bitcoin-core', installed: apps, cascade: true }).stopFirst).toEqual([
      'dashboard',
      'rtl',
      'lnd',
      'mempool',
    ]);
  });

  it('ignores dependents already down or stopping, and those that only need it installed', () => {
    const archive = manifest('archive', { dependencies: [needs('bitcoin-core', 'installed')] });
    const apps = [
      installed(bitcoinCore()),
      installed(lnd(), 'stopped'),
      installed(rtl(), 'failed'),
      installed(mempool, 'stopping'),
      installed(archive),
    ];
    expect(planStop({ id: 'bitcoin-core', installed: apps })).toEqual({ id: 'bitcoin-core', stopFirst: [] });
  });

  it('counts dependents that are coming up or crash-looping as running', () => {
    const apps = [installed(bitcoinCore()), installed(lnd(), 'starting'), installed(mempool, 'crash-loop')];
    expect(refusal(() => planStop({ id: 'bitcoin-core', installed: apps })).message).toBe(
      'cannot stop bitcoin-core while apps that need it are running: lnd, mempool; ' +
        "stop them first, or run 'archy stop bitcoin-core --cascade' to stop them too",
    );
  });

  it('refuses an app that is not installed', () => {
    expect(refusal(() => planStop({ id: 'lnd', installed: [] })).code).toBe(RpcErrorCode.NotFound);
  });
});

describe('planRemove', () => {
  it('refuses while dependents run, suggesting --cascade', () => {
    expect(refusal(() => planRemove({ id: 'lnd', installed: node }))).toEqual({
      code: RpcErrorCode.Conflict,
      message:
        "cannot remove lnd while apps that need it are running: rtl; stop them first, or run 'archy remove lnd --cascade' to stop them too",
    });
  });

  it('with cascade, stops dependents deepest first and reports who is left without a provider', () => {
    expect(planRemove({ id: 'bitcoin-core', installed: node, cascade: true })).toEqual({
      id: 'bitcoin-core',
      stopFirst: ['rtl', 'lnd', 'mempool'],
      orphaned: [
        { id: 'lnd', needs: 'bitcoin-node' },
        { id: 'mempool', needs: 'bitcoin-node' },
      ],
    });
  });

  it('also stops a running app that only needs it installed', () => {
    const archive = manifest('archive', { dependencies: [needs('bitcoin-core', 'installed')] });
    const apps = [installed(bitcoinCore()), installed(archive)];
    expect(refusal(() => planRemove({ id: 'bitcoin-core', installed: apps })).message).toBe(
      'cannot remove bitcoin-core while apps that need it are running: archive; ' +
        "stop them first, or run 'archy remove bitcoin-core --cascade' to stop them too",
    );
  });

  it('allows removal with only stopped dependents, reporting them as orphaned', () => {
    const apps = [installed(bitcoinCore(), 'stopped'), installed(lnd(), 'stopped')];
    expect(planRemove({ id: 'bitcoin-core', installed: apps })).toEqual({
      id: 'bitcoin-core',
      stopFirst: [],
      orphaned: [{ id: 'lnd', needs: 'bitcoin-node' }],
    });
  });

  it('does not report a dependent another installed provider can serve', () => {
    const apps = [
      installed(bitcoinCore(), 'stopped'),
      installed(bitcoinKnots(), 'stopped'),
      installed(lnd(), 'stopped', { bindings: { 'bitcoin-node': 'bitcoin-core' } }),
    ];
    expect(planRemove({ id: 'bitcoin-core', installed: apps })).toEqual({
      id: 'bitcoin-core',
      stopFirst: [],
      orphaned: [],
    });
  });
});
