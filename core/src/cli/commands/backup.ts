// `archy backup …` (README "Backups"): set up a target, make, list and verify snapshots, show the
// status and, on the node only, the key. `backup restore` and `backup schedule` are registered on
// the same group from their own files (see registerBackupCommands).

import { createInterface } from 'node:readline';
import { Option, type Command } from 'commander';
import type { BackupSnapshotInfo, BackupStatus, RpcMethods } from '../../api/contract.js';
import { BackupProgressView } from '../backup-progress.js';
import { canAsk } from '../ask-yes-no.js';
import { addClientOptions, parseAppId, withDaemon, type ClientOptions } from '../client-options.js';
import { printJson, printText } from '../output.js';
import type { DaemonEndpoint } from '../rpc-client.js';
import { openEventStream } from '../ws-client.js';

/**
 * Registers `archy backup` and returns the group, for `backup restore` / `backup schedule`
 * (backup-restore.ts, backup-schedule.ts) to add their subcommands to.
 */
export function registerBackupCommands(program: Command): Command {
  const backup = program
    .command('backup')
    .description(
      'encrypted, deduplicated backups of apps with restic: init, create, list, verify, status, key',
    );
  registerInit(backup);
  registerCreate(backup);
  registerList(backup);
  registerVerify(backup);
  registerStatus(backup);
  registerKey(backup);
  return backup;
}

function registerInit(backup: Command): void {
  addClientOptions(
    backup
      .command('init')
      .description(
        'set up backups to a target; shows the new backup key ONCE: keep it somewhere safe, off this node',
      )
      .requiredOption(
        '--to <target>',
        'an absolute path (a mounted disk), rest:http(s)://[user:pass@]host:port/path or sftp:user@host:/path',
      )
      .addOption(new Option('--confirm-key-saved', 'you have kept the key (no question asked)'))
      .addOption(new Option('--same-disk', 'allow a local target on the data dir’s own disk')),
  ).action(async (options: ClientOptions & { to: string; confirmKeySaved?: boolean; sameDisk?: boolean }) => {
    await withDaemon(options, async (client) => {
      const result = await client.call(
        'backup.init',
        {
          target: options.to,
          ...(options.confirmKeySaved && { confirmKeySaved: true }),
          ...(options.sameDisk && { sameDisk: true }),
        },
        { noTimeout: true },
      );
      if (options.json) {
        printJson(result);
        return;
      }
      if (result.key === undefined) {
        printText(
          `backups go to ${result.target} now, with this node's existing key (show it with: archy backup key show)`,
        );
        return;
      }
      printText(`backups go to ${result.target}`);
      process.stderr.write(
        '\nYour backup key (shown this once; without it no backup can be restored, not even by us):\n\n',
      );
      printText(`    ${result.key}\n`);
      if (result.keyConfirmed) return;
      if (!canAsk()) {
        process.stderr.write(
          'the key is not confirmed yet: once it is kept safe, run: archy backup key confirm <its last group>\n',
        );
        return;
      }
      const typed = await askLine(
        "Type the key's last group (the last four characters) to confirm you kept it: ",
      );
      await client.call('backup.confirm-key', { lastGroup: typed });
      process.stderr.write('key confirmed\n');
    });
  });
}

function registerCreate(backup: Command): void {
  addClientOptions(
    backup
      .command('create')
      .description(
        'back up apps (default: all) as one snapshot; each app is stopped briefly and started again',
      )
      .argument('[apps...]', 'app ids', collectAppIds, [] as string[])
      .option('--to <target>', 'another target than the one set up')
      .addOption(
        new Option(
          '--include-chain',
          "also Bitcoin's blocks/, chainstate/ and indexes/ (they re-sync otherwise)",
        ),
      ),
  ).action(async (apps: string[], options: ClientOptions & { to?: string; includeChain?: boolean }) => {
    if (!options.json) {
      process.stderr.write(
        `${apps.length > 0 ? apps.join(', ') : 'every app'}: stopped briefly while the snapshot is taken, then started again\n`,
      );
    }
    const params: RpcMethods['backup.create']['params'] = {
      ...(apps.length > 0 && { apps }),
      ...(options.to !== undefined && { target: options.to }),
      ...(options.includeChain && { includeChain: true }),
    };
    const snapshot = await withDaemon(options, async (client, endpoint) => {
      const progress = options.json ? undefined : await showBackupProgress(endpoint);
      try {
        return await client.call('backup.create', params, { noTimeout: true });
      } finally {
        progress?.stop();
      }
    });
    if (options.json) printJson(snapshot);
    else printText(`snapshot ${snapshot.shortId}: ${describeApps(snapshot)}`);
  });
}

function registerList(backup: Command): void {
  addClientOptions(
    backup
      .command('list')
      .description("the target's snapshots, newest first")
      .option('--target <target>', 'another target than the one set up'),
  ).action(async (options: ClientOptions & { target?: string }) => {
    const snapshots = await withDaemon(options, (client) =>
      client.call('backup.list', options.target !== undefined ? { target: options.target } : {}, {
        noTimeout: true,
      }),
    );
    if (options.json) {
      printJson(snapshots);
      return;
    }
    if (snapshots.length === 0) {
      printText('no snapshots yet; make one with: archy backup create');
      return;
    }
    for (const snapshot of snapshots) {
      printText(
        `${snapshot.shortId}  ${snapshot.time.slice(0, 19).replace('T', ' ')}  ${snapshot.reason.padEnd(14)}  ${describeApps(snapshot)}`,
      );
    }
  });
}

function registerVerify(backup: Command): void {
  addClientOptions(
    backup
      .command('verify')
      .description(
        "check the repository's structure; with --read-data read every pack back and check its hash",
      )
      .addOption(new Option('--read-data', 'read all data back (slow: downloads the whole repository)'))
      .option('--target <target>', 'another target than the one set up'),
  ).action(async (options: ClientOptions & { readData?: boolean; target?: string }) => {
    const result = await withDaemon(options, async (client, endpoint) => {
      const progress = options.json ? undefined : await showBackupProgress(endpoint);
      try {
        return await client.call(
          'backup.verify',
          {
            ...(options.readData && { readData: true }),
            ...(options.target !== undefined && { target: options.target }),
          },
          { noTimeout: true },
        );
      } finally {
        progress?.stop();
      }
    });
    if (options.json) printJson(result);
    else printText(`the repository is sound${options.readData ? ' (every pack read back)' : ''}`);
  });
}

function registerStatus(backup: Command): void {
  addClientOptions(
    backup
      .command('status')
      .description('the target, the key confirmation, the running job and the last results'),
  ).action(async (options: ClientOptions) => {
    const status = await withDaemon(options, (client) => client.call('backup.status', {}));
    if (options.json) printJson(status);
    else printText(describeStatus(status));
  });
}

function registerKey(backup: Command): void {
  const key = backup.command('key').description('the backup key');
  addClientOptions(
    key.command('show').description('show the backup key again (on the node only; the call is audited)'),
  ).action(async (options: ClientOptions) => {
    const answer = await withDaemon(options, (client) => client.call('backup.key-show', {}));
    if (options.json) printJson(answer);
    else printText(answer.key);
  });
  addClientOptions(
    key
      .command('confirm')
      .description('confirm you kept the key by giving its last group')
      .argument('<last-group>', "the key's last four characters"),
  ).action(async (lastGroup: string, options: ClientOptions) => {
    const answer = await withDaemon(options, (client) => client.call('backup.confirm-key', { lastGroup }));
    if (options.json) printJson(answer);
    else printText('key confirmed');
  });
}

function collectAppIds(value: string, previous: string[]): string[] {
  return [...previous, parseAppId(value)];
}

function describeApps(snapshot: BackupSnapshotInfo): string {
  const apps = snapshot.apps.map((app) => (app.version ? `${app.id} ${app.version}` : app.id)).join(', ');
  return `${apps || '(no apps)'}${snapshot.includesChain ? ' (with chain)' : ''}`;
}

function describeStatus(status: BackupStatus): string {
  const lines = [
    status.target
      ? `target: ${status.target}`
      : 'target: none (set one up with: archy backup init --to TARGET)',
    `key confirmed: ${status.keyConfirmed ? 'yes' : 'no (archy backup key confirm <last group>)'}`,
  ];
  if (status.running) {
    const running = status.running;
    lines.push(
      `running: ${running.job}, ${running.phase}${running.app ? ` ${running.app}` : ''}${running.percent !== undefined ? ` ${Math.floor(running.percent)}%` : ''} (since ${running.startedAt})`,
    );
  }
  if (status.last) {
    const last = status.last;
    lines.push(
      `last: ${last.job} ${last.ok ? 'ok' : 'FAILED'} at ${last.finishedAt}${last.snapshot ? ` (snapshot ${last.snapshot.slice(0, 8)})` : ''}${last.message ? `: ${last.message}` : ''}`,
    );
  }
  if (status.lastSuccess && status.lastSuccess !== status.last && !status.last?.ok) {
    lines.push(`last success: ${status.lastSuccess.job} at ${status.lastSuccess.finishedAt}`);
  }
  if (status.nextRun) lines.push(`next run: ${status.nextRun}`);
  if (status.channelBackup) {
    const channel = status.channelBackup;
    lines.push(
      `channel backup (${channel.app}): ${channel.copiedAt ? `copied ${channel.copiedAt}` : 'not copied yet'}${channel.message ? `; ${channel.message}` : ''}`,
    );
  }
  return lines.join('\n');
}

/** Follows `backup.progress` on /ws and draws it on stderr; best effort (the job runs without it). */
async function showBackupProgress(endpoint: DaemonEndpoint): Promise<{ stop(): void }> {
  let stream: Awaited<ReturnType<typeof openEventStream>>;
  try {
    stream = await openEventStream(endpoint);
  } catch {
    return { stop: () => undefined };
  }
  const view = new BackupProgressView(process.stderr);
  stream.onMessage((message) => {
    if ('event' in message && message.event === 'backup.progress') view.update(message.data);
  });
  return {
    stop: () => {
      view.finish();
      stream.close();
    },
  };
}

async function askLine(question: string): Promise<string> {
  const reader = createInterface({ input: process.stdin, output: process.stderr, terminal: false });
  process.stderr.write(question);
  try {
    return await new Promise<string>((resolve) => {
      reader.once('line', resolve);
      reader.once('close', () => resolve(''));
    });
  } finally {
    reader.close();
  }
}
