// Keys, roots and catalogs for the catalog specs (not shipped: spec-* files are excluded from builds).

import { createRoot, emptyCatalog, addVersion, signCatalog, expiresIn } from './publisher.js';
import { generateSigningKey, type CatalogSigned, type SigningKey } from './signed-metadata.js';

export const NOW = new Date('2026-06-22T12:00:00Z');

export interface TestKeys {
  root: SigningKey[];
  catalog: SigningKey[];
}

export const makeKeys = (rootCount = 3, catalogCount = 2): TestKeys => ({
  root: Array.from({ length: rootCount }, generateSigningKey),
  catalog: Array.from({ length: catalogCount }, generateSigningKey),
});

export function makeRoot(
  keys: TestKeys,
  thresholds = { root: 2, catalog: 2 },
  expires = expiresIn(NOW, 365),
) {
  return createRoot(
    {
      rootKeys: keys.root.map((key) => key.publicKey),
      rootThreshold: thresholds.root,
      catalogKeys: keys.catalog.map((key) => key.publicKey),
      catalogThreshold: thresholds.catalog,
      expires,
    },
    keys.root.slice(0, thresholds.root),
  );
}

export function coreCatalogBody(version = 0): CatalogSigned {
  let catalog: CatalogSigned = { ...emptyCatalog(), version };
  for (const v of ['28.4', '29.3', '30.0']) {
    catalog = addVersion(catalog, 'bitcoin-core', {
      version: v,
      image: `127.0.0.1:5000/archipelago/bitcoin-core:${v}`,
    });
  }
  return addVersion(
    catalog,
    'bitcoin-core',
    { version: '31.0', image: '127.0.0.1:5000/archipelago/bitcoin-core:31.0' },
    { makeDefault: true },
  );
}

export const signedCatalog = (keys: SigningKey[], version = 0, now = NOW, validDays = 30) =>
  signCatalog(coreCatalogBody(version), keys, { now, validDays });
