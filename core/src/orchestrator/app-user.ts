// Who an app's container runs as, with Podman: the image's own user resolved against the image's
// /etc/passwd and /etc/group (read from a container that is created, never started, and removed),
// and the created container's user checked by inspect before it starts. The judging is the
// policy's (security/policy: user-ids, image-user); this module only fetches what it judges.

import type { PodmanClient } from '../podman/index.js';
import {
  EXAMPLE_USER,
  needsAccountFiles,
  parseUserIds,
  PolicyError,
  resolveImageUser,
  type ImageAccountFiles,
  type UserIds,
} from '../security/policy/index.js';
import { containerName, LABEL } from '../podman/naming.js';

/** Account files are a few KiB; a bigger one is not read (and the user it names is refused). */
const MAX_ACCOUNT_FILE_BYTES = 256 * 1024;

/** Marks the throwaway container that reads an image's account files. */
export const ACCOUNTS_PURPOSE_LABEL = 'io.archipelago.purpose';
const ACCOUNTS_PURPOSE = 'read-image-accounts';

export const accountsContainerName = (appId: string): string => `${containerName(appId)}-accounts`;

type UserPodman = Pick<
  PodmanClient,
  'inspectImage' | 'createContainer' | 'removeContainer' | 'readContainerFile' | 'inspectContainer'
>;

const refusal = (appId: string, path: string, message: string): PolicyError =>
  new PolicyError(`the image of '${appId}'`, [{ path, message }]);

/**
 * The image's `Config.User` as numeric ids, or undefined when it names none (the policy's default
 * user then applies). Throws PolicyError when it cannot be resolved or is root's uid or gid.
 */
export async function resolveImageUserOf(
  podman: UserPodman,
  options: { appId: string; image: string; dataDir: string },
): Promise<UserIds | undefined> {
  const { appId, image } = options;
  const configUser = (await podman.inspectImage(image))?.Config.User ?? '';
  const files = needsAccountFiles(configUser) ? await readAccountFiles(podman, options) : {};
  const verdict = resolveImageUser(configUser, files);
  if (verdict.ok) return verdict.ids;
  throw refusal(
    appId,
    'Config.User',
    `${verdict.reason}; set security.user in the manifest to the non-root uid:gid it should run as, such as ${EXAMPLE_USER}`,
  );
}

async function readAccountFiles(
  podman: UserPodman,
  options: { appId: string; image: string; dataDir: string },
): Promise<ImageAccountFiles> {
  const name = accountsContainerName(options.appId);
  // One left by a daemon that stopped between create and remove.
  await removeOurs(podman, name, options.dataDir);
  await podman.createContainer({
    name,
    image: options.image,
    // Never started: a command that exists nowhere, so an image without CMD can be created too,
    // and a start by mistake fails instead of running the image's program.
    command: ['/nonexistent/archipelago-never-runs'],
    user: '65534:65534',
    netns: { nsmode: 'none' },
    cap_drop: ['ALL'],
    no_new_privileges: true,
    read_only_filesystem: true,
    labels: { [LABEL.dataDir]: options.dataDir, [ACCOUNTS_PURPOSE_LABEL]: ACCOUNTS_PURPOSE },
  });
  try {
    const read = async (path: string) =>
      (await podman.readContainerFile(name, path, { maxBytes: MAX_ACCOUNT_FILE_BYTES }))?.toString('utf8');
    return { passwd: await read('/etc/passwd'), group: await read('/etc/group') };
  } finally {
    await podman.removeContainer(name, { force: true });
  }
}

async function removeOurs(podman: UserPodman, name: string, dataDir: string): Promise<void> {
  const existing = await podman.inspectContainer(name);
  if (existing?.Config?.Labels?.[LABEL.dataDir] === dataDir)
    await podman.removeContainer(name, { force: true });
}

/**
 * The created container's user, by inspect, before it starts: exactly the numeric "uid:gid" the
 * daemon asked for, neither root's. The libpod create body silently ignores what it does not
 * know, so a spec that lost its user would otherwise run as the image's (maybe root). Throws
 * PolicyError; the caller removes the container.
 */
export async function assertCreatedUser(
  podman: UserPodman,
  options: {
    appId: string;
    expected: string | undefined;
    /** Default: the app's main container. */ container?: string;
  },
): Promise<void> {
  const name = options.container ?? containerName(options.appId);
  const actual = (await podman.inspectContainer(name))?.Config.User ?? '';
  const verdict = parseUserIds(actual, { bareUid: 'refuse' });
  const why = !verdict.ok
    ? verdict.reason
    : actual !== options.expected
      ? `'${actual}' is not the user the daemon asked for ('${options.expected ?? ''}')`
      : undefined;
  if (why === undefined) return;
  throw new PolicyError(`the container of '${options.appId}'`, [
    { path: 'Config.User', message: `${why}; it was removed before it started` },
  ]);
}
