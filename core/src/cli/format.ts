import type { AppHealth, AppStatus, AppTorStatus, PortBinding } from '../api/contract.js';
import { describeSync } from '../health/bitcoin-sync.js';
import { importedLine } from './imported-grants.js';

/** Bytes in decimal units, as image registries and `podman pull` show them. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '?';
  if (bytes < 1000) return `${Math.round(bytes)} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let value = bytes / 1000;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/** Columns padded to their widest cell, two spaces apart; the last column is not padded. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = [header, ...rows];
  const widths = header.map((_, column) => Math.max(...all.map((row) => (row[column] ?? '').length)));
  return all
    .map((row) =>
      row
        .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function formatPorts(ports: readonly PortBinding[]): string {
  if (ports.length === 0) return '-';
  return ports.map((port) => `${port.host}->${port.container}/${port.protocol}`).join(', ');
}

export function formatAppList(apps: readonly AppStatus[]): string {
  if (apps.length === 0)
    return 'no apps installed; install one with: archy install <id | path/to/manifest.yml>';
  return formatTable(
    ['ID', 'VERSION', 'STATE', 'HEALTH', 'PORTS'],
    apps.map((app) => [app.id, app.version, app.state, app.health, formatPorts(app.ports)]),
  );
}

/** `key: value` lines with the values aligned; entries without a value are left out. */
export function formatKeyValues(
  entries: readonly (readonly [string, string | number | undefined])[],
): string {
  const shown = entries.filter(
    (entry): entry is readonly [string, string | number] => entry[1] !== undefined,
  );
  const width = Math.max(...shown.map(([key]) => key.length)) + 1;
  return shown.map(([key, value]) => `${`${key}:`.padEnd(width)} ${value}`).join('\n');
}

export function formatAppStatus(app: AppStatus): string {
  const summary = formatKeyValues([
    ['id', app.id],
    ['name', app.name],
    ['version', app.version],
    ['state', app.state === app.desired ? app.state : `${app.state} (wanted ${app.desired})`],
    ['health', app.health],
    ['message', app.message],
    ['image', app.image],
    ['origin', app.origin && importedLine(app.origin)],
    [
      'adopted',
      app.adopted &&
        `runs on Parmanode data in place: ${Object.values(app.adopted.volumes).join(', ')} (give it back with archy parmanode release)`,
    ],
    [
      'chain',
      app.bitcoin &&
        `${app.bitcoin.network}, ${app.bitcoin.prune ? `pruned to ${app.bitcoin.prune} GB` : 'every block kept (not pruned)'}`,
    ],
    ['ports', formatPorts(app.ports)],
    [
      'container',
      app.containerId ? `${app.containerName} (${app.containerId.slice(0, 12)})` : app.containerName,
    ],
    ['installed', app.installedAt],
    ['started', app.startedAt],
    ['exit code', app.exitCode],
    ['restarts', app.restartCount],
    ['crash loop', app.crashLoop?.since],
  ]);
  const provenance = app.provenance ? `\n${formatProvenance(app.provenance, app.id)}` : '';
  // Mode and onions (README "Tor"), one line each under a heading, addresses whole.
  const tor = app.tor
    ? `\ntor:\n${formatTorLines(app.tor)
        .map((line) => `  ${line}`)
        .join('\n')}`
    : '';
  const lastLogs = app.crashLoop?.lastLogs ?? [];
  if (lastLogs.length === 0) return `${summary}${tor}${provenance}`;
  return `${summary}${tor}${provenance}\nlast output:\n${lastLogs.map((line) => `  ${line}`).join('\n')}`;
}

/** The Tor lines of `archy status` and `archy onion list`: mode, then one line per onion. */
export function formatTorLines(tor: AppTorStatus): string[] {
  const mode =
    tor.mode === 'tor'
      ? 'tor (its traffic goes through its own Tor)'
      : `clearnet${tor.default === 'tor' ? ' (switched off by you; archy config <id> --tor on)' : ''}`;
  return [
    `mode ${mode}${tor.sidecar && tor.sidecar !== 'running' ? `, its Tor is ${tor.sidecar}` : ''}`,
    ...tor.onions.map(
      (onion) =>
        `onion ${onion.name}: ${onion.address ? `${onion.address}:${onion.virtualPort}` : '(being created)'} → port ${onion.port}` +
        (onion.source === 'user'
          ? ''
          : ` (${onion.source === 'app' ? 'made by the app' : 'from the manifest'})`),
    ),
  ];
}

/**
 * Where an image this node built came from, in the words an operator checks: the official
 * tarball, its SHA-256, where it was fetched, who signed SHA256SUMS, the image ID and the SBOM.
 */
export function formatProvenance(provenance: NonNullable<AppStatus['provenance']>, appId: string): string {
  const { origin } = provenance;
  const rows: [string, string | number | undefined][] =
    origin.kind === 'release'
      ? [
          [
            'built here',
            `from the official ${origin.implementation === 'core' ? 'Bitcoin Core' : 'Bitcoin Knots'} release, ${provenance.builtAt}`,
          ],
          ['release', `${origin.tarball} (${origin.arch})`],
          ['sha256', origin.sha256],
          ['from', origin.source],
          [
            'signed by',
            `${origin.signers.length} of ${origin.threshold} needed: ${origin.signers.map((s) => `${s.userId} ${s.fingerprint}`).join('; ')}`,
          ],
        ]
      : [
          ['built here', `from the recipe in ${origin.manifestFile}, ${provenance.builtAt}`],
          ['inputs', `sha256 ${origin.inputsSha256}`],
        ];
  return formatKeyValues([
    ...rows,
    ['image id', provenance.imageId],
    ['sbom', `${provenance.sbom.format}, sha256 ${provenance.sbom.sha256} (archy status ${appId} --sbom)`],
  ]);
}

export function formatAppHealth(health: AppHealth): string {
  const summary = formatKeyValues([
    ['id', health.id],
    ['health', health.status],
    ['since', health.since],
    ['restarts', health.restartCount],
    ...(health.sync ? [['sync', `${describeSync(health.sync)} (as of ${health.sync.at})`] as const] : []),
  ]);
  if (health.probes.length === 0) return `${summary}\nprobes:   none yet`;
  const probes = formatTable(
    ['AT', 'RESULT', 'TIME', 'DETAIL'],
    health.probes.map((probe) => [
      probe.at,
      probe.ok ? 'ok' : 'failed',
      `${probe.durationMs} ms`,
      probe.detail,
    ]),
  );
  return `${summary}\n\n${probes}`;
}

/** One line after start/stop/restart/install: what state the app is in now. */
export function formatAppStateLine(app: AppStatus): string {
  const health = app.health === 'none' ? '' : `, health ${app.health}`;
  const message = app.message ? `: ${app.message}` : '';
  return `${app.id} ${app.version}: ${app.state}${health}${message}`;
}
