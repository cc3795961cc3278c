import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { describeFailure } from './cli-error.js';
import { registerAppCommands } from './commands/apps.js';
import { registerDaemonCommand } from './commands/daemon.js';
import { registerImageCommands } from './commands/image.js';
import { registerImportCommands } from './commands/import.js';
import { registerInstallCommand } from './commands/install.js';
import { registerLogsCommand } from './commands/logs.js';
import { registerAuditCommands } from './commands/audit.js';
import { registerBackupCommands } from './commands/backup.js';
import { registerBackupScheduleCommand } from './commands/backup-schedule.js';
import { registerCredentialCommands } from './commands/credentials.js';
import { registerSecretsCommands } from './commands/secrets.js';
import { registerManifestCommands } from './commands/manifest.js';
import { registerParmanodeCommands } from './commands/parmanode.js';
import { registerPipelineCommands } from './commands/pipeline.js';
import { registerResourcesCommand } from './commands/resources.js';
import { registerVersionCommands } from './commands/versions.js';
import { registerWebCommands } from './commands/web.js';
import { registerBackupRestoreCommand } from './commands/backup-restore.js';
import { registerTorCommands } from './commands/tor.js';
import { registerOsCommands } from './commands/os.js';
import { registerParmanodeToolCommands } from './commands/parmanode-tools.js';

/** The `archy` command tree. */
export function createProgram(): Command {
  const program = new Command('archy')
    .description('Archipelago: run and manage Bitcoin node apps as rootless containers')
    .version(packageVersion(), '-V, --version')
    // Program options only before the command: `archy install x --version 1.0` is install's own.
    .enablePositionalOptions()
    // Throw instead of calling process.exit, so runCli returns the exit code (and tests can run
    // archy in-process). Set before adding commands: they inherit it when created.
    .exitOverride()
    .configureOutput({
      // Commander's own errors (unknown option, missing argument) in our one-line form.
      outputError: (text, write) =>
        write(
          `archy: ${text
            .replace(/^error: /, '')
            .trim()
            .replace(/\s*\n\s*/g, ' ')}\n`,
        ),
    });
  registerDaemonCommand(program);
  registerAppCommands(program);
  registerInstallCommand(program);
  registerLogsCommand(program);
  registerManifestCommands(program);
  registerAuditCommands(program);
  registerSecretsCommands(program);
  registerResourcesCommand(program);
  registerVersionCommands(program);
  registerImageCommands(program);
  registerPipelineCommands(program);
  registerWebCommands(program);
  registerCredentialCommands(program);
  registerParmanodeToolCommands(registerParmanodeCommands(program));
  registerImportCommands(program);
  registerTorCommands(program);
  registerOsCommands(program);
  const backup = registerBackupCommands(program);
  registerBackupRestoreCommand(backup);
  registerBackupScheduleCommand(backup);
  return program;
}

/** Runs archy with `argv` (as process.argv) and returns the exit code. */
export async function runCli(argv: readonly string[]): Promise<number> {
  try {
    await createProgram().parseAsync(argv);
    return 0;
  } catch (error) {
    // Commander's own exits (bad usage, --help, --version): it has printed what it had to say.
    if (error instanceof CommanderError) return error.exitCode;
    const report = describeFailure(error);
    if (report !== '') process.stderr.write(`${report}\n`);
    return 1;
  }
}

// Read at run time: core/package.json is outside the compiled tree, and this works from src/
// under vitest and from dist/ alike.
function packageVersion(): string {
  try {
    const text = readFileSync(new URL('../../package.json', import.meta.url), 'utf8');
    return (JSON.parse(text) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}
