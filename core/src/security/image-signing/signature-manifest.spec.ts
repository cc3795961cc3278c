import { describe, expect, it } from 'vitest';
import { sha256Digest } from './digest.js';
import { SIGNATURE_ANNOTATION, SIMPLE_SIGNING_LAYER } from './media-types.js';
import {
  buildSignatureConfig,
  buildSignatureManifest,
  parseManifestLayers,
  signatureLayerDescriptor,
  signatureLayers,
} from './signature-manifest.js';

const payload = Buffer.from('{"critical":{}}');

describe('signature manifests', () => {
  it('hold one simple-signing layer per signature, with the signature annotation', () => {
    const layer = signatureLayerDescriptor(payload, 'MEUC');
    const config = buildSignatureConfig([layer]);
    const manifest = JSON.parse(buildSignatureManifest(config, [layer]).toString()) as Record<
      string,
      unknown
    >;
    expect(manifest).toEqual({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: {
        mediaType: 'application/vnd.oci.image.config.v1+json',
        size: config.length,
        digest: sha256Digest(config),
      },
      layers: [
        {
          mediaType: 'application/vnd.dev.cosign.simplesigning.v1+json',
          size: payload.length,
          digest: sha256Digest(payload),
          annotations: { 'dev.cosignproject.cosign/signature': 'MEUC' },
        },
      ],
    });
    const configJson = JSON.parse(config.toString()) as {
      rootfs: { diff_ids: string[] };
      history: unknown[];
    };
    expect(configJson.rootfs.diff_ids).toEqual([sha256Digest(payload)]);
    expect(configJson.history).toHaveLength(1);
  });

  it('round-trip, keeping foreign annotations (e.g. Rekor bundles) of other layers', () => {
    const foreign = {
      mediaType: SIMPLE_SIGNING_LAYER,
      size: 3,
      digest: sha256Digest(Buffer.from('abc')),
      annotations: { [SIGNATURE_ANNOTATION]: 'X', 'dev.sigstore.cosign/bundle': '{}' },
    };
    const ours = signatureLayerDescriptor(payload, 'Y');
    const bytes = buildSignatureManifest(buildSignatureConfig([foreign, ours]), [foreign, ours]);
    expect(parseManifestLayers(bytes)).toEqual([foreign, ours]);
    expect(signatureLayers([foreign, ours]).map((l) => l.signature)).toEqual(['X', 'Y']);
  });

  it('skip layers that are not simple-signing payloads, and report unsigned layers', () => {
    const other = {
      mediaType: 'application/vnd.oci.image.layer.v1.tar',
      size: 1,
      digest: sha256Digest(Buffer.from('x')),
    };
    const unsigned = { mediaType: SIMPLE_SIGNING_LAYER, size: 1, digest: sha256Digest(Buffer.from('y')) };
    expect(signatureLayers([other, unsigned])).toEqual([{ payload: unsigned, signature: undefined }]);
  });

  it.each([
    ['not JSON', 'x'],
    ['schema 1', '{"schemaVersion":1,"layers":[]}'],
    ['no layers', '{"schemaVersion":2}'],
    [
      'a layer with a bad digest',
      '{"schemaVersion":2,"layers":[{"mediaType":"a","size":1,"digest":"sha256:zz"}]}',
    ],
    [
      'a layer with a negative size',
      `{"schemaVersion":2,"layers":[{"mediaType":"a","size":-1,"digest":"${sha256Digest(payload)}"}]}`,
    ],
  ])('are not parsed from %s', (_what, text) => {
    expect(parseManifestLayers(Buffer.from(text))).toBeUndefined();
  });
});
