import { describe, expect, it } from 'vitest';
import { RpcErrorCode } from '../kernel/index.js';
import { bootOrder, checkVersionChange, dependencyLinks, dependentsOf } from './index.js';
import { refusal } from './spec-refusal.js';
import { bitcoinCore, bitcoinKnots, installed, lnd, manifest, needs, rtl } from './spec-fixtures.js';

const mempool = manifest('mempool', { dependencies: [needs('bitcoin-node'), needs('electrum-server')] });
const electrs = manifest('electrs', { provides: ['electrum-server'], dependencies: [needs('bitcoin-node')] });
const nostr = manifest('nostr-relay');

describe('bootOrder', () => {
  it('starts dependencies first, by id among equals', () => {
    const apps = [rtl(), mempool, nostr, lnd(), electrs, bitcoinCore()].map((app) =>
      installed(app, 'stopped'),
    );
    expect(bootOrder(apps)).toEqual({
      order: ['bitcoin-core', 'electrs', 'lnd', 'mempool', 'nostr-relay', 'rtl'],
      cycles: [],
      unresolved: [],
    });
  });

  it('reports cycles and missing dependencies instead of failing, still listing every app', () => {
    const a = manifest('a', { dependencies: [needs('b')] });
    const b = manifest('b', { dependencies: [needs('c')] });
    const c = manifest('c', { dependencies: [needs('a')] });
    const apps = [a, b, c, lnd(), rtl()].map((app) => installed(app, 'stopped'));
    expect(bootOrder(apps)).toEqual({
      order: ['a', 'b', 'c', 'lnd', 'rtl'],
      cycles: [['a', 'b', 'c', 'a']],
      unresolved: [{ id: 'lnd', needs: 'bitcoin-node' }],
    });
  });

  it('reports an app that alone provides what it needs as a self-cycle', () => {
    const x = manifest('x', { provides: ['foo'], dependencies: [needs('foo')] });
    expect(bootOrder([installed(x)])).toEqual({ order: ['x'], cycles: [['x', 'x']], unresolved: [] });
  });
});

describe('dependencyLinks', () => {
  it('links each dependent to its dependency under every name the dependency answers to', () => {
    const apps = [bitcoinCore(), lnd(), rtl(), nostr].map((app) => installed(app));
    const { links, dependencies, unresolved } = dependencyLinks(apps);
    expect(links).toEqual([
      { dependent: 'lnd', dependency: 'bitcoin-core', aliases: ['bitcoin-core', 'bitcoin-node'] },
      { dependent: 'rtl', dependency: 'lnd', aliases: ['lnd'] },
    ]);
    expect(dependencies['lnd']).toEqual([
      {
        requested: 'bitcoin-node',
        appId: 'bitcoin-core',
        version: '28.4',
        requires: 'running',
        host: 'bitcoin-node',
        ports: { rpc: 18443, p2p: 18444 },
        secretRefs: [],
      },
    ]);
    expect(dependencies['nostr-relay']).toBeUndefined();
    expect(unresolved).toEqual([]);
  });

  it('makes one link for a dependency asked for by two names', () => {
    const wallet = manifest('wallet', {
      dependencies: [needs('bitcoin-core'), needs('bitcoin-node', 'healthy')],
    });
    const { links, dependencies } = dependencyLinks([installed(bitcoinCore()), installed(wallet)]);
    expect(links).toEqual([
      { dependent: 'wallet', dependency: 'bitcoin-core', aliases: ['bitcoin-core', 'bitcoin-node'] },
    ]);
    expect(dependencies['wallet']?.map((d) => `${d.host} → ${d.appId} (${d.requires})`)).toEqual([
      'bitcoin-core → bitcoin-core (running)',
      'bitcoin-node → bitcoin-core (healthy)',
    ]);
  });

  it('follows bindings, else the running provider', () => {
    const bound = [
      installed(bitcoinCore(), 'running'),
      installed(bitcoinKnots(), 'stopped'),
      installed(lnd(), 'stopped', { bindings: { 'bitcoin-node': 'bitcoin-knots' } }),
    ];
    expect(dependencyLinks(bound).links.map((link) => link.dependency)).toEqual(['bitcoin-knots']);
    const unbound = [
      installed(bitcoinCore(), 'stopped'),
      installed(bitcoinKnots(), 'running'),
      installed(lnd()),
    ];
    expect(dependencyLinks(unbound).links.map((link) => link.dependency)).toEqual(['bitcoin-knots']);
  });
});

describe('dependentsOf', () => {
  it('lists direct and transitive dependents', () => {
    const apps = [bitcoinCore(), lnd(), rtl(), electrs, mempool, nostr].map((app) => installed(app));
    expect(dependentsOf('bitcoin-core', apps)).toEqual({
      direct: ['electrs', 'lnd', 'mempool'],
      all: ['electrs', 'lnd', 'mempool', 'rtl'],
    });
    expect(dependentsOf('lnd', apps)).toEqual({ direct: ['rtl'], all: ['rtl'] });
    expect(dependentsOf('nostr-relay', apps)).toEqual({ direct: [], all: [] });
  });

  it('terminates on cycles', () => {
    const a = manifest('a', { dependencies: [needs('b')] });
    const b = manifest('b', { dependencies: [needs('a')] });
    expect(dependentsOf('a', [installed(a), installed(b)])).toEqual({ direct: ['b'], all: ['b'] });
  });
});

describe('checkVersionChange', () => {
  const apps = [installed(bitcoinCore('29.3')), installed(lnd('>=29'))];

  it('allows a version every dependent accepts', () => {
    expect(() => checkVersionChange('bitcoin-core', '30.0', apps)).not.toThrow();
  });

  it('refuses a version a dependent does not accept', () => {
    expect(refusal(() => checkVersionChange('bitcoin-core', '28.4', apps))).toEqual({
      code: RpcErrorCode.Conflict,
      message:
        'bitcoin-core 28.4 would not satisfy lnd, which needs bitcoin-node >=29; choose a version in that range, or remove lnd first',
    });
  });
});
