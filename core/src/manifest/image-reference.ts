// OCI image references as a manifest may name them: `[registry[:port]/]path[:tag][@sha256:hex]`.
// The grammar follows the distribution/reference rules Podman applies, minus what a manifest
// has no use for (IPv6 registry literals, digests other than sha256).

import type { Parsed } from './units.js';

export interface ImageReference {
  /** e.g. "127.0.0.1:5000"; absent means Podman's configured search registries. */
  registry?: string;
  /** e.g. "apps/hello". */
  path: string;
  tag?: string;
  /** "sha256:<64 hex>". */
  digest?: string;
}

// Names that move to new content without the manifest changing: a node runner's install would
// silently change under them, and rollback would have nothing to roll back to.
export const FLOATING_TAGS: readonly string[] = ['latest', 'stable', 'edge', 'nightly', 'master', 'main'];

export const isFloatingTag = (tag: string): boolean => FLOATING_TAGS.includes(tag.toLowerCase());

const DOMAIN_LABEL = '[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?';
const REGISTRY = new RegExp(`^${DOMAIN_LABEL}(?:\\.${DOMAIN_LABEL})*(?::(\\d{1,5}))?$`);
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;
// The distribution spec's limit on a repository name (registry plus path).
const MAX_NAME_LENGTH = 255;

const EXAMPLE = 'e.g. "127.0.0.1:5000/apps/hello:1.0.0" or "apps/hello@sha256:<64 hex digits>"';

/** Checks an image reference's shape and that it is pinned (a tag that isn't floating, or a digest). */
export function parseImageReference(text: string): Parsed<ImageReference> {
  const fail = (why: string): Parsed<ImageReference> => ({
    ok: false,
    reason: `${JSON.stringify(text)} ${why}`,
  });
  if (text.trim() !== text || text === '') return fail(`is not an image reference (${EXAMPLE})`);

  const [name, digest, ...extra] = text.split('@');
  if (extra.length > 0) return fail(`has more than one '@'`);
  if (digest !== undefined && !DIGEST.test(digest)) {
    return fail(`has a malformed digest; write @sha256: followed by 64 lowercase hex digits`);
  }

  // A tag is whatever follows the last ':' after the last '/', so a registry port isn't one.
  const lastSlash = name!.lastIndexOf('/');
  const tagColon = name!.indexOf(':', lastSlash + 1);
  const repository = tagColon === -1 ? name! : name!.slice(0, tagColon);
  const tag = tagColon === -1 ? undefined : name!.slice(tagColon + 1);

  const components = repository.split('/');
  // Like Podman: the first component names a registry only if it looks like a host.
  const first = components[0]!;
  const hasRegistry =
    components.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost');
  const registry = hasRegistry ? first : undefined;
  const pathComponents = hasRegistry ? components.slice(1) : components;

  if (registry !== undefined) {
    const match = REGISTRY.exec(registry);
    const port = match?.[1] === undefined ? undefined : Number(match[1]);
    if (!match || (port !== undefined && (port < 1 || port > 65535))) {
      return fail(`has an invalid registry ${JSON.stringify(registry)} (${EXAMPLE})`);
    }
  }
  const badComponent = pathComponents.find((c) => !PATH_COMPONENT.test(c));
  if (badComponent !== undefined) {
    return fail(
      `has an invalid path component ${JSON.stringify(badComponent)}: use lowercase letters, digits and ` +
        `single '.', '_' or '-' separators (${EXAMPLE})`,
    );
  }
  if (repository.length > MAX_NAME_LENGTH) return fail(`is longer than ${MAX_NAME_LENGTH} characters`);

  if (tag !== undefined) {
    if (!TAG.test(tag)) {
      return fail(`has an invalid tag ${JSON.stringify(tag)}: use letters, digits, '_', '.' and '-'`);
    }
    if (isFloatingTag(tag)) {
      return fail(`uses the floating tag '${tag}'; pin a real version such as ":1.2.3" or a digest`);
    }
  }
  if (tag === undefined && digest === undefined) {
    return fail(`has no tag or digest; pin a version such as ":1.2.3" or "@sha256:<digest>"`);
  }

  const path = pathComponents.join('/');
  return {
    ok: true,
    value: {
      ...(registry !== undefined && { registry }),
      path,
      ...(tag !== undefined && { tag }),
      ...(digest !== undefined && { digest }),
    },
  };
}
