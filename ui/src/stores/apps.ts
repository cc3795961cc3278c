import type {
  AppHealth,
  AppStatus,
  GuardConfirmation,
  ImageProgress,
  PullProgress,
  WsEventMessage,
} from '@archipelago/core/contract';
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { client, errorMessage } from '../api/container-client';
import type { DaemonSocket } from '../api/daemon-socket';
import { byName } from '../lib/by-name';
import { guardRefusal, type GuardRefusal } from '../lib/guard-refusal';
import { useToasts } from './toasts';

export type AppAction = 'start' | 'stop' | 'restart' | 'remove';
/** The actions that start a node on its datadir, and so may meet the Bitcoin version guard. */
export type GuardedAction = 'start' | 'restart';

/** A start or restart the version guard refused: the page asks the user, then retries it confirmed. */
export interface GuardedRefusal {
  action: GuardedAction;
  refusal: GuardRefusal;
}

const guarded = (action: AppAction): action is GuardedAction => action === 'start' || action === 'restart';

/** While /ws is down the list is refreshed this often; while it is up, never (events suffice). */
export const FALLBACK_POLL_MS = 15_000;

/** Installed apps, kept current by /ws events. */
export const useApps = defineStore('apps', () => {
  const byId = ref<Record<string, AppStatus>>({});
  const health = ref<Record<string, AppHealth>>({});
  const pulls = ref<Record<string, PullProgress>>({});
  /** The latest image-progress of each app being installed or changing version (a build, a download). */
  const images = ref<Record<string, ImageProgress>>({});
  /** The action running on each app, for spinners and disabled buttons. */
  const busy = ref<Record<string, AppAction>>({});
  /** Per app, the version guard's refusal of its last start or restart, until answered or dismissed. */
  const refusals = ref<Record<string, GuardedRefusal>>({});
  const loaded = ref(false);
  const loading = ref(false);
  const error = ref<string | undefined>();
  /** True while /ws is connected. */
  const live = ref(false);
  let pollTimer: ReturnType<typeof setInterval> | undefined;

  const list = computed(() => Object.values(byId.value).sort(byName));

  function replaceAll(apps: AppStatus[]): void {
    const next: Record<string, AppStatus> = {};
    for (const app of apps) next[app.id] = app;
    byId.value = next;
    loaded.value = true;
  }

  function upsert(app: AppStatus): void {
    byId.value = { ...byId.value, [app.id]: app };
    // Once the app is past installing or changing version, its image is there: the progress is over.
    if (app.state !== 'installing' && app.state !== 'updating') clearProgress(app.id);
  }

  function forget(id: string): void {
    const { [id]: _gone, ...rest } = byId.value;
    byId.value = rest;
    const { [id]: _health, ...otherHealth } = health.value;
    health.value = otherHealth;
    clearProgress(id);
  }

  /** Drops an app's pull and image progress (done, failed, or about to start again). */
  function clearProgress(id: string): void {
    if (pulls.value[id]) {
      const { [id]: _done, ...rest } = pulls.value;
      pulls.value = rest;
    }
    if (images.value[id]) {
      const { [id]: _done, ...rest } = images.value;
      images.value = rest;
    }
  }

  async function fetchAll(): Promise<void> {
    loading.value = true;
    try {
      replaceAll(await client.list());
      error.value = undefined;
    } catch (cause) {
      error.value = errorMessage(cause);
    } finally {
      loading.value = false;
    }
  }

  async function fetchOne(id: string): Promise<AppStatus | undefined> {
    try {
      const app = await client.status(id);
      upsert(app);
      return app;
    } catch (cause) {
      error.value = errorMessage(cause);
      return undefined;
    }
  }

  async function fetchHealth(id: string): Promise<void> {
    try {
      health.value = { ...health.value, [id]: await client.health(id) };
    } catch {
      // An app without a container has no health to show; the status says why.
    }
  }

  /** Applies one /ws event. */
  function applyEvent(message: WsEventMessage): void {
    switch (message.event) {
      case 'app-state':
        upsert(message.data as AppStatus);
        break;
      case 'app-removed':
        forget((message.data as { id: string }).id);
        break;
      case 'pull-progress': {
        const progress = message.data as PullProgress;
        pulls.value = { ...pulls.value, [progress.id]: progress };
        break;
      }
      case 'image-progress': {
        const progress = message.data as ImageProgress;
        images.value = { ...images.value, [progress.id]: progress };
        break;
      }
      default:
        break;
    }
  }

  /**
   * Runs an action. A start or restart the version guard refuses is not an error toast: it lands in
   * `refusals`, for the page to show in full and, when it can be confirmed, to call this again with
   * `confirm` (what the refusal asked for).
   */
  async function act(
    id: string,
    action: AppAction,
    options: { purge?: boolean; confirm?: GuardConfirmation } = {},
  ): Promise<boolean> {
    busy.value = { ...busy.value, [id]: action };
    try {
      if (action === 'remove') {
        await client.remove(id, options.purge ?? false);
        forget(id);
      } else if (guarded(action)) {
        upsert(await client[action](id, options.confirm));
      } else {
        upsert(await client[action](id));
      }
      dismissRefusal(id);
      return true;
    } catch (cause) {
      const refusal = guarded(action) ? guardRefusal(cause) : undefined;
      if (refusal && guarded(action)) {
        refusals.value = { ...refusals.value, [id]: { action, refusal } };
      } else {
        dismissRefusal(id);
        useToasts().error(cause);
      }
      return false;
    } finally {
      const { [id]: _done, ...rest } = busy.value;
      busy.value = rest;
    }
  }

  function dismissRefusal(id: string): void {
    if (!refusals.value[id]) return;
    const { [id]: _gone, ...rest } = refusals.value;
    refusals.value = rest;
  }

  /**
   * Follows /ws: events update the list; every (re)connect refetches it, since events sent while
   * the socket was down are lost. While it is down, a slow poll keeps the page roughly current.
   */
  function connectLive(socket: DaemonSocket): () => void {
    const offs = [
      socket.on('event', applyEvent),
      socket.on('open', () => void fetchAll()),
      socket.on('state', (state) => {
        live.value = state === 'open';
        if (live.value) stopPolling();
        else if (state === 'closed') startPolling();
      }),
    ];
    live.value = socket.state === 'open';
    socket.connect();
    return () => {
      offs.forEach((off) => off());
      stopPolling();
      live.value = false;
    };
  }

  function startPolling(): void {
    if (pollTimer === undefined) pollTimer = setInterval(() => void fetchAll(), FALLBACK_POLL_MS);
  }

  function stopPolling(): void {
    clearInterval(pollTimer);
    pollTimer = undefined;
  }

  const polling = (): boolean => pollTimer !== undefined;

  return {
    byId,
    health,
    pulls,
    images,
    busy,
    refusals,
    loaded,
    loading,
    error,
    live,
    list,
    replaceAll,
    upsert,
    clearProgress,
    fetchAll,
    fetchOne,
    fetchHealth,
    applyEvent,
    act,
    dismissRefusal,
    connectLive,
    polling,
  };
});
