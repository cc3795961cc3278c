// `archy install --with interface=app` and the text of `archy install --dry-run`: the plan the
// daemon would follow, and for each open choice the exact commands that make it.

import { InvalidArgumentError } from 'commander';
import type { InstallPlanView } from '../api/contract.js';
import { APP_ID_PATTERN } from '../util/app-id.js';
import { formatTable } from './format.js';
import { formatGrants } from './imported-grants.js';

/** Parses one `--with bitcoin-node=bitcoin-knots` into the choices so far (commander's repeatable option). */
export function parseWith(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const match = /^([^=]+)=(.+)$/.exec(value);
  const [name, app] = match ? [match[1]!.trim(), match[2]!.trim()] : ['', ''];
  if (!APP_ID_PATTERN.test(name) || !APP_ID_PATTERN.test(app)) {
    throw new InvalidArgumentError(
      "expected <interface>=<app id>, e.g. 'bitcoin-node=bitcoin-knots' (see the choices in: archy install <id> --dry-run)",
    );
  }
  if (previous[name] !== undefined && previous[name] !== app) {
    throw new InvalidArgumentError(`'${name}' is chosen twice (${previous[name]} and ${app}); choose one`);
  }
  return { ...previous, [name]: app };
}

/** The install command as the user gave it, for the commands a plan suggests. */
export interface InstallCommand {
  id: string;
  version?: string;
  choices: Record<string, string>;
}

const commandLine = (command: InstallCommand, extra: Record<string, string> = {}): string =>
  [
    `archy install ${command.id}`,
    ...(command.version !== undefined ? [`--version ${command.version}`] : []),
    ...Object.entries({ ...command.choices, ...extra }).map(([name, app]) => `--with ${name}=${app}`),
  ].join(' ');

export function formatInstallPlan(plan: InstallPlanView, command: InstallCommand): string {
  const lines = [`install ${plan.id} (dry run: nothing was changed)`];
  lines.push(
    formatTable(
      ['STEP', 'APP', 'VERSION', 'WHY'],
      plan.steps.map((step) => [step.action, `${step.app} (${step.name})`, step.version, step.why]),
    ),
  );
  for (const login of plan.credentials) {
    const methods = login.methods ? `, limited to: ${login.methods.join(', ')}` : '';
    lines.push(
      `login: ${login.dependent} gets its own ${login.interface} login to ${login.provider}${methods}`,
    );
  }
  for (const choice of plan.choices) {
    const names = choice.candidates.map((candidate) => `${candidate.id} (${candidate.name})`).join(', ');
    if (choice.chosen !== undefined) {
      lines.push(`choice: ${choice.interface} for ${choice.dependent}: ${choice.chosen} (from ${names})`);
      continue;
    }
    lines.push(
      `choice needed: ${choice.dependent} needs ${choice.interface}, which ${names} provide; run one of:`,
    );
    for (const candidate of choice.candidates) {
      lines.push(`  ${commandLine(command, { [choice.interface]: candidate.id })}`);
    }
  }
  // Older daemons send no grants.
  if (plan.grants) lines.push(formatGrants(plan.grants));
  if (plan.grants?.origin) lines.push(`installing it needs your confirmation (or --accept-imported)`);
  lines.push(`would go ahead: ${plan.ready ? 'yes' : 'no, a choice is needed'}`);
  return lines.join('\n');
}
