// `archy parmanode discover|adopt|release`: bring a Parmanode node's Bitcoin datadir under
// Archipelago in place, and give it back. Discovery runs here, in the CLI, as the user who owns the
// Parmanode home (parmanode/discover.ts); the daemon is asked to check (`package.adopt` with
// `check: true`) before the CLI stops anything on the host, and only after the user confirmed.

import { createInterface } from 'node:readline/promises';
import { homedir } from 'node:os';
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import type { AdoptResult, AppStatus, HostService, ReleaseResult } from '../../api/contract.js';
import {
  askBitcoindToStop,
  discoverParmanode,
  formatDiscovery,
  waitForExit,
  type DiscoveryReport,
} from '../../parmanode/index.js';
import { CliError } from '../cli-error.js';
import {
  addClientOptions,
  jsonOption,
  parseAppId,
  withDaemon,
  type ClientOptions,
} from '../client-options.js';
import { printJson, printText } from '../output.js';

/** bitcoind flushes its UTXO cache on shutdown: allow it time on a slow drive. */
const HOST_STOP_TIMEOUT_MS = 15 * 60_000;

interface AdoptOptions extends ClientOptions {
  home: string;
  yes?: boolean;
  version?: string;
  confirmDowngrade?: boolean;
  confirmResync?: string;
}

const homeOption = () =>
  new Option('--home <dir>', "the Parmanode user's home folder")
    .default(homedir())
    .argParser((dir) => resolve(dir));

/** Adds the `parmanode` group with discover/adopt/release, and returns it for the tools' commands. */
export function registerParmanodeCommands(program: Command): Command {
  const parmanode = program
    .command('parmanode')
    .description(
      'come over from Parmanode: discover and adopt its node in place, release it; convert its modules, run its scripts',
    );

  parmanode
    .command('discover')
    .description('show what Parmanode installed here and what adoption would do (changes nothing)')
    .addOption(homeOption())
    .addOption(jsonOption())
    .action(async (options: { home: string; json: boolean }) => {
      const report = await discoverParmanode(options.home);
      if (options.json) printJson(report);
      else printText(formatDiscovery(report));
    });

  addClientOptions(
    parmanode
      .command('adopt')
      .description("run Parmanode's Bitcoin node as an Archipelago app on its datadir, in place (no copy)")
      .addOption(homeOption())
      .addOption(new Option('--yes', 'confirm: stop and disable the host bitcoind and adopt its datadir'))
      .addOption(
        new Option(
          '--version <version>',
          'the catalog version to run (default: the datadir’s own, else the catalog default)',
        ),
      )
      .addOption(
        new Option(
          '--confirm-downgrade',
          'accept running an older version than the one that wrote the datadir',
        ),
      )
      .addOption(
        new Option('--confirm-resync <id>', 'accept a full re-download of the chain (type the app id)'),
      ),
  ).action(async (options: AdoptOptions) => {
    const result = await adopt(options);
    if (options.json) printJson(result);
    else printText(formatAdopted(result));
  });

  addClientOptions(
    parmanode
      .command('release')
      .description('remove an adopted app and give its data back to you, where it is')
      .argument('[id]', 'the adopted app (default: the one adopted)', parseAppId)
      .addOption(new Option('--yes', 'confirm: the app is removed (its data stays)')),
  ).action(async (id: string | undefined, options: ClientOptions & { yes?: boolean }) => {
    const result = await release(id, options);
    if (options.json) printJson(result);
    else printText(formatReleased(result));
  });
  return parmanode;
}

async function adopt(
  options: AdoptOptions,
): Promise<AdoptResult & { status?: AppStatus; stopped: HostService[] }> {
  const report = await discoverParmanode(options.home);
  const plan = report.plan.find((entry) => entry.action === 'adopt');
  const bitcoin = report.bitcoin;
  if (!plan || !bitcoin || !plan.appId) {
    throw new CliError(
      `nothing to adopt in ${options.home}: ${report.plan.find((p) => p.app === 'bitcoin')?.why ?? 'no Bitcoin install in .parmanode/installed.conf'}`,
    );
  }
  const id = plan.appId;
  const network = bitcoin.network;
  if (network === 'testnet') {
    throw new CliError(
      `${bitcoin.datadir} follows testnet3, which Archipelago does not run (mainnet, testnet4, signet, regtest); nothing was changed`,
    );
  }
  const request = {
    id,
    ...(options.version !== undefined && { version: options.version }),
    volumes: { bitcoin: bitcoin.datadir },
    source: { kind: 'parmanode' as const, home: options.home, entry: 'bitcoin' },
    network,
    ...(options.confirmDowngrade && { confirmDowngrade: true }),
    ...(options.confirmResync !== undefined && { confirmResync: options.confirmResync }),
  };
  return withDaemon(options, async (client) => {
    // Everything the daemon would refuse is refused now, while the host node still runs.
    const checked = await client.call('package.adopt', { ...request, check: true });
    const units = report.units.filter(
      (unit) => unit.app === 'bitcoin' && unit.loaded && (unit.active || unit.enabled),
    );
    const steps = [
      ...units.map((unit) => `stop and disable ${unit.unit} (systemctl disable --now)`),
      ...(units.length === 0 && bitcoin.running
        ? [`stop the bitcoind running on it (pid ${bitcoin.running.pid}) over RPC`]
        : []),
      `install ${id} ${checked.version} on ${bitcoin.datadir} in place; while it runs the folder belongs to the app's user`,
      ...(checked.warning !== undefined ? [`note: ${checked.warning}`] : []),
    ];
    await confirm(options.yes, `Adopting will:\n${steps.map((step) => `  - ${step}`).join('\n')}`);
    const stopped = await stopHostBitcoind(
      report,
      units.map((unit) => unit.unit),
    );
    const adopted = await client.call('package.adopt', { ...request, hostServices: stopped });
    return { ...adopted, stopped };
  });
}

/** Stops what runs on the datadir: its systemd unit (needs root) or the bare process (over RPC). */
async function stopHostBitcoind(report: DiscoveryReport, units: string[]): Promise<HostService[]> {
  const bitcoin = report.bitcoin!;
  if (units.length > 0) {
    if (process.getuid?.() !== 0) {
      throw new CliError(
        `${units.join(', ')} is a systemd unit, and disabling it needs root; nothing was changed. Run: ` +
          `sudo systemctl disable --now ${units.join(' ')} — then 'archy parmanode adopt' again`,
      );
    }
    const { execFile } = await import('node:child_process');
    const { promisify } = await import('node:util');
    await promisify(execFile)('systemctl', ['disable', '--now', ...units], { timeout: HOST_STOP_TIMEOUT_MS });
    return units.map((name) => ({ kind: 'systemd', name }));
  }
  if (!bitcoin.running) return [];
  await askBitcoindToStop(bitcoin.datadir, bitcoin.network, bitcoin.running.pid);
  if (!(await waitForExit(bitcoin.running.pid, HOST_STOP_TIMEOUT_MS))) {
    throw new CliError(
      `the bitcoind on ${bitcoin.datadir} (pid ${bitcoin.running.pid}) was asked to stop but still runs; nothing was adopted. Wait for it to exit and adopt again`,
    );
  }
  return [{ kind: 'process', name: `bitcoind -datadir=${bitcoin.datadir}` }];
}

async function release(
  id: string | undefined,
  options: ClientOptions & { yes?: boolean },
): Promise<ReleaseResult & { restart: string[] }> {
  return withDaemon(options, async (client) => {
    const adopted = (await client.call('container-list', {})).filter((app) => app.adopted);
    const target = id ?? (adopted.length === 1 ? adopted[0]!.id : undefined);
    if (target === undefined) {
      throw new CliError(
        adopted.length === 0
          ? 'no app runs on adopted data'
          : `several apps run on adopted data (${adopted.map((a) => a.id).join(', ')}); name the one to release`,
      );
    }
    await confirm(
      options.yes,
      `Releasing ${target} removes the app; its data stays where it is and is yours again.`,
    );
    const result = await client.call('package.release', { id: target });
    return { ...result, restart: await restartHostServices(result.hostServices) };
  });
}

/** Brings back the units adopt disabled (root), else says how; a bare process is the user's to start. */
async function restartHostServices(services: readonly HostService[]): Promise<string[]> {
  const units = services.filter((service) => service.kind === 'systemd').map((service) => service.name);
  const notes: string[] = [];
  if (units.length > 0) {
    if (process.getuid?.() === 0) {
      const { execFile } = await import('node:child_process');
      const { promisify } = await import('node:util');
      await promisify(execFile)('systemctl', ['enable', '--now', ...units], { timeout: 120_000 });
      notes.push(`enabled and started again: ${units.join(', ')}`);
    } else {
      notes.push(`to run it on the host again: sudo systemctl enable --now ${units.join(' ')}`);
    }
  }
  for (const service of services.filter((s) => s.kind === 'process')) {
    notes.push(
      `it ran on the host as '${service.name}' before adoption; start it again from Parmanode's menu if you want`,
    );
  }
  return notes;
}

async function confirm(yes: boolean | undefined, what: string): Promise<void> {
  if (yes) return;
  if (!process.stdin.isTTY) {
    throw new CliError(`${what.split('\n').join(' ')} — add --yes to confirm; nothing was changed`);
  }
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await prompt.question(`${what}\nType yes to go ahead: `);
    if (answer.trim().toLowerCase() !== 'yes') throw new CliError('not confirmed; nothing was changed');
  } finally {
    prompt.close();
  }
}

function formatAdopted(result: AdoptResult & { status?: AppStatus; stopped: HostService[] }): string {
  const lines = [
    `adopted ${Object.values(result.volumes).join(', ')} as ${result.id} ${result.version} (in place, no copy)`,
    ...result.stopped.map((service) => `stopped on the host: ${service.name}`),
  ];
  if (result.status) lines.push(`${result.id}: ${result.status.state}, ${result.status.health}`);
  if (result.warning) lines.push(`note: ${result.warning}`);
  lines.push(`give it back any time with: archy parmanode release ${result.id}`);
  return lines.join('\n');
}

function formatReleased(result: ReleaseResult & { restart: string[] }): string {
  return [
    `released ${result.id}: ${Object.values(result.volumes).join(', ')} is where it was, owned by ${result.owner.uid}:${result.owner.gid} again`,
    ...result.restart,
  ].join('\n');
}
