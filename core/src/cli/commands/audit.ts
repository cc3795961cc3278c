import { resolve } from 'node:path';
import type { Command } from 'commander';
import { CliError } from '../cli-error.js';
import { dataDirOption, jsonOption } from '../client-options.js';
import { printJson, printText } from '../output.js';

/**
 * `archy audit verify`: checks the hash chain of DATA_DIR/audit on this machine (no daemon
 * needed), so an edited, reordered or truncated log is found even when the daemon is down.
 */
export function registerAuditCommands(program: Command): void {
  const audit = program.command('audit').description("the daemon's append-only audit log");
  audit
    .command('verify')
    .description('check that no entry of the audit log was edited, removed, reordered or cut off')
    .addOption(dataDirOption())
    .addOption(jsonOption())
    .action(async (options: { dataDir: string; json: boolean }) => {
      // Loaded here: only this command needs the audit code.
      const { verifyAuditLog, formatAuditVerification } = await import('../../security/audit/index.js');
      const result = await verifyAuditLog(resolve(options.dataDir));
      if (options.json) printJson(result);
      else if (result.ok) printText(formatAuditVerification(result));
      if (!result.ok) {
        throw new CliError(options.json ? '' : formatAuditVerification(result), {
          preformatted: options.json,
        });
      }
    });
}
