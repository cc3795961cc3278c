import { execFile } from 'node:child_process';
import { readFile, realpath, stat } from 'node:fs/promises';
import { promisify } from 'node:util';
import { ArchyError, RpcErrorCode } from '../../kernel/index.js';
import type { DebianFileOrigin } from './sbom-input.js';

const run = promisify(execFile);

/** dpkg's database answers in milliseconds; a minute means it is locked or broken. */
const DPKG_TIMEOUT_MS = 60_000;
const DPKG_MAX_OUTPUT = 16 * 1024 * 1024;

/** Top-level folders that merged-/usr turned into links to /usr/<name>. */
const MERGED_USR_DIRS = ['bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32'];

/** Debian's name for the CPU Node runs on; only used to pick among Multi-Arch: same co-owners. */
const DEBIAN_ARCH: Record<string, string> = {
  x64: 'amd64',
  arm64: 'arm64',
  arm: 'armhf',
  ia32: 'i386',
  ppc64: 'ppc64el',
  s390x: 's390x',
  riscv64: 'riscv64',
};

const refused = (message: string, cause?: unknown): ArchyError =>
  new ArchyError(RpcErrorCode.ImageUnavailable, message, { cause });

/**
 * Which installed Debian package each host file came from (name, version, architecture), so the
 * image's SBOM can name it. Two `dpkg-query` runs for the whole list (-S for owners, -W for
 * versions), however many files.
 *
 * The image gets a file's *content*, which lives at its realpath (sonames are symlinks to
 * versioned files), so the owner of the real file is asked for — under both spellings, because on
 * a merged-/usr system (bookworm) dpkg may have recorded `/lib/x86_64-linux-gnu/libc.so.6` while
 * its realpath is `/usr/lib/…`, or the other way round. A file no package owns is refused: an
 * image must not ship bytes of unknown origin.
 */
export async function debianOriginOf(
  hostPaths: readonly string[],
  options: { timeoutMs?: number } = {},
): Promise<Map<string, DebianFileOrigin>> {
  const unique = [...new Set(hostPaths)];
  const result = new Map<string, DebianFileOrigin>();
  if (unique.length === 0) return result;
  const timeout = options.timeoutMs ?? DPKG_TIMEOUT_MS;

  const spellings = new Map<string, string[]>();
  for (const hostPath of unique) spellings.set(hostPath, usrSpellings(await realFile(hostPath)));
  const owners = await ownersOf([...new Set([...spellings.values()].flat())], timeout);

  const ownerOf = new Map<string, string>();
  const unowned: string[] = [];
  for (const [hostPath, candidates] of spellings) {
    const found = candidates.map((path) => owners.get(path)).find((o) => o !== undefined);
    if (!found) {
      unowned.push(`${hostPath} (looked up as ${candidates.join(' and ')})`);
      continue;
    }
    ownerOf.set(hostPath, pickOwner(hostPath, found));
  }
  if (unowned.length > 0)
    throw refused(
      `no installed Debian package owns ${unowned.join('; ')}, so the image would ship files of unknown ` +
        'origin; install the file from its Debian package (e.g. apt-get install busybox-static), or leave it out of the image',
    );

  const packages = await installedPackages([...new Set(ownerOf.values())], timeout);
  const distro = await hostDistro();
  for (const [hostPath, owner] of ownerOf) {
    const pkg = packages.get(owner);
    if (!pkg)
      throw refused(
        `dpkg says ${owner} owns ${hostPath}, but does not list ${owner} as installed; ` +
          'finish or repair the package installation (dpkg --configure -a, apt-get install --reinstall) and build again',
      );
    result.set(hostPath, {
      kind: 'debian',
      package: pkg.name,
      version: pkg.version,
      architecture: pkg.architecture,
      hostPath,
      ...(distro ? { distro } : {}),
      ...(pkg.source && pkg.source !== pkg.name ? { sourcePackage: pkg.source } : {}),
    });
  }
  return result;
}

/** The file whose bytes would be copied; refuses what is missing or not a regular file. */
async function realFile(hostPath: string): Promise<string> {
  let real: string;
  try {
    real = await realpath(hostPath);
  } catch (cause) {
    throw refused(`${hostPath} does not exist on this host, so its Debian package cannot be named`, cause);
  }
  if (!(await stat(real)).isFile())
    throw refused(`${hostPath} is not a regular file (it resolves to ${real}); only files go into an image`);
  return real;
}

/** A path under both merged-/usr spellings, the given one first. */
export function usrSpellings(path: string): string[] {
  const parts = path.split('/');
  if (parts[1] === 'usr' && MERGED_USR_DIRS.includes(parts[2] ?? ''))
    return [path, `/${parts.slice(2).join('/')}`];
  if (MERGED_USR_DIRS.includes(parts[1] ?? '') && parts.length > 2) return [path, `/usr${path}`];
  return [path];
}

/** `dpkg-query -S` over all paths at once: path → the package names that own it. */
async function ownersOf(paths: string[], timeout: number): Promise<Map<string, string[]>> {
  // Exit status 1 only means some path has no owner; those are reported by the caller, by name.
  const stdout = await dpkgQuery(['-S', '--', ...paths], timeout, [1]);
  const wanted = new Set(paths);
  const owners = new Map<string, string[]>();
  for (const line of stdout.split('\n')) {
    // `pkg[:arch][, pkg2…]: /path`; diversion notes are not ownership.
    if (line.startsWith('diversion by ')) continue;
    const at = line.indexOf(': /');
    if (at < 0) continue;
    const path = line.slice(at + 2);
    if (!wanted.has(path)) continue; // dpkg patterns can match more than the literal path
    owners.set(
      path,
      line
        .slice(0, at)
        .split(', ')
        .map((name) => name.trim()),
    );
  }
  return owners;
}

/** One owner; several only for Multi-Arch: same packages of different architectures. */
function pickOwner(hostPath: string, owners: string[]): string {
  if (owners.length === 1) return owners[0]!;
  const native = DEBIAN_ARCH[process.arch];
  const matching = owners.filter((o) => native !== undefined && o.endsWith(`:${native}`));
  if (matching.length === 1) return matching[0]!;
  throw refused(
    `${hostPath} is owned by several Debian packages (${owners.join(', ')}), so its origin is ambiguous; ` +
      'copy the file from a path only one package owns',
  );
}

interface InstalledPackage {
  name: string;
  version: string;
  architecture: string;
  source: string;
}

/** `dpkg-query -W` for the owners, keyed by the name -S printed (`libc6:amd64`, `busybox-static`). */
async function installedPackages(names: string[], timeout: number): Promise<Map<string, InstalledPackage>> {
  const format =
    '${binary:Package}\\t${Package}\\t${Version}\\t${Architecture}\\t${source:Package}\\t${db:Status-Abbrev}\\n';
  const stdout = await dpkgQuery(['-W', `-f=${format}`, '--', ...names], timeout, [1]);
  const packages = new Map<string, InstalledPackage>();
  for (const line of stdout.split('\n')) {
    const [key, name, version, architecture, source, status] = line.split('\t');
    // "ii": wanted and installed; a half-installed or config-files package is not what is on disk.
    if (!key || !name || !version || !architecture || status?.trim() !== 'ii') continue;
    packages.set(key, { name, version, architecture, source: source ?? name });
  }
  return packages;
}

async function dpkgQuery(args: string[], timeout: number, okCodes: number[]): Promise<string> {
  try {
    const { stdout } = await run('dpkg-query', args, {
      timeout,
      maxBuffer: DPKG_MAX_OUTPUT,
      env: { ...process.env, LC_ALL: 'C' },
    });
    return stdout;
  } catch (cause) {
    const err = cause as { code?: unknown; stdout?: string; killed?: boolean };
    if (typeof err.code === 'number' && okCodes.includes(err.code) && !err.killed) return err.stdout ?? '';
    if (err.killed)
      throw refused(
        `dpkg-query ${args[0]} did not answer within ${timeout / 1000} s; is another dpkg or apt run holding its database?`,
        cause,
      );
    if (err.code === 'ENOENT')
      throw refused(
        'dpkg-query is not installed, so the Debian packages of the image base cannot be named; ' +
          'build images on a Debian-based host',
        cause,
      );
    throw refused(`dpkg-query ${args[0]} failed (${(cause as Error).message.split('\n')[0]})`, cause);
  }
}

/** `<ID>-<VERSION_ID>` of /etc/os-release (`debian-12`), or undefined on hosts without one. */
async function hostDistro(): Promise<string | undefined> {
  let text: string;
  try {
    text = await readFile('/etc/os-release', 'utf8');
  } catch {
    return undefined;
  }
  const field = (name: string): string | undefined => {
    const match = new RegExp(`^${name}=(.*)$`, 'm').exec(text);
    return match?.[1]?.trim().replace(/^(["'])(.*)\1$/, '$2') || undefined;
  };
  const id = field('ID');
  const version = field('VERSION_ID');
  return id && version ? `${id}-${version}` : id;
}
