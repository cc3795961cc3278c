import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BUNDLED_CATALOG_DIR, verifyCatalog, versionsForManifest } from '../catalog/index.js';
import { healthCheckFor } from '../health/index.js';
import { parseManifest } from '../manifest/index.js';

const APPS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../../apps');
const load = async (id: string) => {
  const file = join(APPS_DIR, id, 'manifest.yml');
  return parseManifest(await readFile(file, 'utf8'), file);
};

describe('the Bitcoin Core and Knots manifests', () => {
  it('are valid manifests that provide bitcoin-node and conflict with each other', async () => {
    const core = await load('bitcoin-core');
    const knots = await load('bitcoin-knots');
    expect(core).toMatchObject({
      id: 'bitcoin-core',
      version: '31.1',
      provides: ['bitcoin-node'],
      conflicts: ['bitcoin-knots'],
      volumes: [{ mount: '/data', name: 'bitcoin', readOnly: false }],
      bitcoin: { implementation: 'core', network: 'mainnet', rpcPort: 8332, p2pPort: 8333, datadir: '/data' },
      health: { bitcoin: {} },
      stopTimeout: 600_000,
      resources: { memoryReservation: 1024 ** 3 },
    });
    // The probe asks the node over RPC on its own port.
    expect(healthCheckFor(core)?.bitcoinRpc).toEqual({ port: 8332 });
    expect(knots).toMatchObject({
      id: 'bitcoin-knots',
      version: '29.4.2.knots20260508',
      provides: ['bitcoin-node'],
      conflicts: ['bitcoin-core'],
      bitcoin: { implementation: 'knots', rpcPort: 8332, p2pPort: 8333, datadir: '/data' },
    });
    for (const manifest of [core, knots]) expect(manifest.command?.join(' ')).not.toContain('-reindex');
  });

  it('name the bundled catalog default, and every catalog version is in their image repository', async () => {
    const verified = verifyCatalog({
      trustedRoot: JSON.parse(await readFile(join(BUNDLED_CATALOG_DIR, 'root.json'), 'utf8')),
      catalogMetadata: JSON.parse(await readFile(join(BUNDLED_CATALOG_DIR, 'catalog.json'), 'utf8')),
      now: new Date(),
    });
    for (const id of ['bitcoin-core', 'bitcoin-knots']) {
      const manifest = await load(id);
      const app = verified.catalog.apps[id]!;
      expect(app.version).toBe(manifest.version);
      expect(app.image).toBe(manifest.image);
      expect(versionsForManifest(app, manifest.image)).toEqual(app.versions);
    }
  });
});
