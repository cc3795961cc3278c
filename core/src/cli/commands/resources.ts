import type { Command } from 'commander';
import type { AppUsage, ResourcesReport } from '../../api/contract.js';
import { formatByteSize as size } from '../../resources/byte-size.js';
import { addClientOptions, withDaemon, type ClientOptions } from '../client-options.js';
import { formatTable } from '../format.js';
import { printJson, printText } from '../output.js';

/** `archy resources`: what the host has, what apps claim, and what each uses now. */
export function registerResourcesCommand(program: Command): void {
  addClientOptions(
    program
      .command('resources')
      .description("show the host's capacity, the install budget and each app's CPU, memory and disk"),
  ).action(async (options: ClientOptions) => {
    const report = await withDaemon(options, (client) => client.call('resources', {}));
    if (options.json) printJson(report);
    else printText(formatResourcesReport(report));
  });
}

export function formatResourcesReport(report: ResourcesReport): string {
  const { capacity, budget, allocated } = report;
  const { disk, enforcement } = capacity;
  const lines = [
    `host:   ${capacity.cpus} CPU${capacity.cpus === 1 ? '' : 's'}, ${size(capacity.memoryBytes)} RAM ` +
      `(${size(capacity.memoryAvailableBytes)} available), ${size(disk.freeBytes)} free of ` +
      `${size(disk.totalBytes)} on ${disk.path}`,
    `budget: ${size(allocated.memoryBytes)} of ${size(budget.memoryBudgetBytes)} memory reserved ` +
      `(${Math.round(budget.memoryShare * 100)}% of RAM); ${size(allocated.diskMinBytes)} minimum disk declared, ` +
      `${size(budget.diskReserveBytes)} kept free`,
    `limits: ${formatEnforcement(enforcement)}`,
    '',
  ];
  if (report.apps.length === 0) {
    lines.push('no apps installed');
    return lines.join('\n');
  }
  lines.push(
    formatTable(
      ['ID', 'CPU', 'MEM', 'LIMIT', 'DISK'],
      report.apps.map((app) => [
        app.id,
        app.cpuPercent === undefined ? '-' : `${app.cpuPercent.toFixed(1)}%`,
        app.memoryBytes === undefined ? '-' : size(app.memoryBytes),
        app.memoryLimitBytes === undefined ? '-' : size(app.memoryLimitBytes),
        formatDisk(app),
      ]),
    ),
  );
  if (report.apps.some((app) => app.diskPartial)) {
    lines.push(
      "+ part of the data dir could not be read (owned by the container's user): at least this much",
    );
  }
  return lines.join('\n');
}

function formatEnforcement(enforcement: ResourcesReport['capacity']['enforcement']): string {
  const kinds = (['memory', 'cpu', 'pids'] as const).filter((kind) => enforcement[kind]);
  if (kinds.length === 3) return `memory, cpu and pids limits enforced (cgroup ${enforcement.cgroupVersion})`;
  const enforced = kinds.length === 0 ? 'not enforced' : `only ${kinds.join(', ')} enforced`;
  return enforcement.reason ? `${enforced}: ${enforcement.reason}` : enforced;
}

const formatDisk = (app: AppUsage): string => `${size(app.diskBytes)}${app.diskPartial ? '+' : ''}`;
