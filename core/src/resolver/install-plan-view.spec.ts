import { describe, expect, it } from 'vitest';
import { RpcErrorCode } from '../kernel/index.js';
import { installPlanView } from './index.js';
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

const both = () => available(bitcoinCore(), bitcoinKnots(), lnd());
const stepLines = (view: ReturnType<typeof installPlanView>) =>
  view.steps.map((step) => `${step.action} ${step.app} ${step.version} (${step.why})`);

describe('installPlanView: provider choices', () => {
  it('is not ready while a Bitcoin node is to be chosen, offering both and planning only what is decided', () => {
    const view = installPlanView({ target: lnd(), available: both(), installed: [] });
    expect(view.ready).toBe(false);
    expect(view.choices).toEqual([
      {
        interface: 'bitcoin-node',
        dependent: 'lnd',
        candidates: [
          { id: 'bitcoin-core', name: 'bitcoin-core' },
          { id: 'bitcoin-knots', name: 'bitcoin-knots' },
        ],
      },
    ]);
    expect(stepLines(view)).toEqual([
      'install lnd 0.18.3-beta (requested)',
      'start lnd 0.18.3-beta (requested)',
    ]);
    expect(view.credentials).toEqual([]);
  });

  it('with the choice made: ready, the chosen node first, the choice still offered, and the login', () => {
    const view = installPlanView({
      target: lnd(),
      available: both(),
      installed: [],
      choices: { 'bitcoin-node': 'bitcoin-knots' },
    });
    expect(view.ready).toBe(true);
    expect(view.choices).toMatchObject([{ interface: 'bitcoin-node', chosen: 'bitcoin-knots' }]);
    expect(view.choices[0]?.candidates.map((c) => c.id)).toEqual(['bitcoin-core', 'bitcoin-knots']);
    expect(stepLines(view)).toEqual([
      'install bitcoin-knots 29.3.knots20260508 (provides bitcoin-node for lnd)',
      'start bitcoin-knots 29.3.knots20260508 (provides bitcoin-node for lnd)',
      'install lnd 0.18.3-beta (requested)',
      'start lnd 0.18.3-beta (requested)',
    ]);
    expect(view.credentials).toEqual([
      { dependent: 'lnd', provider: 'bitcoin-knots', interface: 'bitcoin-node' },
    ]);
  });

  it('finds a choice deeper down, and names the apps by their names', () => {
    const view = installPlanView({
      target: rtl(),
      available: [
        ...both(),
        ...available(manifest('bitcoin-core', { ...bitcoinCore(), name: 'Bitcoin Core' })),
      ],
      installed: [],
    });
    expect(view.ready).toBe(false);
    expect(view.choices[0]).toMatchObject({ interface: 'bitcoin-node', dependent: 'lnd' });
    expect(view.steps.map((step) => `${step.action} ${step.app}`)).toEqual([
      'install lnd',
      'start lnd',
      'install rtl',
      'start rtl',
    ]);
  });

  it('offers no choice when one provider is the obvious one (the only one running)', () => {
    const view = installPlanView({
      target: lnd(),
      available: both(),
      installed: [installed(bitcoinCore(), 'stopped'), installed(bitcoinKnots(), 'running')],
    });
    expect(view.ready).toBe(true);
    expect(view.choices).toEqual([]);
  });

  it('keeps every other refusal, such as a choice that does not provide the interface', () => {
    const request = { target: lnd(), available: both(), installed: [], choices: { 'bitcoin-node': 'rtl' } };
    expect(refusal(() => installPlanView(request)).code).toBe(RpcErrorCode.NotFound);
  });

  it("shows the install's version for the app asked for", () => {
    const view = installPlanView({
      target: manifest('hello'),
      available: [],
      installed: [],
      version: '1.2.0',
    });
    expect(view.steps.map((step) => step.version)).toEqual(['1.2.0', '1.2.0']);
  });
});

describe('installPlanView: logins and restarts', () => {
  it('restarts a running Bitcoin node (and the apps using it) to learn the new login, before the app starts', () => {
    const wallet = manifest('wallet', { dependencies: [needs('bitcoin-node')] });
    const view = installPlanView({
      target: lnd(),
      available: [],
      installed: [
        installed(bitcoinCore(), 'running'),
        installed(wallet, 'running', { bindings: { 'bitcoin-node': 'bitcoin-core' } }),
      ],
    });
    expect(stepLines(view)).toEqual([
      'install lnd 0.18.3-beta (requested)',
      "restart bitcoin-core 28.4 (learns lnd's RPC login (bitcoin-core reads logins only at start))",
      'restart wallet 1.0.0 (uses bitcoin-core, which restarts)',
      'start lnd 0.18.3-beta (requested)',
    ]);
    expect(view.credentials).toEqual([
      { dependent: 'lnd', provider: 'bitcoin-core', interface: 'bitcoin-node' },
    ]);
  });

  it('restarts a stopped node the plan starts: its container was made with the logins it had', () => {
    const view = installPlanView({
      target: lnd(),
      available: [],
      installed: [installed(bitcoinCore(), 'stopped')],
    });
    expect(view.steps.map((step) => `${step.action} ${step.app}`)).toEqual([
      'start bitcoin-core',
      'install lnd',
      'restart bitcoin-core',
      'start lnd',
    ]);
  });

  it('does not restart a node the plan installs: it is made with the logins of every app the plan brings', () => {
    const view = installPlanView({ target: lnd(), available: available(bitcoinCore()), installed: [] });
    expect(view.steps.map((step) => `${step.action} ${step.app}`)).toEqual([
      'install bitcoin-core',
      'start bitcoin-core',
      'install lnd',
      'start lnd',
    ]);
  });

  it("lists a login for a node asked for by app id, and a Lightning node's credential, and none for other apps", () => {
    const app = manifest('explorer', {
      dependencies: [needs('bitcoin-core'), needs('lightning-node'), needs('db')],
    });
    const lightning = manifest('lnd', {
      provides: ['lightning-node'],
      dependencies: [needs('bitcoin-node')],
    });
    const view = installPlanView({
      target: app,
      available: available(bitcoinCore(), lightning, manifest('db')),
      installed: [],
    });
    expect(view.credentials).toEqual([
      { dependent: 'lnd', provider: 'bitcoin-core', interface: 'bitcoin-node' },
      { dependent: 'explorer', provider: 'bitcoin-core', interface: 'bitcoin-node' },
      { dependent: 'explorer', provider: 'lnd', interface: 'lightning-node' },
    ]);
  });

  it("carries a dependency's rpcMethods as the login's methods", () => {
    const spec = { ...needs('bitcoin-node'), rpcMethods: ['getblockchaininfo', 'getblock'] };
    const app = manifest('explorer', { dependencies: [spec] });
    const view = installPlanView({ target: app, available: available(bitcoinCore()), installed: [] });
    expect(view.credentials).toEqual([
      {
        dependent: 'explorer',
        provider: 'bitcoin-core',
        interface: 'bitcoin-node',
        methods: ['getblockchaininfo', 'getblock'],
      },
    ]);
  });
});
