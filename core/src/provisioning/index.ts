// Getting an app version's image onto this node: built here from a verified official release or
// a manifest's recipe (with provenance and an SBOM), or pulled from a registry after its signature
// verified. See image-provisioner.ts for the decision.

export { BuilderKeyStore, keyFilesIn, type MissingBuilderKey, type PinnedKeys } from './builder-key-store.js';
export {
  ImageProvisioner,
  isLocalReference,
  releaseArchOf,
  type ImageProvisionerOptions,
  type ProvideRequest,
  type ProvidedImage,
} from './image-provisioner.js';
export { SBOM_FORMAT } from '../pipeline/image-sbom.js';
export { LocalImages, normaliseImageId, type ImageProvenance } from './local-images.js';
export { NODE_BUILT_LABEL, NodeImageBuilder } from './node-image-builder.js';
export {
  obtainRelease,
  releaseFileFor,
  type ObtainedRelease,
  type ObtainReleaseRequest,
} from './obtain-release.js';
export type { ProvisionPhase, ProvisionProgress } from './progress.js';
export { ReleaseCache } from './release-cache.js';
export { importImageTarball } from './import-image-tarball.js';
