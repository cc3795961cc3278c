// The one parser of OCI image references: `[registry[:port]/]path[:tag][@sha256:hex]`. The
// manifest schema, the catalog, image signing, the pipeline, provisioning and the orchestrator
// all read references through this module, so they agree on what a reference names.
//
// Docker Hub: we follow Podman (containers/image's docker/reference.ParseNormalizedNamed), whose
// store holds the images we run and whose `podman images` the user reads: a reference without a
// registry is on `docker.io`, `index.docker.io` is another spelling of it, and a one-component
// path there is in the `library/` namespace (`busybox` = `docker.io/library/busybox`). Only
// where we speak the registry API or write cosign's `docker-reference` do we use the API host
// `index.docker.io`, as go-containerregistry (cosign) does: `registryApiHost` says so, once.
//
// The grammar is distribution/reference's, minus what no caller here uses (IPv6 registry
// literals, digests other than sha256).

export const DOCKER_HUB = 'docker.io';
/** The host Docker Hub's registry API is served on, and the name cosign signs Hub images under. */
export const DOCKER_HUB_API_HOST = 'index.docker.io';
const DOCKER_HUB_SPELLINGS: readonly string[] = [DOCKER_HUB, DOCKER_HUB_API_HOST];

/** A reference as written: nothing filled in or normalised. */
export interface ImageReference {
  /** e.g. "127.0.0.1:5000"; absent when the reference names none (a Docker Hub short name). */
  registry?: string;
  /** e.g. "apps/hello". */
  path: string;
  tag?: string;
  /** "sha256:<64 hex>". */
  digest?: string;
}

/** A reference with its registry and Docker Hub's `library/` filled in (see the rule above). */
export interface NormalizedImageReference extends ImageReference {
  registry: string;
}

export type ImageReferenceCheck =
  | { ok: true; value: ImageReference }
  /** `reason` quotes the text; `problem` is the same without it, for a message that quotes it otherwise. */
  | { ok: false; reason: string; problem: string };

const DOMAIN_LABEL = '[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?';
const REGISTRY = new RegExp(`^${DOMAIN_LABEL}(?:\\.${DOMAIN_LABEL})*(?::(\\d{1,5}))?$`);
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;
// The distribution spec's limit on a repository name (registry plus path).
const MAX_NAME_LENGTH = 255;

export const IMAGE_REFERENCE_EXAMPLE =
  'e.g. "127.0.0.1:5000/apps/hello:1.0.0" or "apps/hello@sha256:<64 hex digits>"';

/** Like Podman: the first component names a registry only if it looks like a host. */
const looksLikeHost = (component: string): boolean =>
  component.includes('.') || component.includes(':') || component === 'localhost';

/**
 * Splits a reference into its parts without judging them (never throws): for callers that
 * handle references already checked, or tolerate floating tags.
 */
export function splitImageReference(text: string): ImageReference {
  const at = text.indexOf('@');
  const name = at === -1 ? text : text.slice(0, at);
  const digest = at === -1 ? undefined : text.slice(at + 1);
  // A tag is whatever follows the first ':' after the last '/', so a registry port isn't one.
  const tagColon = name.indexOf(':', name.lastIndexOf('/') + 1);
  const repository = tagColon === -1 ? name : name.slice(0, tagColon);
  const tag = tagColon === -1 ? undefined : name.slice(tagColon + 1);
  const slash = repository.indexOf('/');
  const first = slash === -1 ? '' : repository.slice(0, slash);
  const hasRegistry = slash !== -1 && looksLikeHost(first);
  return {
    ...(hasRegistry && { registry: first }),
    path: hasRegistry ? repository.slice(slash + 1) : repository,
    ...(tag !== undefined && { tag }),
    ...(digest !== undefined && { digest }),
  };
}

/** Checks a reference against the grammar (not whether it is pinned: that is the caller's policy). */
export function checkImageReference(text: string): ImageReferenceCheck {
  const fail = (problem: string): ImageReferenceCheck => ({
    ok: false,
    reason: `${JSON.stringify(text)} ${problem}`,
    problem,
  });
  if (text.trim() !== text || text === '')
    return fail(`is not an image reference (${IMAGE_REFERENCE_EXAMPLE})`);
  if (text.split('@').length > 2) return fail(`has more than one '@'`);
  const reference = splitImageReference(text);
  const { registry, path, tag, digest } = reference;
  if (digest !== undefined && !DIGEST.test(digest)) {
    return fail(`has a malformed digest; write @sha256: followed by 64 lowercase hex digits`);
  }
  if (registry !== undefined) {
    const match = REGISTRY.exec(registry);
    const port = match?.[1] === undefined ? undefined : Number(match[1]);
    if (!match || (port !== undefined && (port < 1 || port > 65535))) {
      return fail(`has an invalid registry ${JSON.stringify(registry)} (${IMAGE_REFERENCE_EXAMPLE})`);
    }
  }
  const badComponent = path.split('/').find((c) => !PATH_COMPONENT.test(c));
  if (badComponent !== undefined) {
    return fail(
      `has an invalid path component ${JSON.stringify(badComponent)}: use lowercase letters, digits and ` +
        `single '.', '_' or '-' separators (${IMAGE_REFERENCE_EXAMPLE})`,
    );
  }
  const repositoryLength = (registry === undefined ? 0 : registry.length + 1) + path.length;
  if (repositoryLength > MAX_NAME_LENGTH) return fail(`is longer than ${MAX_NAME_LENGTH} characters`);
  if (tag !== undefined && !TAG.test(tag)) {
    return fail(`has an invalid tag ${JSON.stringify(tag)}: use letters, digits, '_', '.' and '-'`);
  }
  return { ok: true, value: reference };
}

/** Fills in Docker Hub (`docker.io`, and `library/` for a one-component path); lowercases the registry. */
export function normalizeImageReference(reference: ImageReference): NormalizedImageReference {
  const written = reference.registry?.toLowerCase();
  const registry = written === undefined || DOCKER_HUB_SPELLINGS.includes(written) ? DOCKER_HUB : written;
  const path =
    registry === DOCKER_HUB && !reference.path.includes('/') ? `library/${reference.path}` : reference.path;
  return { ...reference, registry, path };
}

/** The registry an image is pulled from, normalised: `busybox:1` → `docker.io`. */
export const registryOf = (text: string): string =>
  normalizeImageReference(splitImageReference(text)).registry;

/** `registry/path`, normalised: the identity of an image's repository whatever its tag or digest. */
export function repositoryOf(text: string): string {
  const { registry, path } = normalizeImageReference(splitImageReference(text));
  return `${registry}/${path}`;
}

/** Whether two references name the same repository (tags and digests may differ). */
export const sameRepository = (a: string, b: string): boolean => repositoryOf(a) === repositoryOf(b);

/** The reference as written without its tag and digest: `host/apps/hello:1@sha256:…` → `host/apps/hello`. */
export function nameOf(text: string): string {
  const { registry, path } = splitImageReference(text);
  return registry === undefined ? path : `${registry}/${path}`;
}

/** The host to speak the registry API to for a (normalised) registry name. */
export const registryApiHost = (registry: string): string =>
  registry === DOCKER_HUB ? DOCKER_HUB_API_HOST : registry;

/** The reference as written back: `[registry/]path[:tag][@digest]`. */
export function formatImageReference(reference: ImageReference): string {
  let text = reference.registry === undefined ? reference.path : `${reference.registry}/${reference.path}`;
  if (reference.tag !== undefined) text += `:${reference.tag}`;
  if (reference.digest !== undefined) text += `@${reference.digest}`;
  return text;
}

/** Parses a list of registries as ARCHY_INSECURE_REGISTRIES gives it (`host:port,host:port`). */
export function parseInsecureRegistries(value: string | undefined): Set<string> {
  return new Set(
    (value ?? '')
      .split(',')
      .map((entry) => entry.trim())
      .filter((entry) => entry.length > 0),
  );
}
