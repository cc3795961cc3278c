import { Option, type Command } from 'commander';
import type { RpcMethods } from '../../api/contract.js';
import { APP_ID_PATTERN } from '../../util/app-id.js';
import { CliError } from '../cli-error.js';
import { addClientOptions, withDaemon, type ClientOptions } from '../client-options.js';
import { formatAppStateLine } from '../format.js';
import { manifestIdHint, manifestRefusal, readManifestText } from '../local-manifest.js';
import { printJson, printText } from '../output.js';
import { PullProgressView } from '../progress-bar.js';
import type { DaemonEndpoint } from '../rpc-client.js';
import { openEventStream, type DaemonEventStream } from '../ws-client.js';

/** An install argument names a manifest file when it looks like a path, else a bundled app id. */
export function isManifestPath(argument: string): boolean {
  return argument.includes('/') || /\.ya?ml$/i.test(argument);
}

export function registerInstallCommand(program: Command): void {
  addClientOptions(
    program
      .command('install')
      .description('install an app: a bundled app by id, or your own manifest file')
      .argument('<id|manifest>', 'an app id, or a path to a manifest.yml')
      .addOption(
        new Option('--version <version>', "the version to install (default: the catalog's default)"),
      ),
  ).action(async (target: string, options: ClientOptions & { version?: string }) => {
    const { params, appId } = await installParams(target, options.version);
    const status = await withDaemon(options, async (client, endpoint) => {
      const progress = options.json ? undefined : await showPullProgress(endpoint, appId);
      try {
        // An image pull can take many minutes on a slow link: no client-side timeout.
        return await client.call('container-install', params, { noTimeout: true });
      } catch (error) {
        throw await manifestRefusal(error);
      } finally {
        progress?.stop();
      }
    });
    if (options.json) printJson(status);
    else printText(`installed ${formatAppStateLine(status)}`);
  });
}

async function installParams(
  target: string,
  version: string | undefined,
): Promise<{ params: RpcMethods['container-install']['params']; appId: string | undefined }> {
  const withVersion = version === undefined ? {} : { version };
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
  return { params: { manifest: text, manifestFile: target, ...withVersion }, appId: manifestIdHint(text) };
}

/**
 * Follows /ws for this app's pull progress and draws it on stderr. Best effort: without the
 * stream the install still works, the user just sees no bar.
 */
async function showPullProgress(
  endpoint: DaemonEndpoint,
  appId: string | undefined,
): Promise<{ stop(): void }> {
  let stream: DaemonEventStream;
  try {
    stream = await openEventStream(endpoint);
  } catch {
    return { stop: () => undefined };
  }
  const view = new PullProgressView(process.stderr);
  stream.onMessage((message) => {
    if (
      'event' in message &&
      message.event === 'pull-progress' &&
      (appId === undefined || message.data.id === appId)
    ) {
      view.update(message.data);
    }
  });
  return {
    stop: () => {
      view.finish();
      stream.close();
    },
  };
}
