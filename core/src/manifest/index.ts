// The manifest module: YAML app manifests in, validated and normalized AppManifest out, or a
// ManifestError whose issues point at file:line:col.

export { parseManifest, loadManifestFile, MAX_MANIFEST_BYTES, MAX_ALIAS_EXPANSIONS } from './parse.js';
export { ManifestError, formatIssue, formatIssues, type ManifestIssue } from './errors.js';
export { appManifestSchema, APP_ID_PATTERN, VOLUME_NAME_PATTERN } from './schema.js';
export { SERVICE_NAME_PATTERN } from './services.js';
export { parseImageReference, isFloatingTag, FLOATING_TAGS, type ImageReference } from './image-reference.js';
export { parseByteSize, parseDuration } from './units.js';
export { KNOWN_INTERFACE_KINDS, ZMQ_TOPICS } from './exports-schema.js';
export {
  allowedReferences,
  checkReferenceText,
  envPrefix,
  referencesIn,
  splitReferences,
  type ReferenceKind,
  type ReferencePart,
} from './references.js';
export type {
  AppManifest,
  AppCategory,
  ChainNetwork,
  PortSpec,
  VolumeSpec,
  ResourceSpec,
  DependencySpec,
  ExportsSpec,
  BitcoinNodeExports,
  LightningNodeExports,
  VolumeFileSpec,
  PortExport,
  SecuritySpec,
  HealthSpec,
  HttpProbe,
  TcpProbe,
  ExecProbe,
  BitcoinSpec,
  LightningSpec,
  Web5Spec,
  BuildSpec,
  BuildFileSpec,
  ServiceSpec,
  AppOrigin,
  WebLogin,
  OnionServiceSpec,
  TorSpec,
} from './types.js';
