import { describe, expect, it } from 'vitest';
import { catalogRefusalReason } from './catalog-error.js';
import { expiresIn, rotateRoot, signCatalog } from './publisher.js';
import { generateSigningKey, signEnvelope } from './signed-metadata.js';
import { coreCatalogBody, makeKeys, makeRoot, NOW, signedCatalog } from './spec-fixtures.js';
import { verifyCatalog, type VerifyCatalogInput } from './trust.js';

const keys = makeKeys();
const root = makeRoot(keys);
const good = signedCatalog(keys.catalog);

/** The refusal's reason and message, for asserting both. */
function refusal(input: Partial<VerifyCatalogInput>): { reason: string | undefined; message: string } {
  try {
    verifyCatalog({ trustedRoot: root, catalogMetadata: good, now: NOW, ...input });
  } catch (err) {
    return { reason: catalogRefusalReason(err), message: (err as Error).message };
  }
  throw new Error('expected a refusal');
}

describe('verifyCatalog', () => {
  it('accepts a catalog signed by a threshold of catalog keys', () => {
    const verified = verifyCatalog({
      trustedRoot: root,
      catalogMetadata: good,
      now: NOW,
      lastSeenVersion: 1,
    });
    expect(verified).toMatchObject({
      metadataVersion: 1,
      rootRotated: false,
      expires: '2026-07-22T12:00:00Z',
    });
    expect(verified.catalog.apps['bitcoin-core']!.version).toBe('31.0');
    expect(verified.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('refuses a tampered catalog', () => {
    const tampered = structuredClone(good);
    (tampered.signed.apps['bitcoin-core'] as { version: string }).version = '28.4';
    expect(refusal({ catalogMetadata: tampered })).toEqual({
      reason: 'signatures',
      message:
        'catalog version 1 has 0 valid signatures from distinct catalog keys of root version 1, and needs 2; it was ' +
        'tampered with or signed by the wrong keys. The last good catalog stays in use.',
    });
  });

  it('refuses a catalog signed by keys the root does not trust for the catalog', () => {
    const strangers = [generateSigningKey(), generateSigningKey()];
    expect(refusal({ catalogMetadata: signedCatalog(strangers) }).message).toMatch(
      /^catalog version 1 has 0 valid signatures from distinct catalog keys of root version 1, and needs 2;/,
    );
    // Root keys are not catalog keys either: roles are separate.
    expect(refusal({ catalogMetadata: signedCatalog(keys.root) }).reason).toBe('signatures');
  });

  it('refuses a catalog below the threshold', () => {
    expect(refusal({ catalogMetadata: signedCatalog([keys.catalog[0]!]) }).message).toMatch(
      /^catalog version 1 has 1 valid signature from distinct catalog keys of root version 1, and needs 2;/,
    );
  });

  it('counts a key that signed twice once', () => {
    const once = signedCatalog([keys.catalog[0]!]);
    const twice = { ...once, signatures: [once.signatures[0]!, once.signatures[0]!] };
    const resigned = signEnvelope(once.signed, [keys.catalog[0]!, keys.catalog[0]!]);
    expect(refusal({ catalogMetadata: twice }).message).toContain(
      'has 1 valid signature from distinct catalog keys',
    );
    expect(refusal({ catalogMetadata: resigned }).message).toContain(
      'has 1 valid signature from distinct catalog keys',
    );
  });

  it('refuses an expired catalog (a freeze attack)', () => {
    const later = expiresIn(NOW, 31);
    expect(refusal({ now: later })).toEqual({
      reason: 'expired',
      message:
        'catalog version 1 expired at 2026-07-22T12:00:00Z; refusing stale metadata (a mirror may be replaying it). ' +
        'The publisher must sign a fresh one; the last good catalog stays in use.',
    });
  });

  it('refuses an expired root', () => {
    const shortRoot = makeRoot(keys, undefined, expiresIn(NOW, 1));
    expect(refusal({ trustedRoot: shortRoot, now: expiresIn(NOW, 2) }).message).toBe(
      'root version 1 expired at 2026-06-23T12:00:00Z; refusing stale metadata (a mirror may be replaying it). ' +
        'The publisher must sign a fresh one; the last good catalog stays in use.',
    );
  });

  it('refuses a rollback to an older catalog version', () => {
    const old = signCatalog(coreCatalogBody(4), keys.catalog, { now: NOW }); // version 5
    expect(refusal({ catalogMetadata: old, lastSeenVersion: 6 })).toEqual({
      reason: 'rollback',
      message:
        'catalog version 5 is older than version 6, which this node already accepted; refusing a rollback (a mirror ' +
        'may be serving old metadata). The last good catalog stays in use.',
    });
    expect(
      verifyCatalog({ trustedRoot: root, catalogMetadata: old, now: NOW, lastSeenVersion: 5 })
        .metadataVersion,
    ).toBe(5);
  });

  it('refuses metadata that is not signed metadata, and a root whose key ids lie', () => {
    expect(refusal({ catalogMetadata: { apps: {} } }).message).toBe(
      'catalog metadata is not signed metadata ({ signed, signatures }): signed: Invalid input: expected record, received undefined',
    );
    const lying = structuredClone(root);
    const [firstId] = Object.keys(lying.signed.keys);
    const otherKey = generateSigningKey().publicKey;
    lying.signed.keys[firstId!] = otherKey;
    expect(refusal({ trustedRoot: lying })).toEqual({
      reason: 'malformed',
      message: `the trusted root lists key ${firstId!.slice(0, 12)}… under an id that is not its hash`,
    });
  });
});

describe('root rotation', () => {
  const newKeys = makeKeys(3, 2);
  const definition = {
    rootKeys: newKeys.root.map((key) => key.publicKey),
    rootThreshold: 2,
    catalogKeys: newKeys.catalog.map((key) => key.publicKey),
    catalogThreshold: 2,
    expires: expiresIn(NOW, 365),
  };
  const root2 = rotateRoot(root, definition, {
    oldRootKeys: keys.root.slice(0, 2),
    newRootKeys: newKeys.root.slice(0, 2),
  });
  const catalogByNewKeys = signedCatalog(newKeys.catalog, 1); // version 2

  it('accepts a new root signed by the old root keys and its own, and then only the new catalog keys', () => {
    const verified = verifyCatalog({
      trustedRoot: root,
      rootChain: [root2],
      catalogMetadata: catalogByNewKeys,
      now: NOW,
    });
    expect(verified.rootRotated).toBe(true);
    expect(verified.root.signed.version).toBe(2);
    expect(refusal({ rootChain: [root2], catalogMetadata: signedCatalog(keys.catalog, 1) }).message).toMatch(
      /^catalog version 2 has 0 valid signatures from distinct catalog keys of root version 2, and needs 2;/,
    );
  });

  it('refuses a new root not signed by a threshold of the old root', () => {
    const forged = rotateRoot(root, definition, { oldRootKeys: [keys.root[0]!], newRootKeys: newKeys.root });
    expect(refusal({ rootChain: [forged], catalogMetadata: catalogByNewKeys })).toEqual({
      reason: 'root-rotation',
      message:
        'root version 2 (by the keys of root version 1) has 1 valid signature from distinct root keys of root ' +
        'version 1, and needs 2; it was tampered with or signed by the wrong keys. The last good catalog stays in use.',
    });
  });

  it('refuses a new root not signed by a threshold of its own keys', () => {
    const unsigned = rotateRoot(root, definition, { oldRootKeys: keys.root, newRootKeys: [] });
    expect(refusal({ rootChain: [unsigned], catalogMetadata: catalogByNewKeys }).message).toMatch(
      /^root version 2 \(by its own keys\) has 0 valid signatures from distinct root keys of root version 2, and needs 2;/,
    );
  });

  it('refuses a root that skips a version', () => {
    const root3 = rotateRoot(root2, definition, { oldRootKeys: newKeys.root, newRootKeys: newKeys.root });
    expect(refusal({ rootChain: [root3], catalogMetadata: catalogByNewKeys })).toEqual({
      reason: 'root-rotation',
      message:
        'new root #1 has version 3, but the next root must be version 2; roots are accepted one version at a time',
    });
    expect(
      verifyCatalog({
        trustedRoot: root,
        rootChain: [root2, root3],
        catalogMetadata: catalogByNewKeys,
        now: NOW,
      }).root.signed.version,
    ).toBe(3);
  });
});
