import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { applyBitcoinSettings } from '../bitcoin/chain-settings.js';
import type { BitcoinNetwork } from '../kernel/index.js';
import { parseManifest, type AppManifest } from '../manifest/index.js';
import {
  bitcoinTorArgs,
  clearnetEffectOf,
  appTorMode,
  GENERIC_CLEARNET_EFFECT,
  torAdditions,
  withTorMode,
} from './tor-mode.js';

const base = `id: demo
name: Demo
version: "1.0.0"
image: registry.example/demo:1.0.0
`;

const bundled = (id: string): AppManifest =>
  parseManifest(
    readFileSync(new URL(`../../../apps/${id}/manifest.yml`, import.meta.url), 'utf8'),
    `${id}.yml`,
  );

describe('the effective Tor mode', () => {
  it('is the user’s choice, else the manifest’s default, and none without tor:', () => {
    const tor = parseManifest(`${base}tor: { default: tor }\n`, 'm.yml');
    expect(appTorMode(tor, {})).toBe('tor');
    expect(appTorMode(tor, { tor: 'clearnet' })).toBe('clearnet');
    const clearnet = parseManifest(`${base}tor: {}\n`, 'm.yml');
    expect(appTorMode(clearnet, {})).toBe('clearnet');
    expect(appTorMode(clearnet, { tor: 'tor' })).toBe('tor');
    expect(appTorMode(parseManifest(base, 'm.yml'), { tor: 'tor' })).toBeUndefined();
  });

  it('says the manifest’s clearnet effect, or a generic sentence', () => {
    expect(clearnetEffectOf(parseManifest(`${base}tor: { clearnetEffect: Peers see you. }\n`, 'm.yml'))).toBe(
      'Peers see you.',
    );
    expect(clearnetEffectOf(parseManifest(`${base}tor: {}\n`, 'm.yml'))).toBe(GENERIC_CLEARNET_EFFECT);
  });
});

describe('Tor arguments of the main service', () => {
  const manifest = parseManifest(
    `${base}command: [demo, --serve]
env: { A: "1" }
tor:
  default: tor
  args: ["--socks=\${ARCHY_TOR_SOCKS}", "--control-password=\${ARCHY_TOR_CONTROL_PASSWORD}"]
  env: { PROXY: "socks5://\${ARCHY_TOR_SOCKS}" }
`,
    'm.yml',
  );
  const main = manifest.services[0]!;

  it('appends tor.args and adds tor.env in mode tor', () => {
    const service = withTorMode(manifest, main, 'tor');
    expect(service.command).toEqual([
      'demo',
      '--serve',
      '--socks=${ARCHY_TOR_SOCKS}',
      '--control-password=${ARCHY_TOR_CONTROL_PASSWORD}',
    ]);
    expect(service.env).toEqual({ A: '1', PROXY: 'socks5://${ARCHY_TOR_SOCKS}' });
  });

  it('adds nothing in clearnet, or to an app without tor:', () => {
    expect(withTorMode(manifest, main, 'clearnet')).toBe(main);
    const plain = parseManifest(`${base}command: [demo]\n`, 'm.yml');
    expect(withTorMode(plain, plain.services[0]!, 'tor')).toBe(plain.services[0]);
  });

  it('appends after the image’s cmd when the manifest names no command', () => {
    const bare = parseManifest(`${base}tor: { default: tor, args: [--tor] }\n`, 'm.yml');
    expect(withTorMode(bare, bare.services[0]!, 'tor', ['demo', '-v']).command).toEqual([
      'demo',
      '-v',
      '--tor',
    ]);
  });
});

describe('a Bitcoin node’s Tor flags', () => {
  it('are exactly the design’s, with the onion bound at P2P+1', () => {
    expect(bitcoinTorArgs(8333)).toEqual([
      '-proxy=127.0.0.1:9050',
      '-listen=1',
      '-listenonion=1',
      '-torcontrol=127.0.0.1:9051',
      '-torpassword=${ARCHY_TOR_CONTROL_PASSWORD}',
      '-bind=0.0.0.0:8333',
      '-bind=127.0.0.1:8334=onion',
    ]);
  });

  // Bitcoin Core's default onion ports per chain (chainparamsbase.cpp: OnionServiceTargetPort).
  const chains: Array<[BitcoinNetwork, number, number]> = [
    ['mainnet', 8333, 8334],
    ['testnet4', 48333, 48334],
    ['signet', 38333, 38334],
    ['regtest', 18444, 18445],
  ];
  for (const implementation of ['bitcoin-core', 'bitcoin-knots'])
    for (const [network, p2p, onion] of chains)
      it(`${implementation} on ${network}: binds ${p2p} and ${onion}=onion; clearnet adds none`, () => {
        const manifest = applyBitcoinSettings(bundled(implementation), { network });
        const tor = torAdditions(manifest, appTorMode(manifest, {}));
        expect(tor.args).toContain(`-bind=0.0.0.0:${p2p}`);
        expect(tor.args).toContain(`-bind=127.0.0.1:${onion}=onion`);
        expect(tor.args).toHaveLength(7);
        expect(torAdditions(manifest, appTorMode(manifest, { tor: 'clearnet' }))).toEqual({
          args: [],
          env: {},
        });
      });
});

describe('the bundled privacy apps', () => {
  it('default to Tor and say what clearnet changes', () => {
    for (const id of ['bitcoin-core', 'bitcoin-knots', 'lnd', 'core-lightning', 'electrs']) {
      const manifest = bundled(id);
      expect(manifest.tor?.default, id).toBe('tor');
      expect(manifest.tor?.clearnetEffect, id).toMatch(/\S/);
    }
  });

  it('give LND and Core Lightning their own Tor options', () => {
    const lnd = torAdditions(bundled('lnd'), 'tor').args;
    expect(lnd).toEqual(
      expect.arrayContaining([
        '--tor.active',
        '--tor.v3',
        '--tor.socks=${ARCHY_TOR_SOCKS}',
        '--tor.control=${ARCHY_TOR_CONTROL}',
        '--tor.password=${ARCHY_TOR_CONTROL_PASSWORD}',
      ]),
    );
    const cln = torAdditions(bundled('core-lightning'), 'tor').args;
    expect(cln).toEqual(
      expect.arrayContaining([
        '--proxy=${ARCHY_TOR_SOCKS}',
        '--tor-service-password=${ARCHY_TOR_CONTROL_PASSWORD}',
      ]),
    );
  });

  it('give electrs an onion for its Electrum port', () => {
    expect(bundled('electrs').tor?.onions).toEqual([expect.objectContaining({ port: 50001 })]);
  });
});
