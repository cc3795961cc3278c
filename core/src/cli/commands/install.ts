import { dirname, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { BITCOIN_NETWORKS, type BitcoinNetwork, type RpcMethods } from '../../api/contract.js';
import { APP_ID_PATTERN } from '../../util/app-id.js';
import { CliError } from '../cli-error.js';
import { askYesNo, canAsk } from '../ask-yes-no.js';
import { formatGrants, importedGrantsOf } from '../imported-grants.js';
import { addGuardOptions, guardParams, type GuardConfirmations } from '../guard-options.js';
import { addClientOptions, withDaemon, type ClientOptions } from '../client-options.js';
import { formatAppStateLine } from '../format.js';
import { formatInstallPlan, parseWith } from '../install-plan.js';
import { manifestIdHint, manifestRefusal, readManifestText } from '../local-manifest.js';
import { printJson, printText } from '../output.js';
import { ImageProgressView } from '../image-progress.js';
import { PullProgressView } from '../progress-bar.js';
import { parsePrune } from './versions.js';
import type { DaemonEndpoint } from '../rpc-client.js';
import { openEventStream, type DaemonEventStream } from '../ws-client.js';

/** An install argument names a manifest file when it looks like a path, else a bundled app id. */
export function isManifestPath(argument: string): boolean {
  return argument.includes('/') || /\.ya?ml$/i.test(argument);
}

export function registerInstallCommand(program: Command): void {
  addClientOptions(
    addGuardOptions(
      program
        .command('install')
        .description('install an app: a bundled app by id, or your own manifest file')
        .argument('<id|manifest>', 'an app id, or a path to a manifest.yml')
        .addOption(
          new Option('--version <version>', "the version to install (default: the catalog's default)"),
        )
        .addOption(
          new Option('--network <chain>', "a Bitcoin node's chain (fixed for the life of its data)")
            .choices([...BITCOIN_NETWORKS])
            .default(undefined, 'mainnet'),
        )
        .addOption(
          new Option(
            '--prune <GB>',
            'a Bitcoin node keeps only the last GB of blocks (default: every block)',
          ).argParser(parsePrune),
        )
        .addOption(
          new Option(
            '--from <file|dir>',
            'install from an official release you brought (the tarball, with SHA256SUMS and SHA256SUMS.asc beside it), verified like a download',
          ),
        )
        .addOption(
          new Option(
            '--with <interface=app>',
            'the app to provide an interface several could, e.g. bitcoin-node=bitcoin-knots (repeatable)',
          ).argParser(parseWith),
        )
        .addOption(
          new Option(
            '--dry-run',
            'show every step the install would take, the choices it needs and what the app gets; change nothing',
          ),
        )
        .addOption(
          new Option(
            '--accept-imported',
            "an imported app (Umbrel, Parmanode): accept what it gets and its images' lack of a catalog signature without being asked",
          ),
        )
        .addOption(new Option('--yes', 'the same as --accept-imported')),
    ),
  ).action(
    async (
      target: string,
      options: ClientOptions & GuardConfirmations & InstallOptions & { dryRun?: boolean },
    ) => {
      if (options.dryRun) return planInstall(target, options);
      const { params, appId } = await installParams(target, options);
      const status = await withDaemon(options, async (client, endpoint) => {
        const install = async (confirmed: RpcMethods['container-install']['params']) => {
          const progress = options.json ? undefined : await showImageProgress(endpoint, appId);
          try {
            // An image pull can take many minutes on a slow link: no client-side timeout.
            return await client.call('container-install', confirmed, { noTimeout: true });
          } finally {
            progress?.stop();
          }
        };
        try {
          return await install(params);
        } catch (error) {
          // An imported app refused for want of the user's "yes": ask at a terminal, once.
          const grants = importedGrantsOf(error);
          if (!grants || params.confirmImported || !canAsk()) throw await manifestRefusal(error);
          process.stderr.write(`${formatGrants(grants)}\n`);
          if (!(await askYesNo('Install?')))
            throw new CliError(`not installed: ${grants.app} was not accepted`);
          try {
            return await install({ ...params, confirmImported: true });
          } catch (again) {
            throw await manifestRefusal(again);
          }
        }
      });
      if (options.json) printJson(status);
      else printText(`installed ${formatAppStateLine(status)}`);
    },
  );
}

interface InstallOptions {
  acceptImported?: boolean;
  /** Alias of --accept-imported. */
  yes?: boolean;
  version?: string;
  from?: string;
  network?: BitcoinNetwork;
  prune?: number;
  /** `--with interface=app`, collected by parseWith. */
  with?: Record<string, string>;
}

/**
 * `--dry-run`: the daemon's plan, printed. It exits 0 whether or not the install could go ahead
 * (the plan is the answer); an open choice lists the exact commands that make it.
 */
async function planInstall(target: string, options: ClientOptions & InstallOptions): Promise<void> {
  const manifestPath = isManifestPath(target);
  if (!manifestPath && !APP_ID_PATTERN.test(target)) {
    throw new CliError(
      `--dry-run plans an app this node offers, by id (see: archy catalog), or a manifest file; '${target}' is neither`,
    );
  }
  const choices = options.with ?? {};
  // A manifest the user brings (an imported app, say) is planned from its text, as it would install.
  const app = manifestPath
    ? { manifest: await readManifestText(target), manifestFile: target }
    : { id: target };
  const plan = await withDaemon(options, async (client) => {
    try {
      return await client.call('package.plan-install', {
        ...app,
        ...(options.version !== undefined && { version: options.version }),
        ...(options.with && { choices }),
      });
    } catch (error) {
      throw await manifestRefusal(error);
    }
  });
  if (options.json) printJson(plan);
  else
    printText(
      formatInstallPlan(plan, {
        id: target,
        ...(options.version !== undefined && { version: options.version }),
        choices,
      }),
    );
}

async function installParams(
  target: string,
  options: GuardConfirmations & InstallOptions,
): Promise<{ params: RpcMethods['container-install']['params']; appId: string | undefined }> {
  // The daemon reads these paths itself: make them absolute here, where the user's cwd is known.
  const withVersion = {
    ...(options.version !== undefined && { version: options.version }),
    ...(options.from !== undefined && { from: resolve(options.from) }),
    ...(options.network !== undefined && { network: options.network }),
    ...(options.prune !== undefined && { prune: options.prune }),
    ...(options.with && { choices: options.with }),
    ...guardParams(options),
    ...((options.acceptImported || options.yes) && { confirmImported: true }),
  };
  if (!isManifestPath(target)) {
    if (!APP_ID_PATTERN.test(target)) {
      throw new CliError(
        `'${target}' is neither an app id nor a manifest path; give an id like 'bitcoin-core' or a path like ./manifest.yml`,
      );
    }
    return { params: { id: target, ...withVersion }, appId: target };
  }
  // The daemon validates it (and names this path in every issue): parsing it here too would make
  // every install load the YAML parser and schema, the CLI's slowest import, for nothing.
  const text = await readManifestText(target);
  return {
    params: { manifest: text, manifestFile: target, manifestDir: dirname(resolve(target)), ...withVersion },
    appId: manifestIdHint(text),
  };
}

/**
 * Follows /ws for this app's image progress — a registry pull, or a build on the node from a
 * verified release (keys, signatures, download with rate and ETA, verify, build, SBOM) — and
 * draws it on stderr. Best effort: without the stream the install still works, just silently.
 */
async function showImageProgress(
  endpoint: DaemonEndpoint,
  appId: string | undefined,
): Promise<{ stop(): void }> {
  let stream: DaemonEventStream;
  try {
    stream = await openEventStream(endpoint);
  } catch {
    return { stop: () => undefined };
  }
  const pulls = new PullProgressView(process.stderr);
  const builds = new ImageProgressView(process.stderr);
  stream.onMessage((message) => {
    if (!('event' in message)) return;
    if (message.event === 'pull-progress' && (appId === undefined || message.data.id === appId)) {
      pulls.update(message.data);
    } else if (message.event === 'image-progress' && (appId === undefined || message.data.id === appId)) {
      builds.update(message.data);
    }
  });
  return {
    stop: () => {
      pulls.finish();
      builds.finish();
      stream.close();
    },
  };
}
