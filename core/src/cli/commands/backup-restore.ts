// `archy backup restore <snapshot|latest> [app…] [--from TARGET] [--key-file FILE] [--yes]`
// (README "Restore"), registered under B1's `archy backup` group. Asks before replacing the data
// of an installed app (the daemon says which, changing nothing, with `backup.restore-plan`); the
// key comes from a file or the terminal (echoing nothing), never from an argument, which would be
// in the shell's history and every user's `ps`.

import { readFile } from 'node:fs/promises';
import { Option, type Command } from 'commander';
import type { BackupProgress, BackupResult } from '../../api/contract.js';
import { askYesNo, canAsk } from '../ask-yes-no.js';
import { CliError } from '../cli-error.js';
import { addClientOptions, parseAppId, withDaemon, type ClientOptions } from '../client-options.js';
import { formatBytes } from '../format.js';
import { printJson, printText } from '../output.js';
import { promptHidden } from '../password-input.js';
import type { ProgressOutput } from '../progress-bar.js';
import type { DaemonEndpoint } from '../rpc-client.js';
import { openEventStream, type DaemonEventStream } from '../ws-client.js';

interface RestoreOptions extends ClientOptions {
  from?: string;
  keyFile?: string;
  yes?: boolean;
}

/** Adds `restore` to the `archy backup` command group. */
export function registerBackupRestoreCommand(backup: Command): void {
  addClientOptions(
    backup
      .command('restore')
      .description(
        'restore apps from a snapshot: data, records, configs, secrets and onion keys; installs them at their versions (a fresh node too: --from and --key-file)',
      )
      .argument('<snapshot>', "a snapshot id (or its short form) from 'archy backup list', or latest")
      .argument('[apps...]', 'only these apps (default: every app in the snapshot)')
      .addOption(
        new Option('--from <target>', 'restore from this target (default: the one this node backs up to)'),
      )
      .addOption(
        new Option(
          '--key-file <file>',
          'the backup key archy backup init showed, in a file (default: the key this node keeps; at a terminal without one, asked for)',
        ),
      )
      .addOption(new Option('--yes', 'replace the data of installed apps without asking (for scripts)')),
  ).action(async (snapshot: string, apps: string[], options: RestoreOptions) => {
    for (const app of apps) parseAppId(app);
    const key = await keyOf(options);
    const params = {
      snapshot,
      ...(apps.length > 0 && { apps }),
      ...(options.from !== undefined && { target: options.from }),
      ...(key !== undefined && { key }),
    };
    const result = await withDaemon(options, async (client, endpoint) => {
      const plan = await client.call('backup.restore-plan', params, { noTimeout: true });
      if (plan.replaces.length > 0 && !options.yes) {
        const names = plan.replaces.join(', ');
        if (!canAsk()) {
          throw new CliError(
            `restoring replaces the data of ${names}, installed here; nothing was changed: run again with --yes to confirm`,
          );
        }
        const yes = await askYesNo(
          `Replace the data of ${names} with snapshot ${plan.snapshot.slice(0, 8)}'s? Their current data is deleted once each is restored.`,
        );
        if (!yes) throw new CliError('not restored: nothing was changed');
      }
      const progress = options.json ? undefined : await showRestoreProgress(endpoint);
      try {
        // Restoring a big snapshot and pulling images may take long: no client-side timeout.
        return await client.call('backup.restore', params, { noTimeout: true });
      } finally {
        progress?.stop();
      }
    });
    if (options.json) printJson(result);
    else printText(formatRestoreResult(result));
  });
}

/** The key from --key-file, else typed at a terminal when restoring from a named target, else none (the node's). */
async function keyOf(options: RestoreOptions): Promise<string | undefined> {
  if (options.keyFile !== undefined) {
    const text = await readFile(options.keyFile, 'utf8').catch((error: NodeJS.ErrnoException) => {
      throw new CliError(`cannot read the key file ${options.keyFile}: ${error.code ?? error.message}`);
    });
    return text.replace(/\r?\n$/, '');
  }
  // A fresh node keeps no key: at a terminal, ask for it; elsewhere the daemon says what is missing.
  if (options.from !== undefined && canAsk()) {
    const typed = await promptHidden(
      'Backup key (as archy backup init showed it; Enter: the one this node keeps): ',
    );
    return typed.trim() === '' ? undefined : typed;
  }
  return undefined;
}

export function formatRestoreResult(result: BackupResult): string {
  const snapshot = result.snapshot ? ` from snapshot ${result.snapshot.slice(0, 8)}` : '';
  return `restored ${result.apps.join(', ') || 'no apps'}${snapshot}`;
}

/** `restoring  [#####-----]  50%  1.2 MB/2.4 MB` or `installing hello`, one line. */
export function renderRestoreProgress(progress: BackupProgress, columns: number): string {
  if (progress.phase !== 'restoring') {
    return `${progress.phase}${progress.app ? ` ${progress.app}` : ''}`.slice(0, columns);
  }
  const fraction = progress.percent === undefined ? 0 : Math.min(100, progress.percent) / 100;
  const width = Math.max(10, Math.min(30, Math.floor(columns / 4)));
  const filled = Math.round(fraction * width);
  const bytes =
    progress.bytesTotal !== undefined
      ? `  ${formatBytes(progress.bytesDone ?? 0)}/${formatBytes(progress.bytesTotal)}`
      : '';
  const percent = progress.percent === undefined ? '  ?%' : `${Math.floor(progress.percent)}%`.padStart(4);
  return `restoring  [${'#'.repeat(filled)}${'-'.repeat(width - filled)}]  ${percent}${bytes}`.slice(
    0,
    columns,
  );
}

/** Redraws one line on a terminal; elsewhere a line per phase, so a log is not flooded. */
class RestoreProgressView {
  private lineOpen = false;
  private lastPhase = '';

  constructor(private readonly output: ProgressOutput) {}

  update(progress: BackupProgress): void {
    if (this.output.isTTY) {
      this.output.write(`\r${renderRestoreProgress(progress, (this.output.columns ?? 80) - 1)}\x1b[K`);
      this.lineOpen = true;
      return;
    }
    const phase = `${progress.phase}${progress.app ?? ''}`;
    if (phase === this.lastPhase) return;
    this.lastPhase = phase;
    this.output.write(`${renderRestoreProgress(progress, 200)}\n`);
  }

  finish(): void {
    if (this.lineOpen) this.output.write('\n');
    this.lineOpen = false;
  }
}

async function showRestoreProgress(endpoint: DaemonEndpoint): Promise<{ stop(): void }> {
  let stream: DaemonEventStream;
  try {
    stream = await openEventStream(endpoint);
  } catch {
    // Progress is a nicety: the restore itself runs over the RPC call.
    return { stop: () => undefined };
  }
  const view = new RestoreProgressView(process.stderr);
  stream.onMessage((message) => {
    if (!('event' in message)) return;
    if (message.event === 'backup.progress' && message.data.job === 'restore') view.update(message.data);
  });
  return {
    stop: () => {
      view.finish();
      stream.close();
    },
  };
}
