// Builds the node image from a verified release: the rootfs (image-rootfs.ts) tarred reproducibly
// and imported with `podman import` — rootless, no Containerfile, no base pulled — with the
// user, entrypoint and OCI labels that record where the binaries came from.

import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  buildRootfs,
  ENTRYPOINT_PATH,
  IMAGE_UID,
  IMAGE_USER,
  writeRootfsTar,
  type RootfsLayout,
} from './image-rootfs.js';
import { releaseRefused } from './pipeline-error.js';
import { PodmanCliError, runPodman } from '../podman/cli.js';
import type { Implementation } from './release-layout.js';
import type { ReleaseBinary } from './release-binaries.js';
import type { VerifiedRelease } from './verify-release.js';

/** Image repository per implementation, under the config's registry. */
export const IMAGE_REPOSITORIES: Record<Implementation, string> = {
  core: 'bitcoin-core',
  knots: 'bitcoin-knots',
};

export const LABELS = {
  version: 'org.opencontainers.image.version',
  source: 'org.opencontainers.image.source',
  title: 'org.opencontainers.image.title',
  sha256: 'io.archipelago.release.sha256',
  implementation: 'io.archipelago.release.implementation',
} as const;

/** `<registry>/bitcoin-core:<version>`: always the full version, never a floating tag. */
export function imageReference(registry: string, implementation: Implementation, version: string): string {
  return `${registry}/${IMAGE_REPOSITORIES[implementation]}:${version}`;
}

export interface BuiltImage {
  /** The local tag, which is also where it is pushed. */
  reference: string;
  imageId: string;
  labels: Record<string, string>;
  /** Where bitcoind and bitcoin-cli were found in the archive. */
  members: Record<ReleaseBinary, string>;
}

export function imageLabels(release: ReleaseForBuild): Record<string, string> {
  const name = release.implementation === 'core' ? 'Bitcoin Core' : 'Bitcoin Knots';
  return {
    [LABELS.version]: release.version,
    [LABELS.source]: release.sourceUrl,
    [LABELS.title]: `${name} ${release.version} (bitcoind, bitcoin-cli)`,
    [LABELS.sha256]: release.sha256,
    [LABELS.implementation]: release.implementation,
  };
}

/** What the image is built from: the parts of a verified release the build reads. */
export type ReleaseForBuild = Pick<
  VerifiedRelease,
  'implementation' | 'version' | 'tarballPath' | 'tarballName' | 'sha256' | 'sourceUrl'
>;

/** Builds and tags the image locally; on any failure nothing is left (no image, no files). */
export async function buildReleaseImage(options: {
  release: ReleaseForBuild;
  /** `<registry>/bitcoin-core:<version>` is the tag, unless `reference` names it outright. */
  registry: string;
  reference?: string;
  arch: string;
  workRoot: string;
  /** `unix://<socket>`: import through that Podman service (the daemon's) instead of the local CLI. */
  podmanUrl?: string;
  /** Extra labels (e.g. who built it). */
  labels?: Record<string, string>;
  /** Sees the finished rootfs before it is tarred and removed. */
  onRootfs?: (layout: RootfsLayout) => Promise<void>;
  /**
   * Work on the finished rootfs that runs while it is tarred and imported (the SBOM is made so),
   * awaited before the rootfs is removed; its failure removes the image again.
   */
  alongside?: (layout: RootfsLayout) => Promise<void>;
  /** bitcoind and bitcoin-cli already taken out of this release (see buildRootfs). */
  binaries?: Record<ReleaseBinary, { path: string; member: string }>;
}): Promise<BuiltImage> {
  const { release } = options;
  const reference =
    options.reference ?? imageReference(options.registry, release.implementation, release.version);
  const labels = { ...imageLabels(release), ...options.labels };
  const workDir = await mkdtemp(join(options.workRoot, 'archy-image-'));
  try {
    const layout = await buildRootfs({
      workDir,
      tarballPath: release.tarballPath,
      tarballName: release.tarballName,
      arch: options.arch,
      ...(options.binaries && { binaries: options.binaries }),
    });
    await options.onRootfs?.(layout);
    // Started now, settled (never left running) before the rootfs goes: see the finally below.
    const besides = options.alongside?.(layout);
    besides?.catch(() => undefined); // awaited below; this only keeps it from counting as unhandled
    try {
      const tarball = join(workDir, 'rootfs.tar');
      await writeRootfsTar(layout, tarball);
      const changes = [
        `USER ${IMAGE_UID}:${IMAGE_UID}`,
        'ENV PATH=/usr/local/bin:/usr/bin:/bin',
        `ENV HOME=/home/${IMAGE_USER}`,
        `WORKDIR /home/${IMAGE_USER}`,
        // bitcoind flushes its caches on SIGTERM; the daemon's stop timeout gives it the time.
        'STOPSIGNAL SIGTERM',
        `ENTRYPOINT ["${ENTRYPOINT_PATH}"]`,
        'CMD ["bitcoind", "-datadir=/data", "-printtoconsole=1"]',
        ...Object.entries(labels).map(([key, value]) => `LABEL ${key}=${JSON.stringify(value)}`),
      ].flatMap((change) => ['--change', change]);
      let imageId: string;
      try {
        const remote = options.podmanUrl ? ['--url', options.podmanUrl] : [];
        // Remote podman prints progress lines even with --quiet; the ID is the last line.
        const { stdout: output } = await runPodman(
          [...remote, 'import', '--quiet', ...changes, tarball, reference],
          {
            doing: `importing ${reference}`,
          },
        );
        imageId = output.trim().split('\n').at(-1)!.trim();
      } catch (cause) {
        // podman import may have stored the image before failing to tag it; drop whatever exists.
        await removeLocalImage(reference, options.podmanUrl);
        const detail = cause instanceof PodmanCliError ? cause.stderr : (cause as Error).message;
        throw releaseRefused('build', `podman import of ${reference} failed: ${detail}`, { cause });
      }
      try {
        await besides;
      } catch (error) {
        await removeLocalImage(reference, options.podmanUrl);
        throw error;
      }
      return { reference, imageId, labels, members: layout.members };
    } finally {
      await besides?.catch(() => undefined);
    }
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

/** Removes the local tag (and the image, when no other tag holds it); absent is fine. */
export async function removeLocalImage(reference: string, podmanUrl?: string): Promise<void> {
  const remote = podmanUrl ? ['--url', podmanUrl] : [];
  await runPodman([...remote, 'rmi', '--ignore', reference], { doing: `removing ${reference}` }).catch(
    () => undefined,
  );
}
