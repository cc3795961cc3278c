// App ids and interfaces share one name space: a dependent asks for a name, and on their shared
// network it reaches whichever app answers to that host name (its id, and each interface it
// provides). An app that `provides` another app's id would answer for that app — a dependent of
// `bitcoin-core` could be handed an impostor, and both would claim the name on one network. So
// `provides` never names an app id (installed, bundled or in the catalog), and a new app's id is
// never an interface an installed app provides.

import type { AppManifest } from '../manifest/index.js';
import type { AppUniverse } from './app-universe.js';
import { idIsProvided, providesAppId } from './refusals.js';

/** Throws when `manifest`, about to be installed, would share a name with another app. */
export function assertOwnNames(manifest: AppManifest, universe: AppUniverse): void {
  for (const name of manifest.provides) {
    // An app answering to its own id as well is harmless (and the container spec drops it).
    if (name === manifest.id) continue;
    if (universe.installed.has(name)) throw providesAppId(manifest.id, name, 'installed');
    if (universe.isAvailable(name)) throw providesAppId(manifest.id, name, 'available');
  }
  const providers = universe.installedProvidersOf(manifest.id).filter((app) => app.id !== manifest.id);
  if (providers.length > 0)
    throw idIsProvided(
      manifest.id,
      providers.map((app) => app.id),
    );
}

/** The names among `provides` that are app ids of `knownIds`: for lint, which has no installed apps. */
export function providedAppIds(
  manifest: Pick<AppManifest, 'id' | 'provides'>,
  knownIds: ReadonlySet<string>,
): string[] {
  return manifest.provides.filter((name) => name !== manifest.id && knownIds.has(name));
}
