import { describe, expect, it } from 'vitest';
import { parseCatalogApps } from './catalog-schema.js';
import { imageKeyPinsOf, keyMayVouchFor, NO_IMAGE_KEY_PINS, whyKeyMayNotVouch } from './image-key-pins.js';
import { addVersion, emptyCatalog, pinImageKeys } from './publisher.js';

const keyA = 'a'.repeat(64);
const keyB = 'b'.repeat(64);
const keyOwn = 'c'.repeat(64);
const entry = (id: string, imageKeys?: unknown) => ({
  version: '1.0.0',
  image: `127.0.0.1:5000/${id}/app:1.0.0`,
  ...(imageKeys !== undefined && { imageKeys }),
});

describe('image keys pinned per app in the catalog', () => {
  it('reads pins sorted and deduplicated; an app without pins has none', () => {
    const { catalog, dropped } = parseCatalogApps({
      alpha: entry('alpha', [keyB, keyA, keyA]),
      beta: entry('beta'),
    });
    expect(dropped).toEqual([]);
    expect(catalog.apps['alpha']!.imageKeys).toEqual([keyA, keyB]);
    expect(catalog.apps['beta']!.imageKeys).toBeUndefined();
  });

  it.each([
    ['not a key id', ['not-hex']],
    ['upper-case hex', ['A'.repeat(64)]],
    ['an empty list', []],
    ['not a list', keyA],
  ])('drops an app whose pins are malformed (%s) rather than reading it unpinned', (_what, imageKeys) => {
    const { catalog, dropped } = parseCatalogApps({ alpha: entry('alpha', imageKeys), beta: entry('beta') });
    expect(catalog.apps['alpha']).toBeUndefined();
    expect(dropped.map((d) => d.app)).toEqual(['alpha']);
    expect(catalog.apps['beta']).toBeDefined();
  });

  it("lets a key vouch for the apps that pin it and no other publisher's app", () => {
    const { catalog } = parseCatalogApps({
      alpha: entry('alpha', [keyA]),
      'alpha-too': entry('alpha-too', [keyA]),
      beta: entry('beta', [keyB]),
      unpinned: entry('unpinned'),
    });
    const pins = imageKeyPinsOf(catalog);
    expect(keyMayVouchFor('alpha', keyA, pins)).toBe(true);
    expect(keyMayVouchFor('alpha-too', keyA, pins)).toBe(true);
    expect(keyMayVouchFor('beta', keyA, pins)).toBe(false);
    expect(keyMayVouchFor('alpha', keyB, pins)).toBe(false);
    // An app the catalog does not pin (or does not list): pinned keys never vouch for it...
    expect(keyMayVouchFor('unpinned', keyA, pins)).toBe(false);
    expect(keyMayVouchFor('from-a-manifest', keyB, pins)).toBe(false);
    // ...a key no app pins (the node owner's own) does, but never for a pinned app.
    expect(keyMayVouchFor('from-a-manifest', keyOwn, pins)).toBe(true);
    expect(keyMayVouchFor('alpha', keyOwn, pins)).toBe(false);
    expect(pins.appsPinning(keyA)).toEqual(['alpha', 'alpha-too']);
  });

  it('without pins every trusted key vouches for every app', () => {
    expect(keyMayVouchFor('anything', keyA, NO_IMAGE_KEY_PINS)).toBe(true);
    expect(
      keyMayVouchFor('anything', keyA, imageKeyPinsOf(parseCatalogApps({ x: entry('x') }).catalog)),
    ).toBe(true);
  });

  it('says which key signed and where it is pinned', () => {
    const pins = imageKeyPinsOf(
      parseCatalogApps({ alpha: entry('alpha', [keyA]), beta: entry('beta', [keyB]) }).catalog,
    );
    expect(whyKeyMayNotVouch('beta', keyA, pins)).toBe(
      `is signed by key ${keyA.slice(0, 12)}…, but the signed catalog pins 'beta' to key ${keyB.slice(0, 12)}…; that key is pinned to 'alpha'`,
    );
    expect(whyKeyMayNotVouch('other', keyA, pins)).toBe(
      `is signed by key ${keyA.slice(0, 12)}…, which the signed catalog pins to 'alpha' only`,
    );
  });

  it('publishes pins: added to the keys already pinned, checked, kept by later versions', () => {
    let catalog = addVersion(emptyCatalog(), 'alpha', entry('alpha'));
    catalog = pinImageKeys(catalog, 'alpha', [keyB]);
    catalog = pinImageKeys(catalog, 'alpha', [keyA, keyB]);
    catalog = addVersion(catalog, 'alpha', { version: '1.1.0', image: '127.0.0.1:5000/alpha/app:1.1.0' });
    expect((catalog.apps['alpha'] as { imageKeys: string[] }).imageKeys).toEqual([keyA, keyB]);
    expect(parseCatalogApps(catalog.apps).catalog.apps['alpha']!.imageKeys).toEqual([keyA, keyB]);
    expect(() => pinImageKeys(catalog, 'alpha', ['nope'])).toThrow(/not 64 lowercase hex digits/);
    expect(() => pinImageKeys(catalog, 'beta', [keyA])).toThrow(/'beta' is not in the catalog/);
  });
});
