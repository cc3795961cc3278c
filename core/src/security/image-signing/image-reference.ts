import { ArchyError, RpcErrorCode } from '../../kernel/index.js';
import { isDigest, type Digest } from './digest.js';

/** A parsed `registry/repository[:tag][@sha256:…]`. */
export interface ImageReference {
  /** Host[:port] the registry API is served on, e.g. `127.0.0.1:5000`. */
  registry: string;
  /** Repository path inside the registry, e.g. `apps/hello`. */
  repository: string;
  tag?: string;
  digest?: Digest;
}

/** Docker Hub's short names ("busybox") mean this registry and the `library/` namespace. */
const DOCKER_HUB = 'index.docker.io';
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;

/**
 * Parses an image reference the way Docker and cosign do. The first path component is a
 * registry host only if it looks like one (has '.' or ':' or is `localhost`); otherwise the
 * image is on Docker Hub. A bare name means `:latest`.
 */
export function parseImageReference(input: string): ImageReference {
  const invalid = (why: string): ArchyError =>
    new ArchyError(
      RpcErrorCode.InvalidParams,
      `'${input}' is not a valid image reference (${why}); write it as registry/repository:tag, e.g. 127.0.0.1:5000/apps/hello:1.0.0`,
    );
  let rest = input.trim();
  let digest: Digest | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    const candidate = rest.slice(at + 1);
    if (!isDigest(candidate)) throw invalid('the digest must be sha256: and 64 lowercase hex digits');
    digest = candidate;
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw invalid(`bad tag '${tag}'`);
  }
  const parts = rest.split('/');
  const first = parts[0] ?? '';
  const hasRegistry =
    parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost');
  let registry = hasRegistry ? first : DOCKER_HUB;
  if (registry === 'docker.io') registry = DOCKER_HUB;
  const path = hasRegistry ? parts.slice(1) : parts;
  if (registry === DOCKER_HUB && path.length === 1) path.unshift('library');
  if (path.length === 0 || path.some((c) => !PATH_COMPONENT.test(c)))
    throw invalid('repository names are lowercase letters, digits and . _ - separated by /');
  const reference: ImageReference = { registry, repository: path.join('/') };
  if (digest) reference.digest = digest;
  else reference.tag = tag ?? 'latest';
  if (digest && tag) reference.tag = tag;
  return reference;
}

/** `registry/repository`: the identity cosign puts in `docker-reference` (go-containerregistry's Context().Name()). */
export const repositoryName = (ref: ImageReference): string => `${ref.registry}/${ref.repository}`;

/** What to ask the registry for: the digest when the reference pins one, else the tag. */
export const manifestReference = (ref: ImageReference): string => ref.digest ?? ref.tag ?? 'latest';

/** `registry/repository@sha256:…`: the form the caller must run, so the tag cannot move underneath it. */
export const pinnedReference = (ref: ImageReference, digest: Digest): string =>
  `${repositoryName(ref)}@${digest}`;

/** The reference as the user would write it. */
export function formatImageReference(ref: ImageReference): string {
  let text = repositoryName(ref);
  if (ref.tag) text += `:${ref.tag}`;
  if (ref.digest) text += `@${ref.digest}`;
  return text;
}
