import { resolve } from 'node:path';
import type { Command } from 'commander';
import { CliError } from '../cli-error.js';
import { dataDirOption, jsonOption } from '../client-options.js';
import { daemonRunning } from '../node-key.js';
import { printJson, printText } from '../output.js';

/**
 * `archy secrets move-key <path>`: moves the node's master key out of DATA_DIR/secrets to a file
 * the daemon then reads with `--master-key-file <path>` (or as a systemd credential), so a copy of
 * the data dir (a backup, a stolen disk image of it) no longer holds what opens its secrets.
 */
export function registerSecretsCommands(program: Command): void {
  const secrets = program.command('secrets').description("the node's encrypted app secrets");
  secrets
    .command('move-key')
    .description(
      'move the master key out of DATA_DIR/secrets to <path> (daemon stopped); a node without a key gets a new one there',
    )
    .argument('<path>', 'where the key goes: a file that does not exist yet, outside the data dir')
    .addOption(dataDirOption())
    .addOption(jsonOption())
    .action(async (path: string, options: { dataDir: string; json: boolean }) => {
      const dataDir = resolve(options.dataDir);
      const target = resolve(path);
      if (target.startsWith(`${dataDir}/`)) {
        throw new CliError(`${target} is inside the data dir ${dataDir}; choose a path outside it`);
      }
      const pid = await daemonRunning(dataDir);
      if (pid !== undefined) {
        throw new CliError(
          `the daemon on ${dataDir} is running${pid > 0 ? ` (pid ${pid})` : ''}; stop it first, then move the key`,
        );
      }
      const { moveMasterKey } = await import('../../security/secrets/index.js');
      const outcome = await moveMasterKey(dataDir, target);
      if (options.json) {
        printJson({ outcome, path: target });
        return;
      }
      printText(
        `${outcome === 'moved' ? 'moved the master key' : 'no key yet: created a new master key'} to ${target}\n` +
          `start the daemon with --master-key-file ${target} (or ARCHY_MASTER_KEY_FILE=${target}); ` +
          'keep a backup of the key apart from backups of the data dir',
      );
    });
}
