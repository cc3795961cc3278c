/** Manifest media types a registry may answer with; we ask for all of them and sign whichever we get. */
export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
export const DOCKER_MANIFEST_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';

export const MANIFEST_MEDIA_TYPES = [OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_MANIFEST_LIST] as const;

/** cosign writes its signature manifests with an (empty-image) OCI config. */
export const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';

/** The layer media type of a cosign simple-signing payload. */
export const SIMPLE_SIGNING_LAYER = 'application/vnd.dev.cosign.simplesigning.v1+json';
/** The layer annotation holding the base64 signature over that layer's payload. */
export const SIGNATURE_ANNOTATION = 'dev.cosignproject.cosign/signature';
/** The `critical.type` that marks a cosign image signature payload. */
export const COSIGN_SIGNATURE_TYPE = 'cosign container image signature';

/** The layer media type of a cosign attestation: the layer's blob is a DSSE envelope. */
export const DSSE_ENVELOPE_LAYER = 'application/vnd.dsse.envelope.v1+json';
/** The DSSE payloadType of an in-toto Statement (in-toto attestation spec, envelope layer). */
export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
/**
 * The layer annotation `cosign attest` writes with the statement's predicate type. It is not
 * signed: readers may use it to skip other kinds of attestation, never to trust one.
 */
export const PREDICATE_TYPE_ANNOTATION = 'predicateType';
/** The predicate type `cosign attest --type cyclonedx` gives a CycloneDX SBOM. */
export const CYCLONEDX_PREDICATE_TYPE = 'https://cyclonedx.org/bom';
