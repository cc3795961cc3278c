// Versions, catalog and updates: `archy catalog`, `archy versions <id>`, `archy config <id>`,
// `archy set-version <id> <version>`, `archy update <id>`, `archy switch <from> <to>`.

import { InvalidArgumentError, Option, type Command } from 'commander';
import {
  MIN_PRUNE_GB,
  type AppVersionsReport,
  type CatalogStatusReport,
  type VersionChangePlanReport,
  type VersionChangeResult,
} from '../../api/contract.js';
import { addGuardOptions, guardParams, type GuardConfirmations } from '../guard-options.js';
import { CliError } from '../cli-error.js';
import { addClientOptions, parseAppId, withDaemon, type ClientOptions } from '../client-options.js';
import { formatAppStateLine, formatKeyValues, formatTable } from '../format.js';
import { printJson, printText } from '../output.js';

export function registerVersionCommands(program: Command): void {
  addClientOptions(
    program.command('catalog').description('show the signed catalog this node uses: age, expiry, versions'),
  ).action(async (options: ClientOptions) => {
    const status = await withDaemon(options, (client) => client.call('catalog.status', {}));
    if (options.json) printJson(status);
    else printText(formatCatalogStatus(status));
  });

  addClientOptions(
    program
      .command('versions')
      .description('list the versions the catalog offers for an app (never floating tags such as latest)')
      .argument('<id>', 'the app id', parseAppId),
  ).action(async (id: string, options: ClientOptions) => {
    const report = await withDaemon(options, (client) => client.call('package.versions', { id }));
    if (options.json) printJson(report);
    else printText(formatVersions(report));
  });

  addClientOptions(
    program
      .command('config')
      .description(
        "pin an app's version, turn auto-update on/off (off by default), or change a Bitcoin node's pruning",
      )
      .argument('<id>', 'the app id', parseAppId)
      .addOption(new Option('--pin <version>', 'stay on this version: no update badge, no auto-update'))
      .addOption(new Option('--unpin', 'remove the pin').conflicts('pin'))
      .addOption(
        new Option('--auto-update <on|off>', 'update to the catalog default when it changes').argParser(
          onOff,
        ),
      )
      .addOption(
        new Option(
          '--prune <GB|off>',
          'a Bitcoin node keeps only the last GB of blocks (restarts it); off re-downloads the whole chain',
        ).argParser(parsePrune),
      )
      .addOption(
        new Option(
          '--tor <on|off|default>',
          "an app with Tor: on routes its traffic through its own Tor, off is clearnet, default the manifest's (recreates it)",
        ).argParser(parseTorSwitch),
      )
      .addOption(
        new Option(
          '--confirm-resync <id>',
          'accept a full re-download (turning pruning off): type the app id',
        ),
      ),
  ).action(
    async (
      id: string,
      options: ClientOptions & {
        pin?: string;
        unpin?: boolean;
        autoUpdate?: boolean;
        prune?: number;
        confirmResync?: string;
        tor?: 'tor' | 'clearnet' | null;
      },
    ) => {
      if (
        options.pin === undefined &&
        !options.unpin &&
        options.autoUpdate === undefined &&
        options.prune === undefined &&
        options.tor === undefined
      ) {
        throw new CliError(
          `say what to change: archy config ${id} [--pin V | --unpin] [--auto-update on|off] [--prune GB|off] [--tor on|off]`,
        );
      }
      const config = await withDaemon(options, (client) =>
        client.call(
          'package.set-config',
          {
            id,
            ...(options.pin !== undefined && { pinnedVersion: options.pin }),
            ...(options.unpin && { pinnedVersion: null }),
            ...(options.autoUpdate !== undefined && { autoUpdate: options.autoUpdate }),
            ...(options.prune !== undefined && { prune: options.prune }),
            ...(options.confirmResync !== undefined && { confirmResync: options.confirmResync }),
            ...(options.tor !== undefined && { tor: options.tor }),
          },
          // A prune or Tor change stops and restarts the app, which may take minutes to flush.
          { noTimeout: options.prune !== undefined || options.tor !== undefined },
        ),
      );
      if (options.json) printJson(config);
      else
        printText(
          `${config.id}: ${config.pinnedVersion !== undefined ? `pinned to ${config.pinnedVersion}` : 'not pinned'}, ` +
            `auto-update ${config.autoUpdate ? 'on' : 'off'}` +
            (config.prune !== undefined ? `, pruning to ${config.prune} GB` : '') +
            (config.torChange ? `, Tor ${config.torChange.mode === 'tor' ? 'on' : 'off (clearnet)'}` : '') +
            (config.message ? `\n${config.message}` : ''),
        );
    },
  );

  addClientOptions(
    addGuardOptions(
      program
        .command('set-version')
        .description(
          "change an app's version, keeping its data, secrets and ports (restores the old one on failure)",
        )
        .argument('<id>', 'the app id', parseAppId)
        .argument('<version>', 'a version from: archy versions <id>')
        .addOption(dryRunOption()),
    ),
  ).action(async (id: string, version: string, options: ClientOptions & GuardConfirmations & DryRun) => {
    const params = { id, version, ...guardParams(options) };
    if (options.dryRun) {
      const plan = await withDaemon(options, (client) =>
        client.call('package.plan-version-change', { op: 'set-version', ...params }),
      );
      if (options.json) printJson(plan);
      else printText(formatPlan(plan));
      return;
    }
    const result = await withDaemon(options, (client) =>
      client.call('package.set-version', params, { noTimeout: true }),
    );
    if (options.json) printJson(result);
    else printText(formatChange(result));
  });

  addClientOptions(
    program
      .command('update')
      .description("update an app to the catalog's default version (refused when pinned)")
      .argument('<id>', 'the app id', parseAppId),
  ).action(async (id: string, options: ClientOptions) => {
    const result = await withDaemon(options, (client) =>
      client.call('package.update', { id }, { noTimeout: true }),
    );
    if (options.json) printJson(result);
    else printText(formatChange(result));
  });

  addClientOptions(
    addGuardOptions(
      program
        .command('switch')
        .description('switch a Bitcoin node between Core and Knots, reusing its datadir (never both running)')
        .argument('<from>', 'the installed node, e.g. bitcoin-core', parseAppId)
        .argument('<to>', 'the other implementation, e.g. bitcoin-knots', parseAppId)
        .addOption(new Option('--version <version>', "the target's version (default: the catalog default)"))
        .addOption(new Option('--confirm-switch', 'confirm the switch of implementation'))
        .addOption(dryRunOption()),
      'the target app id',
    ),
  ).action(
    async (
      from: string,
      to: string,
      options: ClientOptions & GuardConfirmations & DryRun & { version?: string; confirmSwitch?: boolean },
    ) => {
      const params = {
        from,
        to,
        ...(options.version !== undefined && { version: options.version }),
        ...(options.confirmSwitch && { confirmSwitch: true }),
        ...guardParams(options),
      };
      if (options.dryRun) {
        const plan = await withDaemon(options, (client) =>
          client.call('package.plan-version-change', { op: 'switch-implementation', ...params }),
        );
        if (options.json) printJson(plan);
        else printText(formatPlan(plan));
        return;
      }
      const result = await withDaemon(options, (client) =>
        client.call('package.switch-implementation', params, { noTimeout: true }),
      );
      if (options.json) printJson(result);
      else printText(formatChange(result));
    },
  );
}

interface DryRun {
  dryRun?: boolean;
}

const dryRunOption = (): Option =>
  new Option('--dry-run', "show the daemon's plan (direction, confirmations, reindex) and change nothing");

/**
 * A dry run's plan. It exits 0 whether or not the change would go ahead: the plan is the answer;
 * `would go ahead: no` and the refusal say what the real call would refuse.
 */
export function formatPlan(plan: VersionChangePlanReport): string {
  const change =
    plan.from.id === plan.to.id
      ? `${plan.to.id}: ${plan.from.display} → ${plan.to.display}`
      : `${plan.from.id} ${plan.from.display} → ${plan.to.id} ${plan.to.display}`;
  const flags = [
    plan.confirm.confirmSwitch && '--confirm-switch',
    plan.confirm.confirmDowngrade && '--confirm-downgrade',
    plan.confirm.confirmResync !== undefined && `--confirm-resync ${plan.confirm.confirmResync}`,
  ].filter(Boolean);
  const lines = [
    `${change} (dry run: nothing was changed)`,
    formatKeyValues([
      ['direction', plan.direction],
      ['image', plan.to.image],
      ['would go ahead', plan.allowed ? 'yes' : 'no'],
      [
        'needs',
        !plan.confirmable
          ? 'refused whatever is confirmed'
          : flags.length > 0
            ? `${plan.needs} (${flags.join(' ')})`
            : plan.needs,
      ],
      ['reindex', plan.reindex],
      ['first start with', plan.startArgs.length > 0 ? plan.startArgs.join(' ') : undefined],
      [
        'datadir written by',
        plan.datadirVersion &&
          `${plan.datadirVersion.implementation} ${plan.datadirVersion.version} (${plan.datadirVersion.evidence})`,
      ],
    ]),
  ];
  for (const reason of plan.reasons) lines.push(`rule ${reason.rule} (${reason.effect}): ${reason.reason}`);
  if (plan.warning) lines.push(plan.warning);
  if (plan.refusal && plan.refusal !== plan.warning) lines.push(`refused as asked: ${plan.refusal}`);
  return lines.join('\n');
}

/** `--prune 10` (GB) or `--prune off` (0). */
export function parsePrune(value: string): number {
  if (/^(off|no|0)$/i.test(value)) return 0;
  if (!/^\d+$/.test(value) || Number(value) < MIN_PRUNE_GB)
    throw new InvalidArgumentError(`expected a whole number of GB (at least ${MIN_PRUNE_GB}) or 'off'`);
  return Number(value);
}

/** `--tor on|off|default` → the RPC's 'tor' | 'clearnet' | null. */
export function parseTorSwitch(value: string): 'tor' | 'clearnet' | null {
  if (value === 'on' || value === 'tor') return 'tor';
  if (value === 'off' || value === 'clearnet') return 'clearnet';
  if (value === 'default') return null;
  throw new InvalidArgumentError("expected on, off or default (the manifest's own)");
}

function onOff(value: string): boolean {
  if (value === 'on') return true;
  if (value === 'off') return false;
  throw new InvalidArgumentError("expected 'on' or 'off'");
}

export function formatCatalogStatus(status: CatalogStatusReport): string {
  const age =
    status.ageSeconds === undefined ? 'bundled with the software' : `${formatAge(status.ageSeconds)} old`;
  const summary = formatKeyValues([
    ['source', status.source],
    ['version', status.metadataVersion],
    ['root', status.rootVersion],
    ['age', age],
    [
      'expires',
      `${status.expires}${status.expired ? ' (EXPIRED: auto-updates are paused until a fresh signed catalog arrives)' : ''}`,
    ],
    ['refresh', status.refreshUrl ?? 'off (no ARCHY_CATALOG_URL)'],
    [
      'last refresh',
      status.lastRefresh
        ? `${status.lastRefresh.at} ${status.lastRefresh.ok ? 'ok' : `FAILED: ${status.lastRefresh.error ?? 'unknown'}`}`
        : undefined,
    ],
  ]);
  const apps = formatTable(
    ['APP', 'DEFAULT', 'VERSIONS'],
    status.apps.map((app) => [app.id, app.defaultVersion, app.versions.join(', ')]),
  );
  return `${summary}\n\n${apps}`;
}

export function formatVersions(report: AppVersionsReport): string {
  const rows = report.versions.map((version) => [
    version.version,
    version.display === version.version ? '' : version.display,
    [
      version.default ? 'default' : '',
      version.installed ? 'installed' : '',
      version.deprecated ? 'deprecated' : '',
      version.eol !== undefined ? `eol ${version.eol}` : '',
    ]
      .filter(Boolean)
      .join(', '),
    version.notes ?? '',
  ]);
  const lines = [formatTable(['VERSION', 'SHOWN AS', 'STATUS', 'NOTES'], rows)];
  if (report.update) lines.push(`update available: ${report.update.display} (archy update ${report.id})`);
  if (report.pinnedVersion !== undefined)
    lines.push(`pinned to ${report.pinnedVersion}: updates are suppressed`);
  lines.push(`auto-update ${report.autoUpdate ? 'on' : 'off'}`);
  return lines.join('\n');
}

function formatChange(result: VersionChangeResult): string {
  const what =
    result.from.id === result.to.id
      ? result.from.version === result.to.version
        ? `${result.to.id} already runs ${result.to.version}`
        : `${result.to.id}: ${result.from.version} → ${result.to.version}`
      : `${result.from.id} ${result.from.version} → ${result.to.id} ${result.to.version}`;
  const lines = [what, formatAppStateLine(result.status)];
  if (result.startArgs) lines.push(`first start with: ${result.startArgs.join(' ')}`);
  if (result.warning) lines.push(result.warning);
  if (result.progress) lines.push(result.progress);
  return lines.join('\n');
}

function formatAge(seconds: number): string {
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86_400)} days`;
}
