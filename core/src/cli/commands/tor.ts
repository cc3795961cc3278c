// Onion services the user asks for (README "Tor"): `archy onion add <id> <port> [--virtual-port P]`,
// `archy onion remove <id> <port>`, `archy onion list [<id>] [--json]`. The app's mode is switched
// with `archy config <id> --tor on|off` (versions.ts), beside its other settings.

import { InvalidArgumentError, Option, type Command } from 'commander';
import type { OnionChangeResult, TorStatusReport } from '../../api/contract.js';
import { CliError } from '../cli-error.js';
import { addClientOptions, parseAppId, withDaemon, type ClientOptions } from '../client-options.js';
import { formatTable } from '../format.js';
import { printJson, printText } from '../output.js';

/** A TCP port, 1-65535. */
export function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port < 1 || port > 65535)
    throw new InvalidArgumentError('expected a port number from 1 to 65535');
  return port;
}

export function registerTorCommands(program: Command): void {
  const onion = program
    .command('onion')
    .description("an app's onion addresses: reach a port of the app over Tor from anywhere");

  addClientOptions(
    onion
      .command('add')
      .description(
        "give a port of the app an onion address (restarts only the app's Tor; kept until removed)",
      )
      .argument('<id>', 'the app id', parseAppId)
      .argument('<port>', 'the port the app listens on inside its container', parsePort)
      .addOption(
        new Option('--virtual-port <port>', 'the port on the .onion address (default: the same)').argParser(
          parsePort,
        ),
      ),
  ).action(async (id: string, port: number, options: ClientOptions & { virtualPort?: number }) => {
    const result = await withDaemon(options, (client) =>
      client.call(
        'tor.onion-add',
        { id, port, ...(options.virtualPort !== undefined && { virtualPort: options.virtualPort }) },
        // Tor writes the address once it has made the service: a restart of its container.
        { noTimeout: true },
      ),
    );
    if (options.json) printJson(result);
    else printText(formatOnionChange(result, port, 'added'));
  });

  addClientOptions(
    onion
      .command('remove')
      .description('remove an onion address you added (its key is deleted: the address is gone for good)')
      .argument('<id>', 'the app id', parseAppId)
      .argument('<port>', 'the port of the onion to remove', parsePort),
  ).action(async (id: string, port: number, options: ClientOptions) => {
    const result = await withDaemon(options, (client) =>
      client.call('tor.onion-remove', { id, port }, { noTimeout: true }),
    );
    if (options.json) printJson(result);
    else printText(formatOnionChange(result, port, 'removed'));
  });

  addClientOptions(
    onion
      .command('list')
      .description("list the apps' onion addresses (one app's with <id>)")
      .argument('[id]', 'the app id', parseAppId),
  ).action(async (id: string | undefined, options: ClientOptions) => {
    const report = await withDaemon(options, (client) => client.call('tor.status', {}));
    const apps = id === undefined ? report.apps : report.apps.filter((app) => app.id === id);
    if (id !== undefined && apps.length === 0)
      throw new CliError(`'${id}' has no Tor and no onion; add one with: archy onion add ${id} <port>`);
    if (options.json) printJson(id === undefined ? report : apps[0]);
    else printText(formatOnionList(apps));
  });
}

export function formatOnionChange(
  result: OnionChangeResult,
  port: number,
  what: 'added' | 'removed',
): string {
  if (what === 'removed') return `${result.id}: the onion for port ${port} was removed`;
  const onion = result.tor?.onions.find((known) => known.port === port && known.source === 'user');
  if (!onion) return `${result.id}: an onion for port ${port} was added`;
  return onion.address
    ? `${result.id}: port ${port} is reachable at ${onion.address}:${onion.virtualPort}`
    : `${result.id}: an onion for port ${port} was added; its address appears in archy onion list ${result.id} once Tor made it`;
}

export function formatOnionList(apps: TorStatusReport['apps']): string {
  const rows = apps.flatMap((app) =>
    app.onions.map((onion) => [
      app.id,
      onion.address ?? '(being created)',
      String(onion.virtualPort),
      String(onion.port),
      onion.source,
    ]),
  );
  if (rows.length === 0) return 'no onion addresses; add one with: archy onion add <id> <port>';
  return formatTable(['APP', 'ADDRESS', 'ONION PORT', 'APP PORT', 'FROM'], rows);
}
