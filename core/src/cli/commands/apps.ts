import { Option, type Command } from 'commander';
import { addClientOptions, parseAppId, withDaemon, type ClientOptions } from '../client-options.js';
import { CliError } from '../cli-error.js';
import { DataLayout } from '../../layout/index.js';
import { addGuardOptions, guardParams, type GuardConfirmations } from '../guard-options.js';
import { formatAppHealth, formatAppList, formatAppStateLine, formatAppStatus } from '../format.js';
import { printJson, printText } from '../output.js';

/** list, status, health, start, stop, restart, remove: one RPC call each. */
export function registerAppCommands(program: Command): void {
  addClientOptions(program.command('list').description('list installed apps')).action(
    async (options: ClientOptions) => {
      const apps = await withDaemon(options, (client) => client.call('container-list', {}));
      if (options.json) printJson(apps);
      else printText(formatAppList(apps));
    },
  );

  addClientOptions(
    program
      .command('status')
      .description("show an app's state, and where its image came from")
      .argument('<id>', 'the app id', parseAppId)
      .addOption(
        new Option(
          '--sbom',
          'print the software bill of materials (CycloneDX JSON) of the image this node built',
        ),
      ),
  ).action(async (id: string, options: ClientOptions & { sbom?: boolean }) => {
    if (options.sbom) {
      // The SBOM is JSON already: printed as is, for a file or a tool (`> sbom.json`).
      const sbom = await withDaemon(options, (client) => client.call('package.sbom', { id }));
      process.stdout.write(sbom.sbom.endsWith('\n') ? sbom.sbom : `${sbom.sbom}\n`);
      return;
    }
    const status = await withDaemon(options, (client) => client.call('container-status', { id }));
    if (options.json) printJson(status);
    else printText(formatAppStatus(status));
  });

  addClientOptions(
    program
      .command('health')
      .description("show an app's health and its latest probes")
      .argument('<id>', 'the app id', parseAppId),
  ).action(async (id: string, options: ClientOptions) => {
    const health = await withDaemon(options, (client) => client.call('container-health', { id }));
    if (options.json) printJson(health);
    else printText(formatAppHealth(health));
  });

  const transitions = [
    ['start', 'container-start', 'start an app (and the installed apps it depends on)'],
    ['restart', 'container-restart', 'stop and start an app'],
  ] as const;
  for (const [name, method, description] of transitions) {
    addClientOptions(
      addGuardOptions(
        program.command(name).description(description).argument('<id>', 'the app id', parseAppId),
      ),
    ).action(async (id: string, options: ClientOptions & GuardConfirmations) => {
      // A Bitcoin node may wait for its first healthy answer (a confirmed reindex): no client timeout.
      const status = await withDaemon(options, (client) =>
        client.call(method, { id, ...guardParams(options) }, { noTimeout: true }),
      );
      if (options.json) printJson(status);
      else printText(formatAppStateLine(status));
    });
  }

  addClientOptions(
    program
      .command('stop')
      .description('stop an app (it stays stopped across daemon restarts)')
      .argument('<id>', 'the app id', parseAppId)
      .addOption(new Option('--cascade', 'stop the running apps that depend on it first').default(false)),
  ).action(async (id: string, options: ClientOptions & { cascade: boolean }) => {
    const status = await withDaemon(options, (client) =>
      client.call('container-stop', { id, ...(options.cascade ? { cascade: true } : {}) }),
    );
    if (options.json) printJson(status);
    else printText(formatAppStateLine(status));
  });

  addClientOptions(
    program
      .command('remove')
      .description('remove an app; its data stays unless --purge')
      .argument('<id>', 'the app id', parseAppId)
      .addOption(
        new Option('--purge', "also delete the app's data dir (blockchain, channels, keys...)").default(
          false,
        ),
      )
      .addOption(new Option('--yes', 'confirm --purge').default(false))
      .addOption(new Option('--cascade', 'stop the running apps that depend on it first').default(false)),
  ).action(
    async (id: string, options: ClientOptions & { purge: boolean; yes: boolean; cascade: boolean }) => {
      if (options.purge && !options.yes) {
        throw new CliError(
          `--purge deletes the data dir of '${id}' (${new DataLayout(options.dataDir).appDataDir(id)}) for good; add --yes to confirm`,
        );
      }
      const removed = await withDaemon(options, (client) =>
        client.call('container-remove', {
          id,
          purge: options.purge,
          ...(options.cascade ? { cascade: true } : {}),
        }),
      );
      if (options.json) printJson(removed);
      else
        printText(
          removed.purged
            ? `removed ${removed.id} and deleted its data`
            : `removed ${removed.id}; its data is kept`,
        );
    },
  );
}
