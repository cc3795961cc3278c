// Release verification for the image pipeline: official Bitcoin Core / Knots release →
// downloaded from the configured sources → SHA256SUMS agreed by every source → a threshold of
// pinned builders' signatures → the tarball's streamed SHA-256. Building, pushing, signing and
// cataloguing the image build on `verifyRelease`'s result.

export { splitArmoredSignatures } from './armored-blocks.js';
export { builderCount, loadPinnedKeys, type PinnedKey } from './builder-keys.js';
export {
  curatedSetSchema,
  DEFAULT_MAJORS,
  formatCuratedSelection,
  logDroppedVersions,
  selectCuratedSet,
  type CuratedSelection,
  type CuratedSetConfig,
  type DroppedVersion,
  type ImplementationSetConfig,
  type WarnLogger,
} from './curated-set.js';
export {
  DownloadInterrupted,
  DownloadRefused,
  downloadFile,
  partialPath,
  SourceUnavailable,
  type DownloadedFile,
  type DownloadOptions,
  type DownloadProgress,
  type SourceAttempt,
} from './download.js';
export { downloadFromFirstSource, type SourceUrl } from './download-sources.js';
export { downloadAgreedFile } from './mirror-agreement.js';
export {
  DEFAULT_ARCH,
  DEFAULT_THRESHOLD,
  loadPipelineConfig,
  parsePipelineConfig,
  registryIsLoopback,
  requirePublishingConfig,
  type PipelineConfig,
  type PublishingConfig,
} from './pipeline-config.js';
export { refusedStep, releaseRefused, type PipelineStep } from './pipeline-error.js';
export {
  IMPLEMENTATIONS,
  parseReleaseVersion,
  releaseUrls,
  tarballName,
  type Implementation,
  type ReleaseUrls,
  type ReleaseVersion,
} from './release-layout.js';
export { HashingMeter, sha256OfFile, SizeCapExceeded } from './sha256-stream.js';
export { checkSha256, expectedSha256, parseSha256Sums, type Sha256Sums } from './sha256sums.js';
export {
  checkSignatureThreshold,
  formatSignatureReport,
  requireSignatureThreshold,
  signatureFailure,
  type BadSignature,
  type ExpiredSigner,
  type GoodSignature,
  type SignatureCheckInput,
  type SignatureReport,
  type Signer,
  type UnusableSigner,
} from './signature-threshold.js';
export {
  DEFAULT_LIMITS,
  disposeVerifiedRelease,
  verifyRelease,
  type ReleaseReport,
  type VerifiedRelease,
  type VerifyReleaseOptions,
} from './verify-release.js';
export { publishToCatalog, type CatalogEntry, type PublishedCatalog } from './catalog-publish.js';
export { elfInterpreter } from './elf-interpreter.js';
export {
  buildReleaseImage,
  IMAGE_REPOSITORIES,
  imageLabels,
  imageReference,
  LABELS,
  removeLocalImage,
  type BuiltImage,
  type ReleaseForBuild,
} from './image-build.js';
export { SBOM_FORMAT, sbomForRootfs, type SbomRelease } from './image-sbom.js';
export { pushImage, signPushedImage, unpublishImage, type PushedImage } from './image-push.js';
export {
  addBusyboxBase,
  checkHostArch,
  ENTRYPOINT_SCRIPT,
  IMAGE_UID,
  writeRootOwnedTar,
  type RootfsFileSource,
  type RootfsLayout,
  type RootfsSources,
} from './image-rootfs.js';
export { extractReleaseBinaries, findBinary, RELEASE_BINARIES } from './release-binaries.js';
export {
  APP_IDS,
  PIPELINE_STEPS,
  runPipeline,
  type PipelineFailureData,
  type PipelineOptions,
  type PipelineResult,
  type StepTiming,
  type TimedStep,
} from './run-pipeline.js';
