import { resolve } from 'node:path';
import { Argument, Option, type Command } from 'commander';
import type { RemoteAccessStatus, RpcMethods } from '../../api/contract.js';
import { passwordProblem } from '../../api/web-auth/password-rules.js';
import { readSetupCode, setupCodeFilePath } from '../../api/web-auth/setup-code.js';
import { CliError } from '../cli-error.js';
import { addClientOptions, withDaemon, type ClientOptions } from '../client-options.js';
import { printJson, printText } from '../output.js';
import { promptNewPassword, readPasswordFromStdin } from '../password-input.js';
import { terminalQr } from '../terminal-qr.js';

type SetupCodeAnswer = RpcMethods['web.setup-code']['result'] & { source: 'daemon' | 'file' };

/** `archy web setup-code` and `archy web password`: the web UI's login, from the node itself. */
export function registerWebCommands(program: Command): void {
  const web = program
    .command('web')
    .description("the web UI's login (first-run setup code, password) and remote access over Tor");

  addClientOptions(
    web
      .command('setup-code')
      .description('show the one-time code the web UI asks for before the first password is chosen'),
  ).action(async (options: ClientOptions) => {
    const answer = await setupCode(options);
    if (options.json) printJson(answer);
    if (answer.setupCode === null) {
      if (options.json) throw new CliError('', { preformatted: true });
      throw new CliError(
        answer.passwordSet
          ? 'a web password is already set, so there is no setup code; to reset the password: archy web password'
          : `no setup code yet: the daemon writes one to ${answer.file} when it starts; start it with 'archy daemon'`,
      );
    }
    if (!options.json) printText(answer.setupCode);
  });

  addClientOptions(
    web
      .command('password')
      .description('set or reset the web password (asks twice; ends every web session)')
      .addOption(new Option('--stdin', 'read the password from stdin instead of asking').default(false)),
  ).action(async (options: ClientOptions & { stdin: boolean }) => {
    const password = options.stdin ? await readPasswordFromStdin() : await promptNewPassword();
    // The daemon checks too; checking here first answers before any network call.
    const problem = passwordProblem(password);
    if (problem) throw new CliError(`${problem}; nothing was changed`);
    const result = await withDaemon(options, (client) => client.call('web.set-password', { password }));
    if (options.json) printJson({ ok: true, ...result });
    else {
      const ended = result.sessionsEnded;
      printText(
        `web password set${ended > 0 ? `; ${ended} web session${ended === 1 ? '' : 's'} ended (log in again)` : ''}`,
      );
    }
  });

  addClientOptions(
    web
      .command('remote-access')
      .description('reach the web UI and API from anywhere through an onion address (Tor); off by default')
      .addArgument(
        new Argument('[action]', 'on, off, or show').choices(['on', 'off', 'show']).default('show'),
      )
      .addOption(
        new Option('--new-address', 'with on: a new onion address (the old one stops working)').default(
          false,
        ),
      ),
  ).action(async (action: 'on' | 'off' | 'show', options: ClientOptions & { newAddress: boolean }) => {
    if (options.newAddress && action !== 'on') {
      throw new CliError('--new-address goes with on: archy web remote-access on --new-address');
    }
    const params =
      action === 'show' ? {} : { enabled: action === 'on', ...(options.newAddress && { newAddress: true }) };
    const status = await withDaemon(options, (client) => client.call('web.remote-access', params));
    if (options.json) printJson(status);
    else printText(describeRemoteAccess(status, action === 'on'));
    if (status.state === 'failed' && action === 'on')
      throw new CliError(status.message ?? 'Tor did not start');
  });
}

/** What the user reads: the state, the URL and (on a terminal, after `on`) its QR code. */
export function describeRemoteAccess(status: RemoteAccessStatus, withQr: boolean): string {
  if (!status.enabled) {
    return 'remote access over Tor is off (the onion address is kept: archy web remote-access on brings it back)';
  }
  const lines = [`remote access over Tor is on (${status.state})`];
  if (status.url) {
    lines.push(`open in Tor Browser: ${status.url}`);
    if (withQr && process.stdout.isTTY) lines.push('', terminalQr(status.url));
    lines.push(
      'anyone with this address reaches the login page: the web password protects everything behind it',
    );
  }
  if (status.message) lines.push(status.message);
  return lines.join('\n');
}

/**
 * From the daemon (bearer token) when it answers; otherwise from the 0600 file it keeps the code
 * in, which stays valid across restarts until a password is set.
 */
async function setupCode(options: ClientOptions): Promise<SetupCodeAnswer> {
  try {
    const answer = await withDaemon(options, (client) => client.call('web.setup-code', {}));
    return { ...answer, source: 'daemon' };
  } catch (error) {
    // A refusal from a running daemon is its answer; only "no daemon here" falls back to the file.
    if (error instanceof CliError && error.rpcCode !== undefined) throw error;
    const dataDir = resolve(options.dataDir);
    let code: string | undefined;
    try {
      code = await readSetupCode(dataDir);
    } catch (readError) {
      throw new CliError(
        `the daemon did not answer (${(error as Error).message}) and ${setupCodeFilePath(dataDir)} could not be read: ${(readError as Error).message}`,
        { cause: readError },
      );
    }
    if (code === undefined) throw error;
    return { passwordSet: false, setupCode: code, file: setupCodeFilePath(dataDir), source: 'file' };
  }
}
