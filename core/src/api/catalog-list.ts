// `catalog-list`: the bundled apps a user may install, each with the versions the signed catalog
// offers for it and — when installed — the update the daemon sees. The marketplace's install modal
// and the apps page's update badges read this one answer, so the UI computes neither.

import { RpcErrorCode, type AppVersionsReport, type CatalogEntry } from './contract.js';
import type { AppManifest } from '../manifest/index.js';
import type { AppLifecycle } from '../orchestrator/lifecycle.js';
import { displayVersion } from '../versions/display-version.js';
import { settingsOfManifest } from '../bitcoin/chain-settings.js';
import { byCodeUnits } from '../util/compare.js';
import { ArchyError } from '../kernel/index.js';

export async function listCatalog(lifecycle: AppLifecycle): Promise<{ apps: CatalogEntry[] }> {
  const [manifests, installed] = await Promise.all([
    lifecycle.availableManifests?.() ?? [],
    lifecycle.list(),
  ]);
  const installedVersions = new Map(installed.map((app) => [app.id, app.version]));
  const apps = await Promise.all(
    manifests.map(async (manifest) =>
      catalogEntry(
        manifest,
        installedVersions.get(manifest.id),
        await catalogVersions(lifecycle, manifest.id),
      ),
    ),
  );
  return {
    apps: apps.sort(
      (a, b) => byCodeUnits(a.name.toLowerCase(), b.name.toLowerCase()) || byCodeUnits(a.id, b.id),
    ),
  };
}

/** The catalog's report for one app; undefined when the daemon has no catalog or it lists no such app. */
async function catalogVersions(lifecycle: AppLifecycle, id: string): Promise<AppVersionsReport | undefined> {
  if (!lifecycle.versions) return undefined;
  try {
    return await lifecycle.versions.versions(id);
  } catch (error) {
    if (error instanceof ArchyError && error.code === RpcErrorCode.NotFound) return undefined;
    throw error;
  }
}

function catalogEntry(
  manifest: AppManifest,
  installedVersion: string | undefined,
  report: AppVersionsReport | undefined,
): CatalogEntry {
  const implementation = manifest.bitcoin?.implementation;
  // Without a catalog entry an install runs the manifest's own version: that is the one choice.
  const versions = report?.versions ?? [
    {
      version: manifest.version,
      display: displayVersion(manifest.version, implementation),
      image: manifest.image,
      default: true,
      deprecated: false,
      installed: installedVersion === manifest.version,
    },
  ];
  return {
    id: manifest.id,
    name: manifest.name,
    version: manifest.version,
    category: manifest.category,
    ...(manifest.description !== undefined && { description: manifest.description }),
    ...(manifest.icon !== undefined && { icon: manifest.icon }),
    ...(manifest.homepage !== undefined && { homepage: manifest.homepage }),
    dependencies: manifest.dependencies.map(({ id, version }) => ({
      id,
      ...(version !== undefined && { version }),
    })),
    provides: [...manifest.provides],
    conflicts: [...manifest.conflicts],
    installed: installedVersion !== undefined,
    versions,
    defaultVersion: report?.defaultVersion ?? manifest.version,
    ...(installedVersion !== undefined && { installedVersion }),
    ...(report?.update && installedVersion !== undefined && { update: report.update }),
    ...(settingsOfManifest(manifest) && { bitcoin: settingsOfManifest(manifest)! }),
    ...(report?.pinnedVersion !== undefined && { pinnedVersion: report.pinnedVersion }),
    autoUpdate: report?.autoUpdate ?? false,
  };
}
