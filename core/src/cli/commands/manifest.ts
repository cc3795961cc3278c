import type { Command } from 'commander';
import { CliError } from '../cli-error.js';
import { jsonOption } from '../client-options.js';
import { InvalidManifestError, readLocalManifest } from '../local-manifest.js';
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
        const { id, version } = await readLocalManifest(file);
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
