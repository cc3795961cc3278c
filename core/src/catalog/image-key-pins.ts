// Image keys pinned per app in the signed catalog. Without pins every trusted key vouches for
// every image, so one publisher's key (or a key stolen from one publisher) could sign another
// publisher's app. With them, a key the catalog pins to some apps vouches for those apps only,
// and an app with pins accepts only its pinned keys. Keys no app pins (the node owner's own keys
// in DATA_DIR/trust/image-keys, say) keep vouching for apps without pins — never for pinned ones.

import type { Catalog } from './catalog-schema.js';

export interface ImageKeyPins {
  /** The key ids the catalog pins `appId`'s images to; undefined when it pins none. */
  forApp(appId: string): readonly string[] | undefined;
  /** The apps that pin `keyId`, sorted; empty when no app does. */
  appsPinning(keyId: string): readonly string[];
}

/** No catalog, no pins: every trusted key vouches for every app (the behaviour before pins). */
export const NO_IMAGE_KEY_PINS: ImageKeyPins = { forApp: () => undefined, appsPinning: () => [] };

/** The pins of a parsed catalog. */
export function imageKeyPinsOf(catalog: Catalog): ImageKeyPins {
  const apps = new Map<string, string[]>();
  for (const app of Object.values(catalog.apps)) {
    for (const keyId of app.imageKeys ?? []) apps.set(keyId, [...(apps.get(keyId) ?? []), app.id]);
  }
  return {
    forApp: (appId) => catalog.apps[appId]?.imageKeys,
    appsPinning: (keyId) => [...(apps.get(keyId) ?? [])].sort(),
  };
}

/** Whether the key `keyId` may vouch for an image of `appId`. */
export function keyMayVouchFor(appId: string, keyId: string, pins: ImageKeyPins): boolean {
  const own = pins.forApp(appId);
  return own ? own.includes(keyId) : pins.appsPinning(keyId).length === 0;
}

/** Why `keyId`, trusted on this node, may not vouch for `appId`: for the refusal message. */
export function whyKeyMayNotVouch(appId: string, keyId: string, pins: ImageKeyPins): string {
  const short = (id: string) => `${id.slice(0, 12)}…`;
  const own = pins.forApp(appId);
  const pinning = pins.appsPinning(keyId);
  const elsewhere =
    pinning.length > 0 ? `; that key is pinned to ${pinning.map((a) => `'${a}'`).join(', ')}` : '';
  return own
    ? `is signed by key ${short(keyId)}, but the signed catalog pins '${appId}' to key${own.length === 1 ? '' : 's'} ${own.map(short).join(', ')}${elsewhere}`
    : `is signed by key ${short(keyId)}, which the signed catalog pins to ${pinning.map((a) => `'${a}'`).join(', ')} only`;
}
