// The gate in front of an imported app (a manifest with `origin:`, converted from Umbrel or
// Parmanode): no signature of ours vouches for it, so it installs only when the user saw what it
// gets and said yes (`confirmImported`). The "yes" covers exactly the images pinned by digest in
// the manifest shown: those go into the record, and are the only unsigned content the app may run
// later (image-trust.ts). An image without a digest still needs a signature, confirmed or not.

import { ArchyError, RpcErrorCode, type AppGrants, type ImportedOrigin } from '../kernel/index.js';
import type { AppManifest } from '../manifest/index.js';
import { appGrants, grantLines, type AvailableApp, type InstallPlan } from '../resolver/index.js';
import { splitImageReference } from '../util/image-reference.js';
import type { ImportedApp } from './app-record.js';
import type { AppRegistry } from './app-registry.js';

const UPSTREAM_NAMES: Record<ImportedOrigin['kind'], string> = { umbrel: 'Umbrel', parmanode: 'Parmanode' };

/** "imported from Umbrel app btcpay-server 2.0.6": the words status, refusals and the UI share. */
export const importedFrom = (origin: ImportedOrigin): string =>
  `imported from ${UPSTREAM_NAMES[origin.kind]} app ${origin.app} ${origin.upstreamVersion}`;

/**
 * What the record keeps of a confirmed imported install; a Conflict carrying the app's grants
 * (`data: { imported }`) when the request does not confirm. Synchronous: the install calls it
 * between planning and reserving, so nothing exists yet when it refuses.
 */
export function importedApproval(
  manifest: AppManifest,
  origin: ImportedOrigin,
  plan: InstallPlan,
  available: readonly AvailableApp[],
  registry: Pick<AppRegistry, 'installedApps'>,
  request: { confirmImported?: boolean },
): ImportedApp {
  if (request.confirmImported !== true) {
    const grants = grantsOf(manifest, plan, available, registry);
    throw new ArchyError(
      RpcErrorCode.Conflict,
      // One line (the API's messages never hold newlines): the grants joined; clients lay out `data`.
      `${manifest.id} is ${importedFrom(origin)} and is not signed by the Archipelago catalog; ` +
        `it would get: ${grantLines(grants)
          .map((line) => line.trim())
          .join('; ')}. Install with --accept-imported (RPC confirmImported: true) to accept`,
      { data: { imported: grants } },
    );
  }
  return {
    origin: { ...origin },
    confirmedAt: new Date().toISOString(),
    images: digestPinnedImages(manifest),
  };
}

/** Every service's image that names its content by digest (a `build:` image is made here, never pulled). */
export function digestPinnedImages(manifest: AppManifest): string[] {
  const images = manifest.services
    .filter((service) => !service.build && splitImageReference(service.image).digest !== undefined)
    .map((service) => service.image);
  return [...new Set(images)];
}

function grantsOf(
  manifest: AppManifest,
  plan: InstallPlan,
  available: readonly AvailableApp[],
  registry: Pick<AppRegistry, 'installedApps'>,
): AppGrants {
  const installed = registry.installedApps();
  return appGrants({
    manifest,
    dependencies: plan.dependencies[manifest.id] ?? [],
    manifestOf: (id) =>
      installed.find((app) => app.id === id)?.manifest ??
      available.find((app) => app.manifest.id === id)?.manifest,
    bundled: false,
  });
}
