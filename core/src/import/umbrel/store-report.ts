// A whole Umbrel store checkout converted app by app: what came over, what came over with
// warnings, what was refused and why — the JSON of `archy import umbrel <dir> --report --json`
// and its table.

import type { Conversion } from './convert.js';
import type { RefusalCode } from './findings.js';

export interface StoreReport {
  apps: Array<Omit<Conversion, 'manifest' | 'seeds' | 'folder'>>;
  counts: { converted: number; warnings: number; refused: number };
  /** Refused apps per reason code (an app refused for two reasons counts under both). */
  reasons: Partial<Record<RefusalCode, number>>;
}

export function summarize(conversions: readonly Conversion[]): StoreReport {
  const counts = { converted: 0, warnings: 0, refused: 0 };
  const reasons: Partial<Record<RefusalCode, number>> = {};
  const apps = [...conversions]
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map(({ id, status, reasons: refusals, warnings }) => {
      counts[status] += 1;
      for (const code of new Set(refusals.map((reason) => reason.code)))
        reasons[code] = (reasons[code] ?? 0) + 1;
      return { id, status, reasons: refusals, warnings };
    });
  const sorted = Object.fromEntries(
    Object.entries(reasons).sort(([, a], [, b]) => b - a),
  ) as StoreReport['reasons'];
  return { apps, counts, reasons: sorted };
}

/** The report as text: one line per app (refused ones with their reasons), then the counts. */
export function formatReport(report: StoreReport): string {
  const width = Math.max(4, ...report.apps.map((app) => app.id.length));
  const lines = [`${'APP'.padEnd(width)}  STATUS     DETAILS`];
  for (const app of report.apps) {
    const details =
      app.status === 'refused'
        ? app.reasons.map((reason) => `${reason.code}: ${reason.message}`)
        : app.warnings.length > 0
          ? [`warnings: ${[...new Set(app.warnings.map((warning) => warning.code))].join(', ')}`]
          : [];
    const status = app.status === 'warnings' ? 'warnings' : app.status;
    lines.push(`${app.id.padEnd(width)}  ${status.padEnd(9)}  ${details[0] ?? ''}`);
    for (const more of details.slice(1)) lines.push(`${''.padEnd(width)}  ${''.padEnd(9)}  ${more}`);
  }
  const { converted, warnings, refused } = report.counts;
  lines.push('');
  lines.push(
    `${converted + warnings + refused} apps: ${converted} converted, ${warnings} converted with warnings, ${refused} refused`,
  );
  const reasons = Object.entries(report.reasons);
  if (reasons.length > 0)
    lines.push(`refused apps per reason: ${reasons.map(([code, count]) => `${code} ${count}`).join(', ')}`);
  return `${lines.join('\n')}\n`;
}
