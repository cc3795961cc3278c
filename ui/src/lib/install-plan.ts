import type { AppStatus, CatalogEntry } from '@archipelago/core/contract';

// A preview of what installing an app brings along, from the catalog alone. The daemon plans the
// real install (versions, resources) and its refusal is what the modal shows when it says no.

export interface InstallPreview {
  /** Apps that will be installed first, to satisfy dependencies. */
  alsoInstalls: CatalogEntry[];
  /** Dependencies already satisfied by an installed app: [dependency, provider]. */
  satisfiedBy: Array<{ dependency: string; provider: string }>;
  /** Dependencies nothing in the catalog provides. */
  unavailable: string[];
  /** Installed apps this one never runs with, and what that means. */
  conflicts: Array<{ id: string; name: string; running: boolean }>;
}

function provides(entry: Pick<CatalogEntry, 'id' | 'provides'>, need: string): boolean {
  return entry.id === need || entry.provides.includes(need);
}

export function previewInstall(
  app: CatalogEntry,
  catalog: CatalogEntry[],
  installed: AppStatus[],
): InstallPreview {
  const preview: InstallPreview = { alsoInstalls: [], satisfiedBy: [], unavailable: [], conflicts: [] };
  const installedIds = new Set(installed.map((status) => status.id));
  const catalogById = new Map(catalog.map((entry) => [entry.id, entry]));
  const planned = new Set<string>();

  const visit = (entry: CatalogEntry, trail: Set<string>) => {
    for (const dependency of entry.dependencies) {
      const provider = installed.find((status) => {
        const known = catalogById.get(status.id);
        return status.id === dependency.id || (known !== undefined && provides(known, dependency.id));
      });
      if (provider) {
        preview.satisfiedBy.push({ dependency: dependency.id, provider: provider.id });
        continue;
      }
      const candidate =
        [...planned].map((id) => catalogById.get(id)!).find((planned) => provides(planned, dependency.id)) ??
        catalog.find((option) => option.id === dependency.id) ??
        catalog.find((option) => option.id !== app.id && provides(option, dependency.id));
      if (!candidate) {
        preview.unavailable.push(dependency.id);
        continue;
      }
      if (planned.has(candidate.id) || trail.has(candidate.id) || installedIds.has(candidate.id)) continue;
      planned.add(candidate.id);
      preview.alsoInstalls.push(candidate);
      visit(candidate, new Set([...trail, candidate.id]));
    }
  };
  visit(app, new Set([app.id]));

  for (const status of installed) {
    const other = catalogById.get(status.id);
    const conflicting = app.conflicts.includes(status.id) || (other?.conflicts.includes(app.id) ?? false);
    if (conflicting) {
      preview.conflicts.push({ id: status.id, name: status.name, running: status.state !== 'stopped' });
    }
  }
  return preview;
}
