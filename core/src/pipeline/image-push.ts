// Pushes the built image under its full version, signs the pushed digest, and — when a later step
// fails — takes both back out of the registry, so a failed build never leaves a tag a node could
// pull.
//
// A version's tag is written once: if the registry already holds it, the push is refused rather
// than moving a tag nodes may have verified (re-publishing a version means deleting it first, on
// purpose).

import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { request } from '../util/http-client.js';
import {
  parseImageReference,
  RegistryClient,
  signImage,
  type Digest,
  type SignImageResult,
} from '../security/image-signing/index.js';
import { releaseRefused } from './pipeline-error.js';
import { PodmanCliError, runPodman } from '../podman/cli.js';

export interface PushedImage {
  reference: string;
  digest: Digest;
  /** `<registry>/<repository>@<digest>`: what is signed and what the catalog records. */
  pinned: string;
}

interface RegistryTarget {
  registry: string;
  repository: string;
  tag: string;
  client: RegistryClient;
  insecure: boolean;
}

function target(reference: string, insecure: boolean): RegistryTarget {
  const ref = parseImageReference(reference);
  if (ref.tag === undefined) throw new Error(`${reference} has no tag`);
  return {
    registry: ref.registry,
    repository: ref.repository,
    tag: ref.tag,
    client: new RegistryClient({ registry: ref.registry, insecure, timeoutMs: 30_000 }),
    insecure,
  };
}

const messageOf = (error: unknown): string =>
  error instanceof PodmanCliError ? error.stderr : error instanceof Error ? error.message : String(error);

/** Pushes `reference` (a local image); returns the digest the registry now serves for the tag. */
export async function pushImage(
  reference: string,
  options: { insecure: boolean; workRoot: string },
): Promise<PushedImage> {
  const to = target(reference, options.insecure);
  let existing;
  try {
    existing = await to.client.getManifest(to.repository, to.tag);
  } catch (cause) {
    throw releaseRefused(
      'push',
      `cannot reach the registry ${to.registry} to push ${reference}: ${messageOf(cause)}; nothing was pushed. ` +
        'Check registry in the config and that the registry is up.',
      { cause },
    );
  }
  if (existing)
    throw releaseRefused(
      'push',
      `${reference} already exists in the registry (${existing.digest}); a published version is never overwritten. ` +
        'Delete that tag first if it must be rebuilt.',
    );

  const scratch = await mkdtemp(join(options.workRoot, 'archy-push-'));
  try {
    const digestFile = join(scratch, 'digest');
    try {
      await runPodman(
        [
          'push',
          '--quiet',
          '--format',
          'oci',
          `--tls-verify=${options.insecure ? 'false' : 'true'}`,
          '--digestfile',
          digestFile,
          reference,
        ],
        { doing: `pushing ${reference}` },
      );
    } catch (cause) {
      // The tag did not exist before; if the registry has it now, it is this push's half: remove it.
      await removeTagIfPresent(to).catch(() => undefined);
      throw releaseRefused(
        'push',
        `the registry refused ${reference}: ${messageOf(cause)}; nothing was published.`,
        {
          cause,
        },
      );
    }
    const pushed = (await readFile(digestFile, 'utf8')).trim();
    const served = await to.client.resolveDigest(to.repository, to.tag);
    if (pushed !== served) {
      await deleteManifest(to, served).catch(() => undefined);
      throw releaseRefused(
        'push',
        `podman pushed ${reference} as ${pushed}, but the registry serves ${served} for it; removed the tag. ` +
          'Something else wrote this tag at the same time: run the build again.',
      );
    }
    return { reference, digest: served, pinned: `${to.registry}/${to.repository}@${served}` };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** Signs the pushed digest in cosign's format (signature at `sha256-<hex>.sig` beside it). */
export async function signPushedImage(
  image: PushedImage,
  options: { privateKeyPem: string; insecure: boolean },
): Promise<SignImageResult> {
  try {
    const signed = await signImage({
      imageRef: image.pinned,
      privateKeyPem: options.privateKeyPem,
      registryInsecure: options.insecure,
    });
    if (signed.digest !== image.digest)
      throw new Error(`signed ${signed.digest}, not the pushed ${image.digest}`);
    return signed;
  } catch (cause) {
    throw releaseRefused('sign', `signing ${image.pinned} failed: ${messageOf(cause)}`, { cause });
  }
}

/**
 * Takes a pushed (and perhaps signed) image back out of the registry: its signature manifest,
 * then the image manifest (which removes its tag). Returns what could not be removed.
 */
export async function unpublishImage(image: PushedImage, options: { insecure: boolean }): Promise<string[]> {
  const to = target(image.reference, options.insecure);
  const problems: string[] = [];
  // The image's signature and attestation (its SBOM) go with it.
  for (const suffix of ['.sig', '.att']) {
    const tag = image.digest.replace(':', '-') + suffix;
    try {
      const manifest = await to.client.getManifest(to.repository, tag);
      if (manifest) await deleteManifest(to, manifest.digest);
    } catch (error) {
      problems.push(`${to.registry}/${to.repository}:${tag}: ${messageOf(error)}`);
    }
  }
  try {
    await deleteManifest(to, image.digest);
  } catch (error) {
    problems.push(`${image.reference}: ${messageOf(error)}`);
  }
  return problems;
}

async function removeTagIfPresent(to: RegistryTarget): Promise<void> {
  const manifest = await to.client.getManifest(to.repository, to.tag);
  if (manifest) await deleteManifest(to, manifest.digest);
}

/** DELETE of a manifest by digest (the registry must allow deletes: `storage.delete.enabled`). */
async function deleteManifest(to: RegistryTarget, digest: Digest): Promise<void> {
  const url = `${to.insecure ? 'http' : 'https'}://${to.registry}/v2/${to.repository}/manifests/${digest}`;
  const res = await request(url, { method: 'DELETE', headersTimeout: 30_000, bodyTimeout: 30_000 });
  await res.body.dump();
  if (res.statusCode !== 202 && res.statusCode !== 200 && res.statusCode !== 404)
    throw new Error(
      `the registry answered HTTP ${res.statusCode} to deleting ${digest}` +
        (res.statusCode === 405 ? ' (deletes are disabled in its config: storage.delete.enabled)' : ''),
    );
}
