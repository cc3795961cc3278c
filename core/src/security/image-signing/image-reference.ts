import { ArchyError, RpcErrorCode } from '../../kernel/index.js';
import type { Digest } from './digest.js';
import { checkImageReference, normalizeImageReference, registryApiHost } from '../../util/image-reference.js';

/** A parsed `registry/repository[:tag][@sha256:…]`. */
export interface ImageReference {
  /** Host[:port] of the registry, normalised (`docker.io` for Docker Hub), e.g. `127.0.0.1:5000`. */
  registry: string;
  /** Repository path inside the registry, e.g. `apps/hello`. */
  repository: string;
  tag?: string;
  digest?: Digest;
}

/**
 * Parses an image reference with the one parser (util/image-reference.ts) and its Docker Hub
 * rule: `busybox` is `docker.io/library/busybox`. A reference without tag or digest means
 * `:latest`, as for Docker and cosign.
 */
export function parseImageReference(input: string): ImageReference {
  const checked = checkImageReference(input.trim());
  if (!checked.ok) {
    throw new ArchyError(
      RpcErrorCode.InvalidParams,
      `'${input}' is not a valid image reference (it ${checked.problem.replace(/ \(e\.g\. .*\)$/, '')}); write it as registry/repository:tag, e.g. 127.0.0.1:5000/apps/hello:1.0.0`,
    );
  }
  const { registry, path, tag, digest } = normalizeImageReference(checked.value);
  const reference: ImageReference = { registry, repository: path };
  if (tag !== undefined || digest === undefined) reference.tag = tag ?? 'latest';
  if (digest !== undefined) reference.digest = digest as Digest;
  return reference;
}

/**
 * `registry/repository`: the identity cosign puts in `docker-reference` (go-containerregistry's
 * Context().Name(), which names Docker Hub by its API host: index.docker.io/library/busybox).
 */
export const repositoryName = (ref: ImageReference): string =>
  `${registryApiHost(ref.registry)}/${ref.repository}`;

/** What to ask the registry for: the digest when the reference pins one, else the tag. */
export const manifestReference = (ref: ImageReference): string => ref.digest ?? ref.tag ?? 'latest';

/** `registry/repository@sha256:…`: the form the caller must run, so the tag cannot move underneath it. */
export const pinnedReference = (ref: ImageReference, digest: Digest): string =>
  `${ref.registry}/${ref.repository}@${digest}`;

/** The reference as the user would write it. */
export function formatImageReference(ref: ImageReference): string {
  let text = `${ref.registry}/${ref.repository}`;
  if (ref.tag) text += `:${ref.tag}`;
  if (ref.digest) text += `@${ref.digest}`;
  return text;
}
