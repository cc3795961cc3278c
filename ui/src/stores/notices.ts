import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { client } from '../api/container-client';
import { nodeNotices, type DaemonInfo } from '../lib/node-notices';
import type { CatalogStatusReport } from '@archipelago/core/contract';

/** How often the banners are checked again: a catalog expires while the page stays open. */
export const NOTICES_REFRESH_MS = 5 * 60 * 1000;

/** The node-wide banners (development escape, expired catalog), read from daemon-info and catalog.status. */
export const useNotices = defineStore('notices', () => {
  const info = ref<DaemonInfo | undefined>();
  const catalog = ref<CatalogStatusReport | undefined>();
  const notices = computed(() => nodeNotices(info.value, catalog.value));

  /** Reads both; a failed read keeps what was known (the connection banner covers an unreachable node). */
  async function fetch(): Promise<void> {
    const [daemon, status] = await Promise.allSettled([
      client.call('daemon-info', {}),
      client.call('catalog.status', {}),
    ]);
    if (daemon.status === 'fulfilled') info.value = daemon.value;
    if (status.status === 'fulfilled') catalog.value = status.value;
  }

  return { info, catalog, notices, fetch };
});
