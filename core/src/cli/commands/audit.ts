import { resolve } from 'node:path';
import type { Command } from 'commander';
import { CliError } from '../cli-error.js';
import { dataDirOption, jsonOption, masterKeyFileOption } from '../client-options.js';
import { printJson, printText } from '../output.js';
import { loadAuditKey } from '../node-key.js';

/**
 * `archy audit verify`: checks the chain of DATA_DIR/audit and its seals on this machine (no
 * daemon needed), so an edited, reordered or truncated log is found even when the daemon is down.
 * It needs the node's master key (the seals are HMACs under a key derived from it), found as the
 * daemon finds it.
 */
export function registerAuditCommands(program: Command): void {
  const audit = program.command('audit').description("the daemon's append-only audit log");
  audit
    .command('verify')
    .description('check that no entry of the audit log was edited, removed, reordered or cut off')
    .addOption(dataDirOption())
    .addOption(masterKeyFileOption())
    .addOption(jsonOption())
    .action(async (options: { dataDir: string; json: boolean; masterKeyFile?: string }) => {
      // Loaded here: only this command needs the audit code.
      const { verifyAuditLog, formatAuditVerification } = await import('../../security/audit/index.js');
      const dataDir = resolve(options.dataDir);
      const key = await loadAuditKey(dataDir, options.masterKeyFile);
      const result = await verifyAuditLog(dataDir, key ? { key } : {});
      if (options.json) printJson(result);
      else if (result.ok) printText(formatAuditVerification(result));
      if (!result.ok) {
        throw new CliError(options.json ? '' : formatAuditVerification(result), {
          preformatted: options.json,
        });
      }
    });
}
