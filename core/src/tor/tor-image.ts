// The image every Tor of this node runs (the apps' sidecars, the node's own): built here from the
// host's Debian `tor` package — its binary, the shared libraries `ldd` names, the dynamic loader
// and the GeoIP files if installed — with the image pipeline's rootfs, tar and SBOM code. No image
// is pulled: apt verified these files, and the SBOM names the Debian package of each.
//
//   localhost/archipelago/tor:<the package's version, made a valid tag>
//   DATA_DIR/images/.tor/<tag>/provenance.json, sbom.cdx.json   (`.tor`: never an app id)
//
// Built on first need and again when the host's tor package has another version (a new tag).

import { execFile } from 'node:child_process';
import {
  access,
  chmod,
  copyFile,
  mkdir,
  mkdtemp,
  readFile,
  realpath,
  rm,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { ArchyError, RpcErrorCode } from '../kernel/index.js';
import { runPodman } from '../podman/index.js';
import {
  checkHostArch,
  elfInterpreter,
  removeLocalImage,
  SBOM_FORMAT,
  sbomForRootfs,
  writeRootOwnedTar,
  type RootfsSources,
} from '../pipeline/index.js';
import { importImageTarball, NODE_BUILT_LABEL, normaliseImageId } from '../provisioning/index.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import { TOR_HOME, TORRC_PATH } from './torrc.js';

const run = promisify(execFile);

export const TOR_IMAGE_REPOSITORY = 'localhost/archipelago/tor';
/** The host package's exact version (the tag had to lose `+`, `~` and `:`). */
export const TOR_PACKAGE_VERSION_LABEL = 'io.archipelago.tor-package-version';
const GEOIP_FILES = ['/usr/share/tor/geoip', '/usr/share/tor/geoip6'];
const NODE_ARCH_TO_TRIPLET: Record<string, string> = { x64: 'x86_64-linux-gnu', arm64: 'aarch64-linux-gnu' };

export interface TorImage {
  reference: string;
  /** `sha256:<hex>`: what containers run. */
  imageId: string;
  /** The host's tor package version it was built from. */
  packageVersion: string;
}

export interface EnsureTorImageOptions {
  /** `unix://<socket>` of the daemon's Podman service; the local CLI otherwise. */
  podmanUrl?: string;
  /** Scratch space for the rootfs and tarball (cleaned up). */
  workRoot: string;
  /** DataLayout.imagesDir: where the provenance and SBOM go (under `.tor/`). */
  imagesDir: string;
  /** Named in the error when tor is missing, so the user knows which app asked. */
  appId?: string;
  onProgress?: (detail: string) => void;
  now?: () => Date;
}

/** `0.4.9.11-0+deb12u1` → `0.4.9.11-0_deb12u1`: an OCI tag is `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`. */
export function torImageTag(packageVersion: string): string {
  return packageVersion
    .replace(/[^A-Za-z0-9_.-]/g, '_')
    .replace(/^[.-]/, '_')
    .slice(0, 128);
}

export const torImageReference = (packageVersion: string): string =>
  `${TOR_IMAGE_REPOSITORY}:${torImageTag(packageVersion)}`;

/** The installed tor package's version; a clear error (what to run) when it is not installed. */
export async function hostTorVersion(appId?: string): Promise<string> {
  let status = '';
  try {
    ({ stdout: status } = await run('dpkg-query', ['-W', '-f', '${Status}\t${Version}', 'tor']));
  } catch {
    // dpkg-query fails for a package it never heard of: the same answer as "not installed".
  }
  const [state, version] = status.split('\t');
  if (!state?.endsWith(' installed') || !version) throw torMissing(appId);
  return version;
}

function torMissing(appId: string | undefined): ArchyError {
  const clearnet = appId
    ? `, or run ${appId} without Tor: archy config ${appId} --tor off (its onion services still need Tor)`
    : '';
  return new ArchyError(
    RpcErrorCode.ImageUnavailable,
    `Tor is not installed on this node, and its Tor image is built from the host's tor package: ` +
      `run sudo apt-get install tor${clearnet}`,
  );
}

const building = new Map<string, Promise<TorImage>>();

/** The Tor image for the host's tor version: the existing one, or built now (one build at a time). */
export async function ensureTorImage(options: EnsureTorImageOptions): Promise<TorImage> {
  const packageVersion = await hostTorVersion(options.appId);
  const reference = torImageReference(packageVersion);
  // Trusted by the record this node wrote when it built it, never by the tag alone (as for every
  // image the node builds): a tag without a matching record is built again.
  const existing = await imageIdOf(reference, options.podmanUrl);
  if (existing && (await recordedImageId(options.imagesDir, reference)) === existing)
    return { reference, imageId: existing, packageVersion };
  let pending = building.get(reference);
  if (!pending) {
    pending = buildTorImage(reference, packageVersion, options).finally(() => building.delete(reference));
    building.set(reference, pending);
  }
  return pending;
}

const tagOf = (reference: string): string => reference.slice(TOR_IMAGE_REPOSITORY.length + 1);

async function recordedImageId(imagesDir: string, reference: string): Promise<string | undefined> {
  try {
    const record = JSON.parse(
      await readFile(join(imagesDir, '.tor', tagOf(reference), 'provenance.json'), 'utf8'),
    ) as { reference?: unknown; imageId?: unknown };
    return record.reference === reference && typeof record.imageId === 'string' ? record.imageId : undefined;
  } catch {
    return undefined;
  }
}

async function imageIdOf(reference: string, podmanUrl: string | undefined): Promise<string | undefined> {
  const remote = podmanUrl ? ['--url', podmanUrl] : [];
  try {
    const { stdout } = await runPodman([...remote, 'image', 'inspect', '--format', '{{.Id}}', reference], {
      doing: `looking for ${reference}`,
    });
    const id = stdout.trim().split('\n')[0]?.trim();
    return id ? normaliseImageId(id) : undefined;
  } catch {
    return undefined;
  }
}

/** The loader and libraries `ldd` prints for a binary (pure: ldd's output in, paths out). */
export function parseLdd(output: string): { libraries: string[]; loader?: string; missing: string[] } {
  const libraries: string[] = [];
  const missing: string[] = [];
  let loader: string | undefined;
  for (const raw of output.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    const arrow = /^(\S+) => (.+?)(?: \(0x[0-9a-f]+\))?$/.exec(line);
    if (arrow) {
      if (arrow[2] === 'not found') missing.push(arrow[1]!);
      else if (arrow[2]!.startsWith('/')) libraries.push(arrow[2]!);
      continue;
    }
    const bare = /^(\/\S+) \(0x[0-9a-f]+\)$/.exec(line);
    if (bare) loader = bare[1]!;
    // Anything else (linux-vdso.so.1: the kernel's, no file) is not copied.
  }
  return { libraries, ...(loader !== undefined && { loader }), missing };
}

/** tor's binary as the package installed it (/usr/bin/tor or, on Debian, /usr/sbin/tor). */
async function torBinary(): Promise<string> {
  const { stdout } = await run('dpkg-query', ['-L', 'tor']);
  const candidates = stdout.split('\n').filter((path) => /^\/usr\/s?bin\/tor$/.test(path.trim()));
  for (const path of candidates) {
    if (
      await access(path.trim()).then(
        () => true,
        () => false,
      )
    )
      return path.trim();
  }
  throw new ArchyError(
    RpcErrorCode.ImageUnavailable,
    'the tor package is installed but its tor binary is missing; reinstall it: sudo apt-get install --reinstall tor',
  );
}

async function buildTorImage(
  reference: string,
  packageVersion: string,
  options: EnsureTorImageOptions,
): Promise<TorImage> {
  const triplet = NODE_ARCH_TO_TRIPLET[process.arch];
  if (!triplet)
    throw new ArchyError(RpcErrorCode.ImageUnavailable, `a Tor image cannot be built on ${process.arch} yet`);
  const loader = checkHostArch(triplet);
  await mkdir(options.workRoot, { recursive: true, mode: 0o700 });
  const workDir = await mkdtemp(join(options.workRoot, 'archy-tor-'));
  try {
    options.onProgress?.(`building ${reference} from the host's tor ${packageVersion}`);
    const rootDir = join(workDir, 'rootfs');
    const sources: RootfsSources = new Map();
    const add = async (hostPath: string, imagePath: string, mode: number): Promise<void> => {
      await mkdir(dirname(join(rootDir, imagePath)), { recursive: true });
      // Sonames are symlinks to versioned files; the image gets the content under the name asked for.
      await copyFile(await realpath(hostPath), join(rootDir, imagePath));
      await chmod(join(rootDir, imagePath), mode);
      sources.set(imagePath, { kind: 'host', hostPath });
    };

    const binary = await torBinary();
    await add(binary, binary, 0o755);
    const interpreter = await elfInterpreter(binary);
    if (interpreter !== loader.interpreter)
      throw new ArchyError(
        RpcErrorCode.ImageUnavailable,
        `${binary} names the loader ${interpreter ?? '(none)'}, not ${loader.interpreter}; cannot build the Tor image`,
      );
    const ldd = parseLdd((await run('ldd', [binary])).stdout);
    if (ldd.missing.length > 0)
      throw new ArchyError(
        RpcErrorCode.ImageUnavailable,
        `tor needs ${ldd.missing.join(', ')}, which this host lacks; repair it: sudo apt-get install --reinstall tor`,
      );
    for (const library of ldd.libraries) await add(library, library, 0o755);
    // The loader under its multiarch name, and the interpreter path the binary names linking to it.
    const loaderPath = `/lib/${loader.triplet}/${loader.loader}`;
    await add(ldd.loader ?? loader.interpreter, loaderPath, 0o755);
    if (loader.interpreter !== loaderPath) {
      await mkdir(dirname(join(rootDir, loader.interpreter)), { recursive: true });
      await symlink(loaderPath, join(rootDir, loader.interpreter));
    }
    for (const file of GEOIP_FILES)
      if (
        await access(file).then(
          () => true,
          () => false,
        )
      )
        await add(file, file, 0o644);

    await mkdir(join(rootDir, 'etc'), { recursive: true });
    await writeFile(join(rootDir, 'etc/passwd'), 'root:x:0:0:root:/var/lib/tor:/nonexistent\n');
    await writeFile(join(rootDir, 'etc/group'), 'root:x:0:\n');
    for (const file of ['/etc/passwd', '/etc/group'])
      sources.set(file, {
        kind: 'generated',
        by: 'archipelago (root only: Tor runs as the container’s uid 0)',
      });
    await mkdir(join(rootDir, TOR_HOME.slice(1)), { recursive: true, mode: 0o700 });

    const createdAt = options.now?.() ?? new Date();
    const tag = tagOf(reference);
    const sbom = await sbomForRootfs({
      subject: { name: TOR_IMAGE_REPOSITORY, version: tag },
      rootDir,
      sources,
      createdAt,
      appId: '.tor',
    });
    const tarball = join(workDir, 'rootfs.tar');
    await writeRootOwnedTar(rootDir, tarball);
    const imageId = await importTar(tarball, reference, { packageVersion, binary }, options.podmanUrl);
    try {
      const dir = join(options.imagesDir, '.tor', tag);
      await writeFileAtomic(join(dir, 'sbom.cdx.json'), sbom.json, 0o644);
      const provenance = {
        schemaVersion: 1,
        reference,
        imageId,
        builtAt: createdAt.toISOString(),
        origin: { kind: 'debian', package: 'tor', version: packageVersion, binary },
        sbom: { file: 'sbom.cdx.json', sha256: sbom.sha256, format: SBOM_FORMAT },
      };
      await writeFileAtomic(join(dir, 'provenance.json'), `${JSON.stringify(provenance, null, 2)}\n`, 0o644);
    } catch (error) {
      await removeLocalImage(reference, options.podmanUrl);
      throw error;
    }
    return { reference, imageId, packageVersion };
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

async function importTar(
  tarball: string,
  reference: string,
  { packageVersion, binary }: { packageVersion: string; binary: string },
  podmanUrl: string | undefined,
): Promise<string> {
  const changes = [
    `LABEL org.opencontainers.image.version=${JSON.stringify(packageVersion)}`,
    `LABEL org.opencontainers.image.title="Tor (the host's Debian tor package)"`,
    `LABEL ${NODE_BUILT_LABEL}=node`,
    `LABEL ${TOR_PACKAGE_VERSION_LABEL}=${JSON.stringify(packageVersion)}`,
    // An empty defaults file: nothing of /etc/tor; the daemon's torrc says everything.
    `ENTRYPOINT ${JSON.stringify([binary, '--defaults-torrc', '/dev/null', '-f', TORRC_PATH])}`,
    `WORKDIR ${TOR_HOME}`,
    `ENV HOME=${TOR_HOME}`,
  ];
  return importImageTarball({ tarball, reference, changes, podmanUrl });
}
