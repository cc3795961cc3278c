// Archipelago OS itself (README "OS updates"): `archy os status [--json]` and
// `archy os update <URL|FILE> [--reboot] [--no-wait]`. The daemon downloads the bundle and hands
// it to the OS's root update service; this command then follows the service's progress.

import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { Option, type Command } from 'commander';
import type { OsSsh, OsStatus } from '../../api/contract.js';
import { CliError } from '../cli-error.js';
import { addClientOptions, withDaemon, type ClientOptions } from '../client-options.js';
import { printJson, printText } from '../output.js';

/** How long the root service may take to pick the bundle up (the path unit fires at once). */
const PICKUP_TIMEOUT_MS = 2 * 60 * 1000;
/** Checking and writing a 1.5 GiB slot on a slow SD card, with room to spare. */
const APPLY_TIMEOUT_MS = 30 * 60 * 1000;
const POLL_MS = 2000;

export function registerOsCommands(program: Command): void {
  const os = program.command('os').description('Archipelago OS itself: its version, and updates of it (A/B)');

  addClientOptions(
    os.command('status').description("the OS version, the other slot's, the last update and boot"),
  ).action(async (options: ClientOptions) => {
    const status = await withDaemon(options, (client) => client.call('os.status', {}));
    if (options.json) printJson(status);
    else printText(formatOsStatus(status));
  });

  addClientOptions(
    os
      .command('update')
      .description(
        'download a signed OS update and write it to the other slot; the next restart runs it (and falls back if it does not come up)',
      )
      .argument('<bundle>', 'the bundle: an http(s):// URL, or a file on the node')
      .addOption(new Option('--reboot', 'restart into the new version once it is written').default(false))
      .addOption(new Option('--no-wait', 'return once the daemon has handed the bundle over')),
  ).action(async (bundle: string, options: ClientOptions & { reboot: boolean; wait: boolean }) => {
    const url = bundleUrl(bundle);
    const final = await withDaemon(options, async (client) => {
      const handed = await client.call('os.update', { url, reboot: options.reboot }, { noTimeout: true });
      if (!options.wait) return handed;
      if (!options.json) process.stderr.write('downloaded; the OS update service checks and writes it now\n');
      const since = handed.supported && handed.download ? Date.parse(handed.download.at) : Date.now();
      return followUpdate(() => client.call('os.status', {}), since, options.json);
    });
    if (options.json) printJson(final);
    else printText(formatOsStatus(final));
    if (final.supported && final.lastUpdate?.state === 'failed' && options.wait)
      throw new CliError(
        `the update failed: ${final.lastUpdate.error ?? 'see journalctl -u archipelago-os-update'}`,
      );
  });
}

/** An http(s) URL as it is; anything else is a file, sent as a file: URL of its absolute path. */
export function bundleUrl(argument: string): string {
  if (/^https?:\/\//i.test(argument) || argument.startsWith('file:')) return argument;
  const path = resolve(argument);
  if (!existsSync(path))
    throw new CliError(`${path} does not exist; give the bundle's file or its http(s):// URL`);
  return pathToFileURL(path).href;
}

/** Polls os.status until the update service finished a run that started after `since`. */
async function followUpdate(
  status: () => Promise<OsStatus>,
  since: number,
  quiet: boolean,
): Promise<OsStatus> {
  const started = Date.now();
  let lastState = '';
  for (;;) {
    const current = await status();
    if (!current.supported) return current;
    const update = current.lastUpdate;
    // The tool writes whole seconds: a run of this request is at most a second "before" it.
    const ours =
      update !== undefined && Date.parse(update.at) >= since - 1000 && current.download === undefined;
    if (ours && (update.state === 'applied' || update.state === 'failed')) return current;
    if (ours && update.state !== lastState && !quiet) process.stderr.write(`${update.state}…\n`);
    if (ours) lastState = update.state;
    if (current.download?.state === 'waiting' && Date.now() - started > PICKUP_TIMEOUT_MS)
      throw new CliError(
        'the OS update service did not pick the bundle up; is archipelago-os-update.path enabled? (systemctl status archipelago-os-update.path)',
      );
    if (Date.now() - started > APPLY_TIMEOUT_MS)
      throw new CliError(
        'the OS update is taking longer than 30 minutes; see: journalctl -u archipelago-os-update',
      );
    await sleep(POLL_MS);
  }
}

const megabytes = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

export function formatOsStatus(status: OsStatus): string {
  if (!status.supported) return `not Archipelago OS: ${status.reason}`;
  const lines = [`Archipelago OS ${status.version} (slot ${status.slot})`];
  const other = status.otherSlot;
  lines.push(
    `other slot (${other.slot}): ${other.version ?? 'no update recorded'}${status.rebootPending ? ' — restart to run it' : ''}`,
  );
  if (status.fellBack)
    lines.push(
      `fell back to ${status.fellBack.to.version} (slot ${status.fellBack.to.slot}): ${status.fellBack.reason}`,
    );
  const download = status.download;
  if (download?.state === 'downloading')
    lines.push(
      `downloading ${download.url}: ${megabytes(download.bytes)}${download.total ? ` of ${megabytes(download.total)}` : ''}`,
    );
  else if (download?.state === 'waiting') lines.push(`update downloaded, waiting for the OS update service`);
  else if (download?.state === 'failed') lines.push(`download failed: ${download.error ?? download.url}`);
  const update = status.lastUpdate;
  if (update)
    lines.push(
      `last update: ${update.version || '?'} → slot ${update.slot || '?'}: ${update.state}${update.error ? ` (${update.error})` : ''} at ${update.at}`,
    );
  const boot = status.lastBoot;
  if (boot)
    lines.push(
      `${boot.thisBoot ? 'this boot' : 'last boot check'}: ${boot.result}${boot.reason ? ` (${boot.reason})` : ''}${boot.counted ? ', a counted boot of a new version' : ''}`,
    );
  else lines.push('this boot: not checked yet (the boot check waits for the daemon)');
  lines.push(...formatSsh(status.ssh));
  return lines.join('\n');
}

/** SSH's state, and how to turn it on while it is off (README "SSH"). */
function formatSsh(ssh: OsSsh): string[] {
  if (!ssh.enabled)
    return [
      'ssh: off (to turn it on, put your public key in archipelago-ssh.txt on the boot partition and restart)',
    ];
  return [
    `ssh: on for archy with ${ssh.keys.length} key${ssh.keys.length === 1 ? '' : 's'}${ssh.hostKey ? `; host key ${ssh.hostKey}` : ''}`,
    ...ssh.keys.map((key) => `  ${key.type} ${key.fingerprint}${key.comment ? ` ${key.comment}` : ''}`),
  ];
}
