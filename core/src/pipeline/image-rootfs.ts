// The image's root filesystem, built here from files on this host because no base-image registry
// is reachable from the build machine:
//
//   /bin/busybox + a few applets   Debian's busybox-static: `sh` and `cat` are what the daemon's
//                                  rpcauth prelude and the entrypoint need; nothing else is linked
//   /lib/<triplet>/ + the loader   glibc's runtime (libc, libm, libpthread, libdl, librt, libgcc_s,
//                                  libatomic): official Bitcoin Core / Knots binaries are
//                                  glibc-dynamic, and these are the only libraries their release
//                                  checks (contrib/guix/symbol-check.py) let them link
//   /usr/local/bin/bitcoind, bitcoin-cli   from the verified tarball
//   /usr/local/bin/archy-entrypoint        finds bitcoind across layouts (see ENTRYPOINT_SCRIPT)
//   /etc/passwd, /etc/group        user and group `bitcoin`, 1000:1000
//   /home/bitcoin, /data           owned by 1000:1000; /tmp 1777
//
// A production build starts instead from a pinned, digest-referenced minimal glibc base (see the
// README); what this folder holds is the same set of files.

import { execFile } from 'node:child_process';
import { chmod, copyFile, mkdir, realpath, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { elfInterpreter } from './elf-interpreter.js';
import { releaseRefused } from './pipeline-error.js';
import { extractReleaseBinaries, type ReleaseBinary } from './release-binaries.js';

const run = promisify(execFile);

export const IMAGE_UID = 1000;
export const IMAGE_USER = 'bitcoin';
export const ENTRYPOINT_PATH = '/usr/local/bin/archy-entrypoint';
const BUSYBOX = '/bin/busybox';
const APPLETS = ['sh', 'cat', 'ls', 'sleep', 'kill', 'ps', 'id', 'env'];
const GLIBC_LIBRARIES = [
  'libc.so.6',
  'libm.so.6',
  'libpthread.so.0',
  'libdl.so.2',
  'librt.so.1',
  'libgcc_s.so.1',
  'libatomic.so.1',
];

/** The dynamic loader each supported CPU's binaries name, and the Debian multiarch folder. */
const LOADERS: Record<string, { triplet: string; loader: string; interpreter: string }> = {
  x86_64: {
    triplet: 'x86_64-linux-gnu',
    loader: 'ld-linux-x86-64.so.2',
    interpreter: '/lib64/ld-linux-x86-64.so.2',
  },
  aarch64: {
    triplet: 'aarch64-linux-gnu',
    loader: 'ld-linux-aarch64.so.1',
    interpreter: '/lib/ld-linux-aarch64.so.1',
  },
};
const NODE_ARCH_TO_CPU: Record<string, string> = { x64: 'x86_64', arm64: 'aarch64' };

/**
 * Finds bitcoind/bitcoin-cli wherever an image of ours keeps them: /usr/local/bin today, /usr/bin
 * or an unpacked /opt/bitcoin-<v>/bin in other layouts. `bitcoind …`, `bitcoin-cli …` and bare
 * `-option`s run the binary found; anything else is run as given.
 */
export const ENTRYPOINT_SCRIPT = `#!/bin/sh
# archy-entrypoint: runs bitcoind / bitcoin-cli wherever this image's layout put them.
find_binary() {
  for dir in /usr/local/bin /usr/bin /opt/bitcoin/bin /opt/bitcoin-*/bin; do
    if [ -x "$dir/$1" ]; then echo "$dir/$1"; return 0; fi
  done
  echo "archy-entrypoint: $1 not found in /usr/local/bin, /usr/bin or /opt/bitcoin*/bin" >&2
  return 1
}
if [ "$#" -eq 0 ]; then set -- bitcoind; fi
case "$1" in
  bitcoind|bitcoin-cli) binary="$(find_binary "$1")" || exit 127; shift; exec "$binary" "$@" ;;
  -*) binary="$(find_binary bitcoind)" || exit 127; exec "$binary" "$@" ;;
esac
exec "$@"
`;

/** The CPU of an arch triplet (`x86_64-linux-gnu` → `x86_64`). */
const cpuOf = (arch: string): string => arch.split('-')[0]!;

/**
 * The base is copied from this host, so the host must run the release's CPU: refuse a cross
 * build rather than ship an x86-64 libc under an aarch64 bitcoind.
 */
export function checkHostArch(arch: string): { triplet: string; loader: string; interpreter: string } {
  const cpu = cpuOf(arch);
  const host = NODE_ARCH_TO_CPU[process.arch] ?? process.arch;
  const loader = LOADERS[cpu];
  if (!loader)
    throw releaseRefused(
      'build',
      `cannot build an image for ${arch}: the base is made for ${Object.keys(LOADERS).join(' or ')} only`,
    );
  if (cpu !== host)
    throw releaseRefused(
      'build',
      `cannot build an ${arch} image on this ${host} host: the image's base (busybox, glibc) is copied ` +
        `from the host; run the pipeline on an ${cpu} machine`,
    );
  return loader;
}

/** Copies a host file into the image and records it under its image path. */
export async function addHostFile(
  rootDir: string,
  hostPath: string,
  imagePath: string,
  mode: number,
  sources: RootfsSources,
): Promise<void> {
  await copyHostFile(hostPath, join(rootDir, imagePath), mode);
  sources.set(imagePath, { kind: 'host', hostPath });
}

/**
 * The smallest base: Debian busybox-static's `/bin/busybox` (static, so no libraries) and a
 * symlink per applet. Refuses a dynamically linked busybox.
 */
export async function addBusyboxBase(
  rootDir: string,
  applets: readonly string[],
  sources: RootfsSources,
): Promise<void> {
  await mkdir(join(rootDir, 'bin'), { recursive: true });
  await addHostFile(rootDir, BUSYBOX, '/bin/busybox', 0o755, sources);
  await checkInterpreter(join(rootDir, 'bin/busybox'), BUSYBOX, undefined);
  for (const applet of applets) await symlink('busybox', join(rootDir, 'bin', applet));
}

async function copyHostFile(source: string, destination: string, mode: number): Promise<void> {
  try {
    // Sonames are often symlinks to versioned files; the image gets the content under the soname.
    await copyFile(await realpath(source), destination);
  } catch (cause) {
    const hint =
      source === BUSYBOX
        ? 'install busybox-static'
        : 'install libc6 and libgcc-s1 (every Debian host has them)';
    throw releaseRefused(
      'build',
      `the image base needs ${source} from this host, which is missing: ${hint}`,
      {
        cause,
      },
    );
  }
  await chmod(destination, mode);
}

/** Refuses a binary whose ELF interpreter the image lacks (or any dynamic one, for busybox). */
async function checkInterpreter(path: string, what: string, available: string | undefined): Promise<void> {
  let interpreter: string | undefined;
  try {
    interpreter = await elfInterpreter(path);
  } catch (cause) {
    throw releaseRefused('build', `${what}: ${(cause as Error).message}; refusing to ship it`, { cause });
  }
  if (interpreter !== undefined && interpreter !== available)
    throw releaseRefused(
      'build',
      available === undefined
        ? `${what} is dynamically linked (${interpreter}); install busybox-static, whose busybox needs no libraries`
        : `${what} needs the loader ${interpreter}, but the image's glibc base provides ${available}; ` +
            'check arch in the config matches the release',
    );
}

/** Where a file in the image came from: what its SBOM entry says. */
export type RootfsFileSource =
  /** Copied from this host: a file some Debian package installed. */
  | { kind: 'host'; hostPath: string }
  /** Taken from the verified release tarball. */
  | { kind: 'release'; member: string }
  /** From an app's own folder (a bundled app's recipe). */
  | { kind: 'app'; source: string }
  /** Written by the build itself. */
  | { kind: 'generated'; by: string };

/** Image path (e.g. `/usr/local/bin/bitcoind`) → where the file came from. */
export type RootfsSources = Map<string, RootfsFileSource>;

export interface RootfsLayout {
  /** Owned by root in the image. */
  rootDir: string;
  /** Owned by IMAGE_UID in the image: home/bitcoin and data. */
  userDir: string;
  /** Where bitcoind and bitcoin-cli were in the archive. */
  members: Record<ReleaseBinary, string>;
  /** Every regular file of the image and where it came from. */
  sources: RootfsSources;
}

/** Builds the two trees under `workDir` (root-owned and user-owned parts). */
export async function buildRootfs(options: {
  workDir: string;
  tarballPath: string;
  tarballName: string;
  arch: string;
  /**
   * bitcoind and bitcoin-cli taken out of this tarball before (and checked since against the
   * hashes recorded then): copied in, so a rebuild need not decompress the tarball again.
   */
  binaries?: Record<ReleaseBinary, { path: string; member: string }>;
}): Promise<RootfsLayout> {
  const loader = checkHostArch(options.arch);
  const rootDir = join(options.workDir, 'rootfs');
  const userDir = join(options.workDir, 'rootfs-user');
  for (const sub of ['bin', 'usr/local/bin', 'etc', 'tmp', 'home', `lib/${loader.triplet}`])
    await mkdir(join(rootDir, sub), { recursive: true });
  for (const sub of ['home/bitcoin', 'data'])
    await mkdir(join(userDir, sub), { recursive: true, mode: 0o755 });
  await chmod(join(rootDir, 'tmp'), 0o1777);

  const sources: RootfsSources = new Map();
  await addBusyboxBase(rootDir, APPLETS, sources);

  const hostLib = `/lib/${loader.triplet}`;
  for (const name of [loader.loader, ...GLIBC_LIBRARIES])
    await addHostFile(rootDir, join(hostLib, name), `/lib/${loader.triplet}/${name}`, 0o755, sources);
  const interpreterDir = join(rootDir, loader.interpreter, '..');
  await mkdir(interpreterDir, { recursive: true });
  await symlink(`/lib/${loader.triplet}/${loader.loader}`, join(rootDir, loader.interpreter));

  const members = options.binaries
    ? await copyKeptBinaries(options.binaries, join(rootDir, 'usr/local/bin'))
    : await extractReleaseBinaries(options.tarballPath, options.tarballName, join(rootDir, 'usr/local/bin'));
  for (const [name, member] of Object.entries(members)) {
    sources.set(`/usr/local/bin/${name}`, { kind: 'release', member });
    await checkInterpreter(
      join(rootDir, 'usr/local/bin', name),
      `${options.tarballName}: ${member}`,
      loader.interpreter,
    );
  }
  await writeFile(join(rootDir, ENTRYPOINT_PATH), ENTRYPOINT_SCRIPT, { mode: 0o755 });
  sources.set(ENTRYPOINT_PATH, {
    kind: 'generated',
    by: 'archipelago (finds bitcoind across release layouts)',
  });
  await writeFile(
    join(rootDir, 'etc/passwd'),
    `root:x:0:0:root:/root:/bin/sh\n${IMAGE_USER}:x:${IMAGE_UID}:${IMAGE_UID}:${IMAGE_USER}:/home/${IMAGE_USER}:/bin/sh\n`,
  );
  await writeFile(join(rootDir, 'etc/group'), `root:x:0:\n${IMAGE_USER}:x:${IMAGE_UID}:\n`);
  for (const file of ['/etc/passwd', '/etc/group'])
    sources.set(file, {
      kind: 'generated',
      by: `archipelago (user ${IMAGE_USER}, ${IMAGE_UID}:${IMAGE_UID})`,
    });
  return { rootDir, userDir, members, sources };
}

async function copyKeptBinaries(
  binaries: Record<ReleaseBinary, { path: string; member: string }>,
  destination: string,
): Promise<Record<ReleaseBinary, string>> {
  const members = {} as Record<ReleaseBinary, string>;
  for (const [name, { path, member }] of Object.entries(binaries) as [
    ReleaseBinary,
    { path: string; member: string },
  ][]) {
    await copyFile(path, join(destination, name));
    await chmod(join(destination, name), 0o755);
    members[name] = member;
  }
  return members;
}

/**
 * Tars the rootfs reproducibly (sorted names, mtime 0, numeric owners): the same release gives
 * the same layer digest. The user-owned part is appended with owner 1000.
 */
export async function writeRootfsTar(layout: RootfsLayout, tarball: string): Promise<void> {
  await writeRootOwnedTar(layout.rootDir, tarball);
  await run('tar', [
    ...REPRODUCIBLE_TAR,
    `--owner=${IMAGE_UID}`,
    `--group=${IMAGE_UID}`,
    '-C',
    layout.userDir,
    '-rf',
    tarball,
    './home/bitcoin',
    './data',
  ]);
}

/** Sorted names, mtime 0, numeric owners: the same tree always gives the same layer digest. */
const REPRODUCIBLE_TAR = ['--sort=name', '--mtime=@0', '--numeric-owner', '--format=gnu'];

/** Tars `rootDir` reproducibly with every entry owned by root. */
export async function writeRootOwnedTar(rootDir: string, tarball: string): Promise<void> {
  await run('tar', [...REPRODUCIBLE_TAR, '--owner=0', '--group=0', '-C', rootDir, '-cf', tarball, '.']);
}
