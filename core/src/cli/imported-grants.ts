// What the CLI shows of an app's grants: before it asks `Install? [y/N]` for an imported app, in
// `archy install --dry-run`, and the one line `archy status` prints about an imported app.

import { errorDataFor, RpcErrorCode, type AppGrants, type ImportedOrigin } from '../api/contract.js';
import { grantLines } from '../resolver/grant-lines.js';
import { CliError } from './cli-error.js';

const UPSTREAM_NAMES: Record<ImportedOrigin['kind'], string> = { umbrel: 'Umbrel', parmanode: 'Parmanode' };

/** "imported from Umbrel app btcpay-server (upstream 2.0.6); not signed by the Archipelago catalog". */
export const importedLine = (origin: ImportedOrigin): string =>
  `imported from ${UPSTREAM_NAMES[origin.kind]} app ${origin.app} (upstream ${origin.upstreamVersion}); not signed by the Archipelago catalog`;

/** The grants of the daemon's refusal of an imported app's install without confirmation, if it is one. */
export function importedGrantsOf(error: unknown): AppGrants | undefined {
  if (!(error instanceof CliError)) return undefined;
  const data = errorDataFor({ code: error.rpcCode, data: error.data }, RpcErrorCode.Conflict);
  return data && 'imported' in data ? data.imported : undefined;
}

/** The grants, one per line, under a heading that says whose and why they are asked about. */
export function formatGrants(grants: AppGrants): string {
  const heading = grants.origin
    ? `${grants.app} is ${importedLine(grants.origin)}. It would get:`
    : `${grants.app} would get:`;
  return [heading, ...grantLines(grants).map((line) => `  ${line}`)].join('\n');
}
