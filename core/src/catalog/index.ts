// The signed catalog: which apps and versions exist, whether the metadata can be trusted (a
// TUF-shaped root with thresholds, expiry, monotonic versions and root rotation), what is newer
// than what runs, and the publisher's side that creates keys and signs.

export {
  parseCatalogApps,
  sameRepository,
  IMAGE_KEY_ID_PATTERN,
  type Catalog,
  type CatalogApp,
  type CatalogVersion,
  type DroppedEntry,
  type ParsedCatalog,
} from './catalog-schema.js';
export {
  keySourceUrl,
  type OfficialRelease,
  type PinnedBuilder,
  type ReleaseFile,
  type ReleaseImplementation,
} from './official-release.js';
export { verifyCatalog, type VerifyCatalogInput, type VerifiedCatalog } from './trust.js';
export {
  catalogRefused,
  catalogRefusalReason,
  type CatalogRefusalReason,
  type CatalogRefusalData,
} from './catalog-error.js';
export {
  parseRoot,
  parseCatalogEnvelope,
  generateSigningKey,
  keyIdOf,
  signEnvelope,
  SPEC_VERSION,
  type Envelope,
  type RootSigned,
  type CatalogSigned,
  type PublicKeyJson,
  type SignatureJson,
  type SigningKey,
  type RoleJson,
  type RoleName,
} from './signed-metadata.js';
export { canonicalJson, canonicalDigest } from './canonical-json.js';
export {
  createKeyFiles,
  readSigningKeyFile,
  readPublicKeyFile,
  createRoot,
  rotateRoot,
  emptyCatalog,
  addVersion,
  pinImageKeys,
  signCatalog,
  expiresIn,
  isoSeconds,
  formatKeyFiles,
  formatSignedCatalog,
  formatRoot,
  DEFAULT_CATALOG_VALID_DAYS,
  DEFAULT_ROOT_VALID_DAYS,
  type KeyFiles,
  type NewVersion,
  type RootDefinition,
} from './publisher.js';
export {
  imageKeyPinsOf,
  keyMayVouchFor,
  whyKeyMayNotVouch,
  NO_IMAGE_KEY_PINS,
  type ImageKeyPins,
} from './image-key-pins.js';
export { availableUpdate, type UpdateQuery } from './update-detection.js';
export { chooseCatalogVersion, versionsForManifest } from './version-choice.js';
export {
  CatalogStore,
  BUNDLED_CATALOG_DIR,
  type CatalogSnapshot,
  type CatalogStatus,
  type CatalogStoreOptions,
  type RefreshAttempt,
  type RefreshResult,
} from './catalog-store.js';
export {
  bundleCatalog,
  curatedCatalog,
  DEFAULT_DEV_KEYS_DIR,
  BUNDLED_CATALOG_VALID_DAYS,
  type BundleOptions,
  type BundleResult,
  type CuratedReleases,
} from './bundle-catalog.js';
