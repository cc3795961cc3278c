// Which catalog version an install or set-version uses: the one asked for, or the default — and
// only ever an image in the manifest's own repository, so a catalog cannot swap in another image.

import { ArchyError, RpcErrorCode } from '../kernel/index.js';
import { sameRepository, type CatalogApp, type CatalogVersion } from './catalog-schema.js';

/** The versions of `app` whose image is in the manifest's repository, newest first. */
export function versionsForManifest(app: CatalogApp, manifestImage: string): CatalogVersion[] {
  return app.versions.filter((version) => sameRepository(manifestImage, version.image));
}

/** The requested version (default: the catalog default), or an error listing what can be chosen. */
export function chooseCatalogVersion(
  app: CatalogApp,
  manifestImage: string,
  requested?: string,
): CatalogVersion {
  const offered = versionsForManifest(app, manifestImage);
  const wanted = requested ?? app.version;
  const found = app.versions.find((version) => version.version === wanted);
  const choices = offered.map((version) => version.version).join(', ') || 'none';
  if (!found) {
    throw new ArchyError(
      RpcErrorCode.NotFound,
      `${app.id} ${wanted} is not in the catalog; choose one of: ${choices} (see: archy versions ${app.id})`,
    );
  }
  if (!offered.includes(found)) {
    throw new ArchyError(
      RpcErrorCode.Conflict,
      `the catalog's image for ${app.id} ${wanted} (${found.image}) is not in the manifest's repository ` +
        `(${manifestImage}); refusing to swap in another image. Choose one of: ${choices}`,
    );
  }
  return found;
}
