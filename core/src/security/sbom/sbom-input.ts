/**
 * What an image's software bill of materials is made from: every regular file of the image's
 * root filesystem, each with the one place its bytes came from. The image builder fills this in
 * as it copies files; nothing here reads the disk.
 */

/** The image the SBOM describes. */
export interface SbomSubject {
  /** Image name without the tag, e.g. `localhost/archipelago/bitcoin-core`. */
  name: string;
  /** The tag, e.g. `31.1`. */
  version: string;
  /** Podman's image ID (`sha256:…` of the image config), once the image exists. */
  imageId?: string;
}

/** A release tarball verified against SHA256SUMS and a threshold of pinned builder signatures. */
export interface ReleaseFileOrigin {
  kind: 'release';
  implementation: 'core' | 'knots';
  /** The release version, e.g. `31.1`. */
  version: string;
  /** The tarball's file name, e.g. `bitcoin-31.1-x86_64-linux-gnu.tar.gz`. */
  tarball: string;
  /** Its verified SHA-256, lowercase hex. */
  tarballSha256: string;
  /** Where it was downloaded from (or `file:` for a tarball brought on a USB stick). */
  url: string;
  /** The file's path inside the tarball, e.g. `bitcoin-31.1/bin/bitcoind`. */
  member: string;
  /** OpenPGP fingerprints of the pinned builders whose signatures over SHA256SUMS were good. */
  signers: string[];
}

/** A file installed on this host by a Debian package, copied into the image. */
export interface DebianFileOrigin {
  kind: 'debian';
  /** Binary package name as dpkg knows it, without the `:arch` suffix, e.g. `libc6`. */
  package: string;
  /** Installed version, e.g. `2.36-9+deb12u10`. */
  version: string;
  /** Debian architecture, e.g. `amd64`, or `all`. */
  architecture: string;
  /** The host path the file was copied from (as given to debianOriginOf). */
  hostPath: string;
  /** `<ID>-<VERSION_ID>` from /etc/os-release, e.g. `debian-12`: the purl `distro` qualifier. */
  distro?: string;
  /** The source package, when it differs from the binary package (e.g. `glibc` for `libc6`). */
  sourcePackage?: string;
}

/** A file of an app's own folder (a demo app's web root, say). */
export interface AppFileOrigin {
  kind: 'app';
  appId: string;
  /** Its path inside the app folder, e.g. `www/index.html`. */
  source: string;
}

/** A file the image builder wrote itself (/etc/passwd, the entrypoint script). */
export interface GeneratedFileOrigin {
  kind: 'generated';
  /** What wrote it, e.g. `archipelago image builder`. */
  by: string;
}

export type FileOrigin = ReleaseFileOrigin | DebianFileOrigin | AppFileOrigin | GeneratedFileOrigin;

/** One regular file of the image. */
export interface SbomFile {
  /** Absolute path inside the image, e.g. `/usr/local/bin/bitcoind`. */
  path: string;
  /** Lowercase hex SHA-256 of the file's bytes as they are in the image. */
  sha256: string;
  size: number;
  origin: FileOrigin;
}

/** A symbolic link of the image: it has no bytes of its own, so it is recorded, not hashed. */
export interface SbomSymlink {
  path: string;
  target: string;
}

export interface SbomInput {
  subject: SbomSubject;
  /** The SBOM's timestamp; taken from the input so the same build gives the same bytes. */
  createdAt: Date;
  /** One per regular file in the image's root filesystem. */
  files: SbomFile[];
  symlinks?: SbomSymlink[];
  /** Recorded as the tool that made the SBOM; omitted when not given. */
  generatorVersion?: string;
}

/** The SBOM as written: CycloneDX JSON text and the SHA-256 of its UTF-8 bytes. */
export interface BuiltSbom {
  json: string;
  sha256: string;
}
