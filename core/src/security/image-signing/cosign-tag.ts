// What signing and attesting share (cosign's sha256-<hex>.sig / .att tags beside an image), and
// what checking them shares: one registry client for the image's registry, the trusted keys, and
// the layers already at a tag, which a new signature or attestation joins rather than replaces.

import { ArchyError, RpcErrorCode } from '../../kernel/index.js';
import type { ImageReference } from './image-reference.js';
import { RegistryClient } from './registry-client.js';
import { parseManifestLayers, type Descriptor } from './signature-manifest.js';
import { loadVerificationKey, type VerificationKey } from './signing-keys.js';

export function registryClientFor(
  ref: ImageReference,
  options: { insecure: boolean; timeoutMs?: number | undefined },
): RegistryClient {
  return new RegistryClient({
    registry: ref.registry,
    insecure: options.insecure,
    ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
  });
}

/**
 * The layers already at a cosign tag (none when the tag is free). Anything there that is not an
 * image manifest is refused: it is not ours to overwrite.
 */
export async function layersAtTag(
  client: RegistryClient,
  ref: ImageReference,
  tag: string,
  taggedRef: string,
  action: 'sign' | 'attest',
): Promise<Descriptor[]> {
  const existing = await client.getManifest(ref.repository, tag);
  if (!existing) return [];
  const parsed = parseManifestLayers(existing.bytes);
  if (!parsed)
    throw new ArchyError(
      RpcErrorCode.ImageUnavailable,
      `${taggedRef} exists but is not an image manifest; refusing to overwrite it. ` +
        `Delete that tag in the registry if it is junk, then ${action} again.`,
    );
  return parsed;
}

/** The trusted keys, or a refusal saying none are configured (so nothing attached can be checked). */
export function trustedVerificationKeys(
  trustedKeys: readonly string[],
  image: string,
  what: 'its signature' | 'its attestations',
): VerificationKey[] {
  if (trustedKeys.length === 0)
    throw new ArchyError(
      RpcErrorCode.ImageUnavailable,
      `no trusted signing keys are configured for ${image}, so ${what} cannot be checked; ` +
        "add the publisher's cosign.pub to the catalog's trusted keys",
    );
  return trustedKeys.map((pem, i) => loadVerificationKey(pem, `trusted key #${i + 1}`));
}
