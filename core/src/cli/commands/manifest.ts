import type { Command } from 'commander';
import { CliError } from '../cli-error.js';
import { jsonOption } from '../client-options.js';
import { InvalidManifestError, readLocalManifest } from '../local-manifest.js';
import { bundledAppIds } from '../bundled-apps.js';
import { printJson, printText } from '../output.js';

/** `archy manifest lint <file>`: checks a manifest on this machine; no daemon needed. */
export function registerManifestCommands(program: Command): void {
  const manifest = program.command('manifest').description('work with app manifests');
  manifest
    .command('lint')
    .description('check a manifest and print every problem with file:line:col')
    .argument('<file>', 'the manifest.yml to check')
    .addOption(jsonOption())
    .action(async (file: string, options: { json: boolean }) => {
      try {
        const { id, version, provides } = await readLocalManifest(file);
        await assertProvidesNoBundledApp(file, { id, provides });
        if (options.json) printJson({ ok: true, file, id, version });
        else printText(`ok: ${id} ${version}`);
      } catch (error) {
        if (!(error instanceof InvalidManifestError) || !options.json) throw error;
        printJson({ ok: false, file, issues: error.issues });
        // Nothing more to say on stderr: the JSON on stdout is the report; the exit code says it failed.
        throw new CliError('', { preformatted: true });
      }
    });
}

/**
 * `provides` may not name an app id: lint knows the bundled apps (the daemon also refuses the
 * catalog's and the installed ones at install).
 */
async function assertProvidesNoBundledApp(
  file: string,
  manifest: { id: string; provides: string[] },
): Promise<void> {
  const { providedAppIds } = await import('../../resolver/index.js');
  const taken = providedAppIds(manifest, await bundledAppIds());
  if (taken.length === 0) return;
  const { formatIssues } = await import('../../manifest/index.js');
  const issues = taken.map((name) => ({
    file,
    line: 0,
    col: 0,
    path: `provides[${manifest.provides.indexOf(name)}]`,
    message: `'${name}' is the id of a bundled app; an app may provide interfaces, never another app's id (it would answer for '${name}')`,
  }));
  throw new InvalidManifestError(issues, formatIssues(issues), undefined);
}
