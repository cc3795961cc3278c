// The text `archy parmanode discover` prints: what was found, and what adoption would do per app.

import type { DiscoveryReport } from './discover.js';

export function formatDiscovery(report: DiscoveryReport): string {
  const lines: string[] = [];
  if (!report.parmanode) {
    lines.push(`no Parmanode install found in ${report.home} (no .parmanode/installed.conf)`);
  } else {
    const apps = report.installed.map((entry) =>
      entry.state === 'installed' ? entry.app : `${entry.app} (unfinished)`,
    );
    lines.push(`Parmanode in ${report.home}: ${apps.join(', ') || 'nothing installed'}`);
  }
  const bitcoin = report.bitcoin;
  if (bitcoin) {
    const name = bitcoin.implementation === 'knots' ? 'Bitcoin Knots' : 'Bitcoin Core';
    lines.push(
      `Bitcoin datadir: ${bitcoin.datadir} (${bitcoin.drive} drive${bitcoin.link ? `, linked from ${bitcoin.link}` : ''})`,
      `  ${bitcoin.version ? `${name} ${bitcoin.version} (last banner in debug.log)` : 'no version banner in debug.log'}, ` +
        `${bitcoin.network}, ${bitcoin.prune === 0 ? 'not pruned' : `prune=${bitcoin.prune} MiB`}, owner ${bitcoin.owner.uid}:${bitcoin.owner.gid}`,
      `  ${bitcoin.running ? `bitcoind is running (pid ${bitcoin.running.pid})` : 'no bitcoind is running on it'}`,
      ...bitcoin.notes.map((note) => `  note: ${note}`),
    );
  }
  if (report.systemd) {
    for (const unit of report.units.filter((u) => u.loaded)) {
      lines.push(
        `systemd: ${unit.unit} ${unit.active ? 'running' : 'stopped'}, ${unit.enabled ? 'enabled' : 'disabled'} at boot`,
      );
    }
  } else if (report.unitFiles.length > 0) {
    lines.push(`systemd is not running here; unit files present: ${report.unitFiles.join(', ')}`);
  }
  if (report.plan.length === 0) {
    lines.push('', 'Nothing to adopt: no Bitcoin datadir and no app Parmanode installed were found here.');
    return lines.join('\n');
  }
  lines.push('', 'What adoption would do:');
  for (const plan of report.plan) {
    const verb =
      plan.action === 'adopt'
        ? `adopt as ${plan.appId}`
        : plan.action === 'not-adopted'
          ? 'not adopted'
          : 'nothing to do';
    lines.push(`  ${plan.app}: ${verb} — ${plan.why}`);
    for (const dir of plan.action === 'adopt' ? [] : plan.dataDirs)
      lines.push(`    data left in place: ${dir}`);
  }
  return lines.join('\n');
}
