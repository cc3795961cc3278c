import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import type { InstallPlanView } from '../api/contract.js';
import { formatInstallPlan, parseWith } from './install-plan.js';

const candidates = [
  { id: 'bitcoin-core', name: 'Bitcoin Core' },
  { id: 'bitcoin-knots', name: 'Bitcoin Knots' },
];

describe('parseWith', () => {
  it('collects repeated --with into interface → app id', () => {
    const first = parseWith('bitcoin-node=bitcoin-knots');
    expect(parseWith('lightning-node=lnd', first)).toEqual({
      'bitcoin-node': 'bitcoin-knots',
      'lightning-node': 'lnd',
    });
  });

  it('refuses what is not interface=app, and two different apps for one interface', () => {
    expect(() => parseWith('bitcoin-knots')).toThrow(InvalidArgumentError);
    expect(() => parseWith('bitcoin-node=Bitcoin Knots')).toThrow(/expected <interface>=<app id>/);
    expect(() => parseWith('bitcoin-node=bitcoin-core', { 'bitcoin-node': 'bitcoin-knots' })).toThrow(
      "'bitcoin-node' is chosen twice (bitcoin-knots and bitcoin-core); choose one",
    );
  });
});

describe('formatInstallPlan', () => {
  it('lists the candidates of an open choice with the exact commands, keeping the flags given', () => {
    const plan: InstallPlanView = {
      id: 'lnd',
      steps: [
        { app: 'lnd', name: 'LND', version: '0.18.3', action: 'install', why: 'requested' },
        { app: 'lnd', name: 'LND', version: '0.18.3', action: 'start', why: 'requested' },
      ],
      choices: [{ interface: 'bitcoin-node', dependent: 'lnd', candidates }],
      credentials: [],
      ready: false,
      grants: {
        app: 'lnd',
        services: [
          {
            service: 'main',
            image: 'lightninglabs/lnd:v0.18.3@sha256:00',
            trust: 'digest',
            user: '1000:1000',
            capabilities: [],
            ports: [{ host: 9735, container: 9735, protocol: 'tcp', expose: 'lan' }],
            volumes: [{ name: 'data', mount: '/data', readOnly: false }],
          },
        ],
        dependencies: [{ requested: 'bitcoin-node', interface: 'bitcoin-node', handsOver: [] }],
        secrets: [],
      },
    };
    expect(formatInstallPlan(plan, { id: 'lnd', version: '0.18.3', choices: {} }).split('\n')).toEqual([
      'install lnd (dry run: nothing was changed)',
      'STEP     APP        VERSION  WHY',
      'install  lnd (LND)  0.18.3   requested',
      'start    lnd (LND)  0.18.3   requested',
      'choice needed: lnd needs bitcoin-node, which bitcoin-core (Bitcoin Core), bitcoin-knots (Bitcoin Knots) provide; run one of:',
      '  archy install lnd --version 0.18.3 --with bitcoin-node=bitcoin-core',
      '  archy install lnd --version 0.18.3 --with bitcoin-node=bitcoin-knots',
      'lnd would get:',
      '  service main: image lightninglabs/lnd:v0.18.3@sha256:00 (pinned by digest, not signed by the catalog)',
      '    runs as 1000:1000; capabilities added: none',
      '    host port 9735/tcp → 9735 (open to the LAN)',
      "    keeps data in 'data' at /data",
      '  dependency bitcoin-node from a provider still to be chosen',
      'would go ahead: no, a choice is needed',
    ]);
  });

  it('shows a made choice, the logins with their methods, and the restarts', () => {
    const plan: InstallPlanView = {
      id: 'explorer',
      steps: [
        { app: 'explorer', name: 'Explorer', version: '1.0', action: 'install', why: 'requested' },
        {
          app: 'bitcoin-knots',
          name: 'Bitcoin Knots',
          version: '29.3',
          action: 'restart',
          why: "learns explorer's RPC login",
        },
      ],
      choices: [{ interface: 'bitcoin-node', dependent: 'explorer', candidates, chosen: 'bitcoin-knots' }],
      credentials: [
        {
          dependent: 'explorer',
          provider: 'bitcoin-knots',
          interface: 'bitcoin-node',
          methods: ['getblock'],
        },
      ],
      ready: true,
      grants: {
        app: 'explorer',
        origin: { kind: 'umbrel', app: 'mempool-explorer', upstreamVersion: '3.0.0' },
        services: [],
        dependencies: [
          {
            requested: 'bitcoin-node',
            interface: 'bitcoin-node',
            provider: 'bitcoin-knots',
            handsOver: ['its own RPC login (archy-explorer)', 'RPC methods: getblock'],
          },
        ],
        secrets: ['app-seed'],
      },
    };
    const text = formatInstallPlan(plan, { id: 'explorer', choices: { 'bitcoin-node': 'bitcoin-knots' } });
    expect(text).toContain("restart  bitcoin-knots (Bitcoin Knots)  29.3     learns explorer's RPC login");
    expect(text).toContain(
      'login: explorer gets its own bitcoin-node login to bitcoin-knots, limited to: getblock',
    );
    expect(text).toContain(
      'choice: bitcoin-node for explorer: bitcoin-knots (from bitcoin-core (Bitcoin Core), bitcoin-knots (Bitcoin Knots))',
    );
    expect(text).toContain(
      [
        'explorer is imported from Umbrel app mempool-explorer (upstream 3.0.0); not signed by the Archipelago catalog. It would get:',
        '  dependency bitcoin-node from bitcoin-knots: its own RPC login (archy-explorer); RPC methods: getblock',
        '  a seed the node generates for it (ARCHY_APP_SEED)',
        'installing it needs your confirmation (or --accept-imported)',
      ].join('\n'),
    );
    expect(text.endsWith('would go ahead: yes')).toBe(true);
  });
});
