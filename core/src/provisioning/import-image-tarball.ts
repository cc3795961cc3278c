// One way to turn a root filesystem tarball into a local image: `podman import` with the image's
// config given as `--change` lines. Every image this node builds itself goes through here (the
// Bitcoin images, recipe images, the apps' Tor), so a failed import is cleaned up and worded once.

import { ArchyError, RpcErrorCode } from '../kernel/index.js';
import { PodmanCliError, runPodman } from '../podman/index.js';
import { removeLocalImage } from '../pipeline/index.js';
import { normaliseImageId } from './local-images.js';

/**
 * Imports `tarball` as `reference` and returns its image ID. On failure, whatever half-made image
 * the name points at is removed and the error carries Podman's own words.
 */
export async function importImageTarball(options: {
  tarball: string;
  reference: string;
  /** Dockerfile-style config lines (`LABEL …`, `ENTRYPOINT […]`, `USER …`). */
  changes: readonly string[];
  /** `unix://<socket>` of the daemon's Podman service; the local CLI otherwise. */
  podmanUrl?: string | undefined;
}): Promise<string> {
  const { tarball, reference, changes, podmanUrl } = options;
  const remote = podmanUrl ? ['--url', podmanUrl] : [];
  try {
    const { stdout } = await runPodman(
      [
        ...remote,
        'import',
        '--quiet',
        ...changes.flatMap((change) => ['--change', change]),
        tarball,
        reference,
      ],
      { doing: `importing ${reference}` },
    );
    return normaliseImageId(stdout.trim().split('\n').at(-1)!.trim());
  } catch (cause) {
    await removeLocalImage(reference, podmanUrl);
    const detail = cause instanceof PodmanCliError ? cause.stderr : (cause as Error).message;
    throw new ArchyError(RpcErrorCode.PodmanError, `podman import of ${reference} failed: ${detail}`, {
      cause,
    });
  }
}
