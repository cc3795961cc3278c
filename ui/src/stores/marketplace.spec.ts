import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fakeFetch } from '../test/fake-socket';
import { appStatus } from '../test/fixtures';
import { useApps } from './apps';
import { useMarketplace } from './marketplace';

// The install the dialog starts: package.install with the version, chain and pruning chosen, and a
// refusal kept in the daemon's words with the sources it tried.

beforeEach(() => setActivePinia(createPinia()));
afterEach(() => vi.unstubAllGlobals());

describe('marketplace install', () => {
  it("asks package.install for the version, chain and pruning, and records the daemon's answer", async () => {
    const installed = appStatus('bitcoin-core', {
      version: '31.1',
      bitcoin: { network: 'signet', prune: 5 },
    });
    const { fetch, calls } = fakeFetch(() => ({ body: { jsonrpc: '2.0', id: 1, result: installed } }));
    vi.stubGlobal('fetch', fetch);
    const market = useMarketplace();
    const apps = useApps();
    // A download left over from an earlier attempt is not shown for this one.
    apps.images = { 'bitcoin-core': { id: 'bitcoin-core', version: '31.1', phase: 'download', detail: 'x' } };

    const done = market.install('bitcoin-core', { version: '31.1', network: 'signet', prune: 5 });
    expect(market.installs['bitcoin-core']).toEqual({
      phase: 'installing',
      version: '31.1',
      choices: { version: '31.1', network: 'signet', prune: 5 },
    });
    expect(apps.images['bitcoin-core']).toBeUndefined();
    expect(await done).toBe(true);

    expect(calls).toHaveLength(1);
    expect(calls[0]!.path).toBe('/rpc/v1');
    expect(calls[0]!.body).toMatchObject({
      method: 'package.install',
      params: { id: 'bitcoin-core', version: '31.1', network: 'signet', prune: 5 },
    });
    expect(market.installs['bitcoin-core']).toEqual({ phase: 'done', version: '31.1' });
    expect(apps.byId['bitcoin-core']?.bitcoin).toEqual({ network: 'signet', prune: 5 });
  });

  it('keeps a refusal in full, with the sources the node tried', async () => {
    const message =
      'could not get Bitcoin Core 31.1: no source served SHA256SUMS: https://bitcoincore.org/bin/bitcoin-core-31.1/SHA256SUMS: ' +
      'connection refused. Check the version and the sources in the config.';
    const { fetch } = fakeFetch(() => ({
      status: 200,
      body: {
        jsonrpc: '2.0',
        id: 1,
        error: {
          code: -32006,
          message,
          data: {
            step: 'download',
            check: 'download',
            attempts: [
              {
                source: 'bitcoincore.org',
                url: 'https://bitcoincore.org/bin/bitcoin-core-31.1/SHA256SUMS',
                outcome: 'unavailable',
                detail: 'connection refused',
              },
              { nonsense: true },
            ],
          },
        },
      },
    }));
    vi.stubGlobal('fetch', fetch);
    const market = useMarketplace();
    expect(await market.install('bitcoin-core', { version: '31.1' })).toBe(false);
    expect(market.installs['bitcoin-core']).toEqual({
      phase: 'failed',
      error: message,
      choices: { version: '31.1' },
      sources: [
        {
          url: 'https://bitcoincore.org/bin/bitcoin-core-31.1/SHA256SUMS',
          served: false,
          detail: 'connection refused',
        },
      ],
    });
  });

  it('keeps the version guard’s refusal with what confirming takes, and sends the confirmation on the retry', async () => {
    const message =
      'downgrading bitcoin-core 31.0 → 29.3 (the marker written after 31.0 ran) needs a reindex of the chainstate ' +
      '(hours); confirm with --confirm-downgrade. Nothing was installed; the data in /srv/apps/bitcoin-core is as it was';
    const answers = [
      {
        jsonrpc: '2.0',
        id: 1,
        error: {
          code: -32003,
          message,
          data: { guard: { kind: 'downgrade', needs: 'confirmation', rules: [] } },
        },
      },
      { jsonrpc: '2.0', id: 2, result: appStatus('bitcoin-core', { version: '29.3' }) },
    ];
    const { fetch, calls } = fakeFetch(() => ({ body: answers.shift() }));
    vi.stubGlobal('fetch', fetch);
    const market = useMarketplace();

    expect(await market.install('bitcoin-core', { version: '29.3' })).toBe(false);
    const worded = message.replace('confirm with --confirm-downgrade', 'confirm below');
    expect(market.installs['bitcoin-core']).toEqual({
      phase: 'failed',
      error: worded,
      guard: { message: worded, needs: 'confirmation', kind: 'downgrade', rules: [] },
      choices: { version: '29.3' },
    });

    expect(await market.install('bitcoin-core', { version: '29.3', confirmDowngrade: true })).toBe(true);
    expect(calls[1]!.body).toMatchObject({
      method: 'package.install',
      params: { id: 'bitcoin-core', version: '29.3', confirmDowngrade: true },
    });
    expect(market.installs['bitcoin-core']).toEqual({ phase: 'done', version: '29.3' });
  });
});
