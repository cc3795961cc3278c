import type {
  BackupProgress,
  BackupResult,
  BackupScheduleChange,
  BackupScheduleReport,
  BackupSnapshotInfo,
  BackupStatus,
  WsEventMessage,
} from '@archipelago/core/contract';
import { defineStore } from 'pinia';
import { ref } from 'vue';
import { client, errorMessage } from '../api/container-client';
import type { DaemonSocket } from '../api/daemon-socket';

// The Backups page's state: the target and key state, the running job's progress (WebSocket
// `backup.progress`), the last result, the schedule and next run, and the snapshots. Long jobs
// (a backup, a restore) return when they end; their progress arrives over /ws meanwhile.

/**
 * `backup.restore` (README "Restore") is added to the contract by the restore part; until that
 * lands beside this page, the call is typed here by what the design says it takes and returns.
 */
type RestoreCall = (
  method: 'backup.restore',
  params: { snapshot: string; apps?: string[] },
) => Promise<BackupResult>;
const restoreCall = (...args: Parameters<RestoreCall>): ReturnType<RestoreCall> =>
  (client.call.bind(client) as unknown as RestoreCall)(...args);

export const useBackups = defineStore('backups', () => {
  const status = ref<BackupStatus | undefined>();
  const schedule = ref<BackupScheduleReport | undefined>();
  const snapshots = ref<BackupSnapshotInfo[]>([]);
  const progress = ref<BackupProgress | undefined>();
  const working = ref<'backup' | 'restore' | 'schedule' | undefined>();
  const error = ref<string | undefined>();
  const notice = ref<string | undefined>();
  const loaded = ref(false);

  async function refresh(): Promise<void> {
    error.value = undefined;
    try {
      const [nextStatus, nextSchedule] = await Promise.all([
        client.call('backup.status', {}),
        client.call('backup.schedule', {}),
      ]);
      status.value = nextStatus;
      schedule.value = nextSchedule;
      progress.value = nextStatus.running;
      // The snapshot list needs a target; without one there is nothing to list.
      snapshots.value = nextStatus.target ? await client.call('backup.list', {}) : [];
    } catch (caught) {
      error.value = errorMessage(caught);
    } finally {
      loaded.value = true;
    }
  }

  async function backUpNow(): Promise<void> {
    await job('backup', async () => {
      const snapshot = await client.call('backup.create', {});
      notice.value = `Backup ${snapshot.shortId} made.`;
    });
  }

  async function restore(snapshot: string, apps?: string[]): Promise<void> {
    await job('restore', async () => {
      const result = await restoreCall('backup.restore', { snapshot, ...(apps && { apps }) });
      notice.value = `Restored ${result.apps.join(', ') || 'the snapshot'}.`;
    });
  }

  async function saveSchedule(change: BackupScheduleChange): Promise<void> {
    await job('schedule', async () => {
      schedule.value = await client.call('backup.schedule', change);
      notice.value = change.enabled === false ? 'Scheduled backups are off.' : 'Schedule saved.';
    });
  }

  async function job(kind: 'backup' | 'restore' | 'schedule', run: () => Promise<void>): Promise<void> {
    working.value = kind;
    error.value = undefined;
    notice.value = undefined;
    let failure: string | undefined;
    try {
      await run();
    } catch (caught) {
      failure = errorMessage(caught);
    } finally {
      working.value = undefined;
      progress.value = undefined;
      await refresh();
      // The job's refusal wins over the refresh's (it is what the user just asked for).
      if (failure !== undefined) error.value = failure;
    }
  }

  function applyEvent(message: WsEventMessage): void {
    if (message.event === 'backup.progress') {
      const next = message.data as BackupProgress;
      progress.value = next.phase === 'done' || next.phase === 'failed' ? undefined : next;
    } else if (message.event === 'backup.finished') {
      const result = message.data as BackupResult;
      progress.value = undefined;
      // A scheduled run or a channel.backup copy ended while the page is open: show it.
      if (!working.value) void refresh();
      if (!result.ok && !working.value) error.value = result.message;
    }
  }

  /** Follows /ws while the page is open; returns the unsubscribe. */
  function connectLive(socket: DaemonSocket): () => void {
    const off = [socket.on('event', applyEvent), socket.on('open', () => void refresh())];
    socket.connect();
    return () => off.forEach((stop) => stop());
  }

  return {
    status,
    schedule,
    snapshots,
    progress,
    working,
    error,
    notice,
    loaded,
    refresh,
    backUpNow,
    restore,
    saveSchedule,
    applyEvent,
    connectLive,
  };
});
