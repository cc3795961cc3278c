// The apps a plan can draw on: those installed, and every version of those it could install.
// Built once per plan; lookups by id and by provided interface.

import type { AppManifest } from '../manifest/index.js';
import { compareAppVersions } from './app-version.js';
import type { AvailableApp, InstalledApp } from './types.js';

export class AppUniverse {
  readonly installed: ReadonlyMap<string, InstalledApp>;
  /** Per app id, its available manifests, newest version first. */
  private readonly available = new Map<string, AppManifest[]>();

  constructor(installed: readonly InstalledApp[], available: readonly AvailableApp[] = []) {
    this.installed = new Map(installed.map((app) => [app.id, app]));
    for (const { manifest } of available) {
      const versions = this.available.get(manifest.id) ?? [];
      if (!versions.some((known) => known.version === manifest.version)) versions.push(manifest);
      this.available.set(manifest.id, versions);
    }
    for (const versions of this.available.values()) {
      versions.sort((a, b) => compareAppVersions(b.version, a.version));
    }
  }

  isAvailable(id: string): boolean {
    return this.available.has(id);
  }

  /** Newest first. */
  availableVersions(id: string): string[] {
    return (this.available.get(id) ?? []).map((manifest) => manifest.version);
  }

  availableManifest(id: string, version: string): AppManifest | undefined {
    return this.available.get(id)?.find((manifest) => manifest.version === version);
  }

  /** Installed apps providing `name`, by id. */
  installedProvidersOf(name: string): InstalledApp[] {
    return [...this.installed.values()]
      .filter((app) => app.manifest.provides.includes(name))
      .sort((a, b) => (a.id < b.id ? -1 : 1));
  }

  /** Ids of apps not installed that some available version of provides `name`, sorted. */
  installableProvidersOf(name: string): string[] {
    return [...this.available.entries()]
      .filter(([id, versions]) => !this.installed.has(id) && versions.some((m) => m.provides.includes(name)))
      .map(([id]) => id)
      .sort();
  }
}
