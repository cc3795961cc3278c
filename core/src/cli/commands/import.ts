// `archy import umbrel`: converts Umbrel apps into Archipelago manifests on this machine, no
// daemon needed. One app folder → a manifest (stdout or --out), warnings on stderr; a store
// checkout with --report → a table (or --json) of what converts, with warnings, or is refused.

import { mkdir, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { CliError } from '../cli-error.js';
import { jsonOption } from '../client-options.js';
import { printJson, printText } from '../output.js';

interface ImportOptions {
  out?: string;
  report: boolean;
  json: boolean;
}

export function registerImportCommands(program: Command): void {
  const command = program
    .command('import')
    .description('convert apps of other node systems into Archipelago manifests');
  command
    .command('umbrel')
    .description(
      'convert an Umbrel app folder into a manifest (stdout, or --out FILE); with --report, every app of a store checkout (getumbrel/umbrel-apps)',
    )
    .argument(
      '<dir>',
      "an Umbrel app's folder (umbrel-app.yml, docker-compose.yml), or a store checkout with --report",
    )
    .option(
      '--out <path>',
      'write the manifest to this file, and the files an app ships to seed/ beside it (with --report: DIR/<id>/manifest.yml and DIR/<id>/seed/ for each converted app)',
    )
    .option('--report', 'convert every <dir>/*/umbrel-app.yml and print what converts and why not', false)
    .addOption(jsonOption())
    .action(async (dir: string, options: ImportOptions) => {
      await assertFolder(dir);
      if (options.report) await runReport(dir, options);
      else await runOne(dir, options);
    });
}

async function assertFolder(dir: string): Promise<void> {
  try {
    if ((await stat(dir)).isDirectory()) return;
  } catch {
    throw new CliError(
      `${dir} does not exist; name an Umbrel app's folder, or a store checkout with --report`,
    );
  }
  throw new CliError(`${dir} is not a folder; name an Umbrel app's folder (the one holding umbrel-app.yml)`);
}

async function runOne(dir: string, options: ImportOptions): Promise<void> {
  const { convertUmbrelAppFolder, writeSeeds } = await import('../../import/umbrel/index.js');
  const conversion = await convertUmbrelAppFolder(dir);
  if (conversion.seeds && options.out === undefined) {
    const folders = conversion.seeds.map((seed) => seed.from || '.').join(', ');
    throw new CliError(
      `${conversion.id} ships files its volumes start with (${folders} in ${dir}); write it with --out FILE, which copies them beside the manifest (seed/<volume>/)`,
    );
  }
  if (options.json) printJson(conversion);
  if (conversion.status === 'refused') {
    const lines = conversion.reasons.map((reason) => `  ${reason.code}: ${reason.message}`);
    throw new CliError(options.json ? '' : `archy: ${conversion.id} is not converted:\n${lines.join('\n')}`, {
      preformatted: true,
    });
  }
  for (const warning of conversion.warnings)
    process.stderr.write(`warning ${warning.code}: ${warning.message}\n`);
  if (options.out !== undefined) {
    await writeSeeds(conversion, dirname(resolve(options.out)));
    await writeFile(options.out, conversion.manifest!, 'utf8');
    process.stderr.write(
      `wrote ${options.out}; review it, then: archy install ${options.out} --accept-imported\n`,
    );
  } else if (!options.json) printText(conversion.manifest!);
}

async function runReport(dir: string, options: ImportOptions): Promise<void> {
  const { convertUmbrelStore, formatReport, summarize, writeSeeds } =
    await import('../../import/umbrel/index.js');
  const conversions = await convertUmbrelStore(dir);
  if (conversions.length === 0)
    throw new CliError(
      `${dir} holds no app folder with an umbrel-app.yml; name a checkout of getumbrel/umbrel-apps`,
    );
  if (options.out !== undefined) {
    for (const conversion of conversions) {
      if (conversion.manifest === undefined) continue;
      await mkdir(join(options.out, conversion.id), { recursive: true });
      await writeSeeds(conversion, join(options.out, conversion.id));
      await writeFile(join(options.out, conversion.id, 'manifest.yml'), conversion.manifest, 'utf8');
    }
  }
  const report = summarize(conversions);
  if (options.json) printJson(report);
  else printText(formatReport(report));
}
