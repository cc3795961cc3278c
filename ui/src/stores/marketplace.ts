import type { AppStatus, CatalogEntry } from '@archipelago/core/contract';
import { defineStore } from 'pinia';
import { computed, ref, watch } from 'vue';
import { client, errorMessage, type Params } from '../api/container-client';
import { byName } from '../lib/by-name';
import { CATEGORY_ORDER, categoryLabel } from '../lib/format';
import { guardRefusal, type GuardRefusal } from '../lib/guard-refusal';
import { sourcesTried, type SourceTried } from '../lib/refusal';
import { useApps } from './apps';

export interface InstallState {
  phase: 'installing' | 'done' | 'failed';
  version?: string;
  /** The daemon's refusal, in its own words. */
  error?: string;
  /** With a refusal to download a release: each source the node tried and what it answered. */
  sources?: SourceTried[];
  /**
   * With the Bitcoin version guard's refusal to start the node on the data kept from before: what
   * confirming takes (the dialog retries `choices` with the confirmation, or says it cannot).
   */
  guard?: GuardRefusal;
  /** What the install asked for: a dialog opened again shows it, not its defaults. */
  choices?: InstallChoices;
}

/**
 * What the install dialog asks for: a version, and a Bitcoin node's chain and pruning — and, after
 * the version guard refused, the confirmation it asked for.
 */
export type InstallChoices = Omit<Params<'package.install'>, 'id' | 'from'>;

/** The bundled apps a user may install, and the installs under way. */
export const useMarketplace = defineStore('marketplace', () => {
  const apps = ref<CatalogEntry[]>([]);
  const loaded = ref(false);
  const loading = ref(false);
  const error = ref<string | undefined>();
  const query = ref('');
  const installs = ref<Record<string, InstallState>>({});

  const filtered = computed(() => {
    const words = query.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
    if (words.length === 0) return apps.value;
    return apps.value.filter((app) => {
      const text = [app.id, app.name, app.description ?? '', categoryLabel(app.category), ...app.provides]
        .join(' ')
        .toLowerCase();
      return words.every((word) => text.includes(word));
    });
  });

  const groups = computed(() =>
    CATEGORY_ORDER.map((label) => ({
      label,
      apps: filtered.value.filter((app) => categoryLabel(app.category) === label),
    })).filter((group) => group.apps.length > 0),
  );

  const entries = computed(() => new Map(apps.value.map((app) => [app.id, app])));
  const byId = (id: string): CatalogEntry | undefined => entries.value.get(id);

  /**
   * The update the daemon offers for what runs now. Only while catalog-list's answer is about the
   * version that runs: after a version change it says nothing until the list is fetched again.
   */
  function updateFor(app: Pick<AppStatus, 'id' | 'version'>): CatalogEntry['update'] {
    const entry = entries.value.get(app.id);
    return entry?.installedVersion === app.version ? entry.update : undefined;
  }

  // What runs changes under the list (a version switch, an auto-update, an install or removal
  // elsewhere, all heard over /ws): then the list's versions and updates are stale; fetch it again.
  const installed = useApps();
  watch(
    () => installed.list.map((app) => `${app.id}@${app.version}`).join(' '),
    () => {
      if (!loaded.value || loading.value || !installed.loaded) return;
      const stale = apps.value.some((entry) => entry.installedVersion !== installed.byId[entry.id]?.version);
      if (stale) void fetch();
    },
  );

  async function fetch(): Promise<void> {
    loading.value = true;
    try {
      // The daemon's order is by code unit; shown, names follow the reader's locale.
      apps.value = (await client.catalog()).sort(byName);
      loaded.value = true;
      error.value = undefined;
    } catch (cause) {
      error.value = errorMessage(cause);
    } finally {
      loading.value = false;
    }
  }

  function setInstalled(id: string, installed: boolean): void {
    apps.value = apps.value.map((app: CatalogEntry) => (app.id === id ? { ...app, installed } : app));
  }

  /** Installs and waits for the daemon's answer (it returns once the app is up, or refuses). */
  async function install(id: string, choices: InstallChoices = {}): Promise<boolean> {
    const { version } = choices;
    installs.value = {
      ...installs.value,
      [id]: { phase: 'installing', ...(version && { version }), choices },
    };
    // A try again must not show the last attempt's download until the new one reports.
    useApps().clearProgress(id);
    try {
      const status = await client.install(id, choices);
      useApps().upsert(status);
      setInstalled(id, true);
      installs.value = { ...installs.value, [id]: { phase: 'done', version: status.version } };
      return true;
    } catch (cause) {
      const sources = sourcesTried(cause);
      const guard = guardRefusal(cause);
      installs.value = {
        ...installs.value,
        [id]: {
          phase: 'failed',
          error: guard?.message ?? errorMessage(cause),
          ...(sources.length > 0 && { sources }),
          ...(guard && { guard }),
          choices,
        },
      };
      return false;
    }
  }

  function resetInstall(id: string): void {
    const { [id]: _gone, ...rest } = installs.value;
    installs.value = rest;
  }

  return {
    apps,
    loaded,
    loading,
    error,
    query,
    installs,
    filtered,
    groups,
    byId,
    updateFor,
    fetch,
    install,
    resetInstall,
    setInstalled,
  };
});
