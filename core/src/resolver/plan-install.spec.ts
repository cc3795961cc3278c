import { describe, expect, it } from 'vitest';
import { RpcErrorCode } from '../kernel/index.js';
import { planInstall } from './index.js';
import type { InstallRequest } from './index.js';
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

const steps = (request: InstallRequest) =>
  planInstall(request).steps.map((step) => `${step.action} ${step.id} ${step.version}`);

describe('planInstall: ordering', () => {
  it('installs and starts a chain dependencies first, saying why each app is there', () => {
    const plan = planInstall({ target: rtl(), available: available(bitcoinCore(), lnd()), installed: [] });
    expect(plan.steps).toEqual([
      {
        action: 'install',
        id: 'bitcoin-core',
        version: '28.4',
        reason: 'provides bitcoin-node for lnd',
        waitFor: [],
      },
      {
        action: 'start',
        id: 'bitcoin-core',
        version: '28.4',
        reason: 'provides bitcoin-node for lnd',
        waitFor: [],
      },
      { action: 'install', id: 'lnd', version: '0.18.3-beta', reason: 'needed by rtl', waitFor: [] },
      {
        action: 'start',
        id: 'lnd',
        version: '0.18.3-beta',
        reason: 'needed by rtl',
        waitFor: [{ id: 'bitcoin-core', requires: 'running' }],
      },
      { action: 'install', id: 'rtl', version: '1.0.0', reason: 'requested', waitFor: [] },
      {
        action: 'start',
        id: 'rtl',
        version: '1.0.0',
        reason: 'requested',
        waitFor: [{ id: 'lnd', requires: 'running' }],
      },
    ]);
  });

  it('brings in a shared dependency of a diamond once, before both of its dependents', () => {
    const base = manifest('base');
    const left = manifest('left', { dependencies: [needs('base')] });
    const right = manifest('right', { dependencies: [needs('base', 'healthy')] });
    const top = manifest('top', { dependencies: [needs('right'), needs('left')] });
    const plan = planInstall({ target: top, available: available(base, left, right), installed: [] });
    expect(plan.steps.map((step) => `${step.action} ${step.id}`)).toEqual([
      'install base',
      'start base',
      'install left',
      'start left',
      'install right',
      'start right',
      'install top',
      'start top',
    ]);
    expect(plan.steps.find((step) => step.id === 'right' && step.action === 'start')?.waitFor).toEqual([
      { id: 'base', requires: 'healthy' },
    ]);
  });

  it('leaves running dependencies alone and starts stopped ones', () => {
    const mempool = manifest('mempool', { dependencies: [needs('bitcoin-node'), needs('electrs')] });
    const electrs = manifest('electrs', { dependencies: [needs('bitcoin-node')] });
    const plan = planInstall({
      target: mempool,
      available: available(bitcoinCore()),
      installed: [installed(bitcoinCore(), 'running'), installed(electrs, 'stopped')],
    });
    expect(plan.steps.map((step) => `${step.action} ${step.id} (${step.reason})`)).toEqual([
      'start electrs (needed by mempool)',
      'install mempool (requested)',
      'start mempool (requested)',
    ]);
  });

  it('installs but does not start a dependency that only needs to be installed, nor what it needs', () => {
    const tools = manifest('tools', { dependencies: [needs('bitcoin-node')] });
    const app = manifest('app', { dependencies: [needs('tools', 'installed')] });
    expect(steps({ target: app, available: available(bitcoinCore(), tools), installed: [] })).toEqual([
      'install bitcoin-core 28.4',
      'install tools 1.0.0',
      'install app 1.0.0',
      'start app 1.0.0',
    ]);
  });

  it('starts a dependency first met as install-only once another path needs it running', () => {
    const base = manifest('base');
    const a = manifest('a', { dependencies: [needs('base', 'installed')] });
    const b = manifest('b', { dependencies: [needs('base')] });
    const top = manifest('top', { dependencies: [needs('a'), needs('b')] });
    expect(steps({ target: top, available: available(base, a, b), installed: [] })).toEqual([
      'install base 1.0.0',
      'start base 1.0.0',
      'install a 1.0.0',
      'start a 1.0.0',
      'install b 1.0.0',
      'start b 1.0.0',
      'install top 1.0.0',
      'start top 1.0.0',
    ]);
  });

  it('refuses an app that is already installed', () => {
    expect(
      refusal(() => planInstall({ target: lnd(), available: [], installed: [installed(lnd(), 'stopped')] })),
    ).toEqual({
      code: RpcErrorCode.Conflict,
      message:
        "'lnd' is already installed (version 0.18.3-beta); start it with 'archy start lnd' " +
        "or change its version with 'archy set-version lnd <version>'",
    });
  });
});

describe('planInstall: which app provides an interface', () => {
  const both = available(bitcoinCore(), bitcoinKnots());

  it("takes the user's choice", () => {
    expect(
      steps({ target: lnd(), available: both, installed: [], choices: { 'bitcoin-node': 'bitcoin-knots' } }),
    ).toEqual([
      'install bitcoin-knots 29.3.knots20260508',
      'start bitcoin-knots 29.3.knots20260508',
      'install lnd 0.18.3-beta',
      'start lnd 0.18.3-beta',
    ]);
  });

  it('refuses a choice that does not provide the interface, listing those that do', () => {
    const request = { target: lnd(), available: both, installed: [], choices: { 'bitcoin-node': 'rtl' } };
    expect(refusal(() => planInstall(request))).toEqual({
      code: RpcErrorCode.NotFound,
      message: "'rtl' does not provide 'bitcoin-node'; choose one of: bitcoin-core, bitcoin-knots",
    });
  });

  it('uses an installed provider, starting it when stopped', () => {
    expect(
      steps({ target: lnd(), available: both, installed: [installed(bitcoinKnots(), 'stopped')] }),
    ).toEqual(['start bitcoin-knots 29.3.knots20260508', 'install lnd 0.18.3-beta', 'start lnd 0.18.3-beta']);
  });

  it('prefers the installed provider that is running', () => {
    const mempool = manifest('mempool', { dependencies: [needs('electrum-server')] });
    const electrs = manifest('electrs', { provides: ['electrum-server'] });
    const fulcrum = manifest('fulcrum', { provides: ['electrum-server'] });
    const plan = planInstall({
      target: mempool,
      available: [],
      installed: [installed(electrs, 'stopped'), installed(fulcrum, 'running')],
    });
    expect(plan.dependencies['mempool']?.map((d) => d.appId)).toEqual(['fulcrum']);
  });

  it('installs the only available provider', () => {
    expect(steps({ target: lnd(), available: available(bitcoinKnots()), installed: [] })).toEqual([
      'install bitcoin-knots 29.3.knots20260508',
      'start bitcoin-knots 29.3.knots20260508',
      'install lnd 0.18.3-beta',
      'start lnd 0.18.3-beta',
    ]);
  });

  it('refuses to guess between several available providers, listing them and the commands that choose', () => {
    expect(refusal(() => planInstall({ target: lnd(), available: both, installed: [] }))).toEqual({
      code: RpcErrorCode.Conflict,
      message:
        "lnd needs 'bitcoin-node', which several apps provide: bitcoin-core, bitcoin-knots; choose one: " +
        "'archy install lnd --with bitcoin-node=bitcoin-core' or 'archy install lnd --with bitcoin-node=bitcoin-knots'",
    });
  });

  it('refuses to guess between several installed providers when none or several are running', () => {
    const electrs = manifest('electrs', { provides: ['electrum-server'] });
    const fulcrum = manifest('fulcrum', { provides: ['electrum-server'] });
    const mempool = manifest('mempool', { dependencies: [needs('electrum-server')] });
    const stopped = [installed(electrs, 'stopped'), installed(fulcrum, 'failed')];
    expect(refusal(() => planInstall({ target: mempool, available: [], installed: stopped })).message).toBe(
      "mempool needs 'electrum-server' and several installed apps provide it: electrs, fulcrum; choose one: " +
        "'archy install mempool --with electrum-server=electrs' or 'archy install mempool --with electrum-server=fulcrum'",
    );
    const running = [installed(electrs), installed(fulcrum, 'unhealthy')];
    expect(refusal(() => planInstall({ target: mempool, available: [], installed: running })).message).toBe(
      "mempool needs 'electrum-server' and several running apps provide it: electrs, fulcrum; choose one: " +
        "'archy install mempool --with electrum-server=electrs' or 'archy install mempool --with electrum-server=fulcrum'",
    );
  });

  it('lets two dependents share the provider the plan already brings in', () => {
    const explorer = manifest('explorer', { dependencies: [needs('bitcoin-knots'), needs('lnd')] });
    expect(steps({ target: explorer, available: [...both, ...available(lnd())], installed: [] })).toEqual([
      'install bitcoin-knots 29.3.knots20260508',
      'start bitcoin-knots 29.3.knots20260508',
      'install lnd 0.18.3-beta',
      'start lnd 0.18.3-beta',
      'install explorer 1.0.0',
      'start explorer 1.0.0',
    ]);
  });

  it('refuses an interface nobody provides', () => {
    const mempool = manifest('mempool', { dependencies: [needs('electrum-server')] });
    expect(
      refusal(() => planInstall({ target: mempool, available: available(bitcoinCore()), installed: [] })),
    ).toEqual({
      code: RpcErrorCode.NotFound,
      message:
        "no app provides 'electrum-server' (needed by mempool); " +
        "install an app that provides it from its manifest with 'archy install path/to/manifest.yml'",
    });
  });
});

describe('planInstall: version ranges', () => {
  it('accepts an installed dependency in range', () => {
    expect(
      steps({ target: lnd('>=28'), available: [], installed: [installed(bitcoinCore('28.4'))] }),
    ).toEqual(['install lnd 0.18.3-beta', 'start lnd 0.18.3-beta']);
  });

  it('refuses an installed dependency out of range, naming the version to update to', () => {
    const request = {
      target: lnd('>=29'),
      available: available(bitcoinCore('28.4'), bitcoinCore('29.3'), bitcoinCore('30.0rc1')),
      installed: [installed(bitcoinCore('28.4'))],
    };
    expect(refusal(() => planInstall(request))).toEqual({
      code: RpcErrorCode.Conflict,
      message:
        "lnd needs bitcoin-node >=29 but bitcoin-core 28.4 is installed; update it first with 'archy set-version bitcoin-core 29.3'",
    });
  });

  it('says so when no available version would do either', () => {
    const request = { target: lnd('>=29'), available: [], installed: [installed(bitcoinCore('28.4'))] };
    expect(refusal(() => planInstall(request)).message).toBe(
      'lnd needs bitcoin-node >=29 but bitcoin-core 28.4 is installed; no available version of bitcoin-core satisfies >=29',
    );
  });

  it('installs the newest stable available version in range', () => {
    const versions = available(
      bitcoinCore('27.2'),
      bitcoinCore('30.0rc1'),
      bitcoinCore('29.3'),
      bitcoinCore('28.4'),
    );
    expect(steps({ target: lnd('>=28 <30'), available: versions, installed: [] })[0]).toBe(
      'install bitcoin-core 29.3',
    );
  });

  it('refuses when no available version is in range', () => {
    const versions = available(bitcoinCore('28.4'), bitcoinCore('27.2'));
    expect(refusal(() => planInstall({ target: lnd('>=29'), available: versions, installed: [] }))).toEqual({
      code: RpcErrorCode.NotFound,
      message:
        'lnd needs bitcoin-node >=29 but no available version of bitcoin-core satisfies it (available: 28.4, 27.2)',
    });
  });

  it('compares Knots by its numeric version, and between Knots releases by date', () => {
    const knots = available(
      bitcoinKnots('29.3.knots20260508'),
      bitcoinKnots('29.3.knots20260601'),
      bitcoinKnots('28.1.knots20250305'),
    );
    expect(steps({ target: lnd('>=29.3'), available: knots, installed: [] })[0]).toBe(
      'install bitcoin-knots 29.3.knots20260601',
    );
    expect(
      steps({
        target: lnd('>=29'),
        available: [],
        installed: [installed(bitcoinKnots('29.3.knots20260508'))],
      }),
    ).toEqual(['install lnd 0.18.3-beta', 'start lnd 0.18.3-beta']);
  });

  it('refuses a version chosen for one dependent that another does not accept', () => {
    const old = manifest('old-wallet', { dependencies: [needs('bitcoin-core', 'running', '<29')] });
    const top = manifest('top', {
      dependencies: [needs('old-wallet'), needs('bitcoin-node', 'running', '>=29')],
    });
    const request = {
      target: top,
      available: available(old, bitcoinCore('28.4'), bitcoinCore('29.3')),
      installed: [],
    };
    expect(refusal(() => planInstall(request))).toEqual({
      code: RpcErrorCode.Conflict,
      message:
        'top needs bitcoin-node >=29 but bitcoin-core 28.4 was chosen for old-wallet; install bitcoin-core ' +
        "in a version both accept first ('archy install bitcoin-core --version <v>')",
    });
  });

  it('refuses a range that is not one', () => {
    expect(
      refusal(() =>
        planInstall({ target: lnd('twenty-nine'), available: available(bitcoinCore()), installed: [] }),
      ),
    ).toEqual({
      code: RpcErrorCode.InvalidManifest,
      message:
        "lnd's manifest asks for bitcoin-node version 'twenty-nine', which is not a version range " +
        "(write one like '>=28.0'); fix the manifest",
    });
  });
});

describe('planInstall: cycles', () => {
  const cycleMessage = (path: string) =>
    `dependency cycle: ${path}; none of these apps can start before the others, so one of their manifests must drop that dependency`;

  it('refuses a 2-cycle', () => {
    const a = manifest('a', { dependencies: [needs('b')] });
    const b = manifest('b', { dependencies: [needs('a')] });
    expect(refusal(() => planInstall({ target: a, available: available(b), installed: [] }))).toEqual({
      code: RpcErrorCode.Conflict,
      message: cycleMessage('a → b → a'),
    });
  });

  it('refuses a 3-cycle, also through an interface', () => {
    const a = manifest('a', { dependencies: [needs('b')] });
    const b = manifest('b', { dependencies: [needs('c-api')] });
    const c = manifest('c', { provides: ['c-api'], dependencies: [needs('a', 'installed')] });
    expect(refusal(() => planInstall({ target: a, available: available(b, c), installed: [] })).message).toBe(
      cycleMessage('a → b → c → a'),
    );
  });

  it('refuses a cycle that closes through a stopped installed app', () => {
    const a = manifest('a', { dependencies: [needs('b')] });
    const b = manifest('b', { dependencies: [needs('a')] });
    expect(
      refusal(() => planInstall({ target: a, available: [], installed: [installed(b, 'stopped')] })).message,
    ).toBe(cycleMessage('a → b → a'));
  });

  it('refuses an app that needs itself, by id or through an interface only it provides', () => {
    const byId = manifest('x', { dependencies: [needs('x')] });
    expect(refusal(() => planInstall({ target: byId, available: [], installed: [] })).message).toBe(
      cycleMessage('x → x'),
    );
    const byInterface = manifest('x', { provides: ['foo'], dependencies: [needs('foo')] });
    expect(refusal(() => planInstall({ target: byInterface, available: [], installed: [] }))).toEqual({
      code: RpcErrorCode.Conflict,
      message:
        "dependency cycle: x → x (x needs 'foo', which only x provides); none of these apps can start before " +
        'the others, so one of their manifests must drop that dependency',
    });
  });

  it('lets an app that provides an interface depend on another provider of it', () => {
    const proxy = manifest('rpc-proxy', {
      provides: ['bitcoin-node'],
      dependencies: [needs('bitcoin-node')],
    });
    expect(steps({ target: proxy, available: available(bitcoinCore()), installed: [] })).toEqual([
      'install bitcoin-core 28.4',
      'start bitcoin-core 28.4',
      'install rpc-proxy 1.0.0',
      'start rpc-proxy 1.0.0',
    ]);
  });
});

describe('planInstall: conflicts', () => {
  it('refuses Core while Knots runs, though only Core declares the conflict', () => {
    const request = {
      target: bitcoinCore(),
      available: [],
      installed: [installed(bitcoinKnots(), 'running')],
    };
    expect(refusal(() => planInstall(request))).toEqual({
      code: RpcErrorCode.Conflict,
      message:
        "bitcoin-core conflicts with bitcoin-knots, which is running: stop bitcoin-knots first ('archy stop bitcoin-knots')",
    });
    const reverse = {
      target: bitcoinKnots(),
      available: [],
      installed: [installed(bitcoinCore(), 'unhealthy')],
    };
    expect(refusal(() => planInstall(reverse)).message).toBe(
      "bitcoin-knots conflicts with bitcoin-core, which is running (unhealthy): stop bitcoin-core first ('archy stop bitcoin-core')",
    );
  });

  it('says to wait for a conflicting app that is stopping, and to stop one in a crash loop', () => {
    const stopping = {
      target: bitcoinCore(),
      available: [],
      installed: [installed(bitcoinKnots(), 'stopping')],
    };
    expect(refusal(() => planInstall(stopping)).message).toBe(
      'bitcoin-core conflicts with bitcoin-knots, which is stopping: wait until bitcoin-knots has stopped',
    );
    const looping = {
      target: bitcoinCore(),
      available: [],
      installed: [installed(bitcoinKnots(), 'crash-loop')],
    };
    expect(refusal(() => planInstall(looping)).message).toBe(
      "bitcoin-core conflicts with bitcoin-knots, which is in a crash loop: stop bitcoin-knots first ('archy stop bitcoin-knots')",
    );
  });

  it('allows installing Core while Knots is installed but stopped', () => {
    for (const state of ['stopped', 'failed'] as const) {
      expect(
        steps({ target: bitcoinCore(), available: [], installed: [installed(bitcoinKnots(), state)] }),
      ).toEqual(['install bitcoin-core 28.4', 'start bitcoin-core 28.4']);
    }
  });

  it('refuses a conflict declared against an interface the other app provides', () => {
    const solo = manifest('solo-node', { conflicts: ['bitcoin-node'] });
    expect(
      refusal(() => planInstall({ target: solo, available: [], installed: [installed(bitcoinKnots())] }))
        .message,
    ).toBe(
      "solo-node conflicts with bitcoin-knots, which is running: stop bitcoin-knots first ('archy stop bitcoin-knots')",
    );
  });

  it('names the dependent when the conflicting app is a dependency the plan would start', () => {
    const request = {
      target: lnd(),
      available: available(bitcoinCore(), bitcoinKnots()),
      installed: [installed(bitcoinKnots(), 'running')],
      choices: { 'bitcoin-node': 'bitcoin-core' },
    };
    expect(refusal(() => planInstall(request)).message).toBe(
      'bitcoin-core (provides bitcoin-node for lnd) conflicts with bitcoin-knots, which is running: ' +
        "stop bitcoin-knots first ('archy stop bitcoin-knots')",
    );
  });

  it('refuses a plan that would start two conflicting apps', () => {
    const wallet = manifest('wallet', { dependencies: [needs('bitcoin-knots')] });
    const top = manifest('top', { dependencies: [needs('bitcoin-core'), needs('wallet')] });
    const request = {
      target: top,
      available: available(bitcoinCore(), bitcoinKnots(), wallet),
      installed: [],
    };
    expect(refusal(() => planInstall(request))).toEqual({
      code: RpcErrorCode.Conflict,
      message:
        'bitcoin-core (needed by top) and bitcoin-knots (needed by wallet) conflict and cannot run together, ' +
        'so these apps cannot be installed together',
    });
  });

  it('does not check conflicts of a dependency it only installs', () => {
    const archive = manifest('archive', { dependencies: [needs('bitcoin-core', 'installed')] });
    expect(
      steps({ target: archive, available: available(bitcoinCore()), installed: [installed(bitcoinKnots())] }),
    ).toEqual(['install bitcoin-core 28.4', 'install archive 1.0.0', 'start archive 1.0.0']);
  });
});

describe('planInstall: links and what the dependent receives', () => {
  it('links the dependent to its dependency, reachable by id and by each interface it provides', () => {
    const plan = planInstall({ target: rtl(), available: available(bitcoinCore(), lnd()), installed: [] });
    expect(plan.links).toEqual([
      { dependent: 'lnd', dependency: 'bitcoin-core', aliases: ['bitcoin-core', 'bitcoin-node'] },
      { dependent: 'rtl', dependency: 'lnd', aliases: ['lnd'] },
    ]);
    expect(plan.dependencies).toEqual({
      'bitcoin-core': [],
      lnd: [
        {
          requested: 'bitcoin-node',
          appId: 'bitcoin-core',
          version: '28.4',
          requires: 'running',
          host: 'bitcoin-node',
          ports: { rpc: 18443, p2p: 18444 },
          secretRefs: [],
        },
      ],
      rtl: [
        {
          requested: 'lnd',
          appId: 'lnd',
          version: '0.18.3-beta',
          requires: 'running',
          host: 'lnd',
          ports: {},
          secretRefs: [],
        },
      ],
    });
  });

  it('includes links to dependencies that are already running', () => {
    const plan = planInstall({ target: lnd(), available: [], installed: [installed(bitcoinKnots())] });
    expect(plan.links).toEqual([
      { dependent: 'lnd', dependency: 'bitcoin-knots', aliases: ['bitcoin-knots', 'bitcoin-node'] },
    ]);
    expect(plan.dependencies['lnd']?.[0]?.ports).toEqual({ rpc: 18443 });
  });
});
