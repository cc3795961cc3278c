// Public surface of image SBOMs: what files an image holds and where each came from, as
// CycloneDX JSON. The CycloneDX library is imported only inside buildSbom, so importing this
// module costs the daemon nothing until an SBOM is actually built.
export { buildSbom, SBOM_PROPERTY } from './build-sbom.js';
export { debianOriginOf } from './debian-origin.js';
export { listRootfsFiles, type RootfsFile, type RootfsListing, type RootfsSymlink } from './rootfs-files.js';
export { debianPurl, releasePurl } from './purl.js';
export type {
  AppFileOrigin,
  BuiltSbom,
  DebianFileOrigin,
  FileOrigin,
  GeneratedFileOrigin,
  ReleaseFileOrigin,
  SbomFile,
  SbomInput,
  SbomSubject,
  SbomSymlink,
} from './sbom-input.js';
