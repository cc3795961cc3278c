// Interface credentials: `archy credentials rotate <id>` (a new Bitcoin RPC password for an app)
// and `archy connection <id> [--reveal] [--host H]` (endpoints and credentials to connect a wallet
// or another tool; secret values only with --reveal, which the daemon audits).

import { Option, type Command } from 'commander';
import type { ConnectionInfo, RotateCredentialsResult } from '../../api/contract.js';
import { addClientOptions, parseAppId, withDaemon, type ClientOptions } from '../client-options.js';
import { printJson, printText } from '../output.js';

export function registerCredentialCommands(program: Command): void {
  const credentials = program
    .command('credentials')
    .description("manage an app's credentials at the apps it uses");
  addClientOptions(
    credentials
      .command('rotate')
      .description(
        'give the app a new Bitcoin RPC password (the node and the app are recreated; the old password stops working)',
      )
      .argument('<id>', 'the app id', parseAppId),
  ).action(async (id: string, options: ClientOptions) => {
    const result = await withDaemon(options, (client) => client.call('package.rotate-credentials', { id }));
    if (options.json) printJson(result);
    else printText(formatRotation(result));
  });

  addClientOptions(
    program
      .command('connection')
      .description('show how to connect to an app: endpoints, credentials, an lndconnect URI')
      .argument('<id>', 'the app id', parseAppId)
      .addOption(
        new Option('--reveal', 'include secret values (passwords, macaroon); recorded in the audit log'),
      )
      .addOption(new Option('--host <host>', "the host the URLs name (default: the node's LAN address)")),
  ).action(async (id: string, options: ClientOptions & { reveal?: boolean; host?: string }) => {
    const info = await withDaemon(options, (client) =>
      client.call('package.connection-info', {
        id,
        ...(options.reveal && { reveal: true }),
        ...(options.host !== undefined && { host: options.host }),
      }),
    );
    if (options.json) printJson(info);
    else printText(formatConnection(info));
  });
}

export function formatRotation(result: RotateCredentialsResult): string {
  const lines = result.rotated.map(
    (entry) => `${result.id}: new RPC password for ${entry.user} at ${entry.provider} (${entry.interface})`,
  );
  if (result.restarted.length > 0) lines.push(`recreated/restarted: ${result.restarted.join(', ')}`);
  return lines.join('\n');
}

export function formatConnection(info: ConnectionInfo): string {
  if (info.interfaces.length === 0) return `${info.id} exports no interface to connect to`;
  const blocks = info.interfaces.map((entry) => {
    const title = entry.provider ? `${entry.name} (its login at ${entry.provider})` : entry.name;
    const lines = [title];
    for (const endpoint of entry.endpoints) lines.push(`  ${endpoint.name}: ${endpoint.url}`);
    for (const credential of entry.credentials) {
      const value = credential.value ?? (credential.secret ? '(hidden: add --reveal)' : '');
      // A certificate spans lines: indent it under its name.
      lines.push(
        value.includes('\n')
          ? `  ${credential.name}:\n${value.trimEnd().replace(/^/gm, '    ')}`
          : `  ${credential.name}: ${value}`,
      );
    }
    if (entry.uri !== undefined) lines.push(`  URI: ${entry.uri}`);
    return lines.join('\n');
  });
  return blocks.join('\n\n');
}
