// The root filesystem of an image a manifest's `build:` describes: Debian busybox-static's
// /bin/busybox with the applets asked for, plus files and folders of the app's own folder. Only
// regular files and folders are copied: a link in the app folder could point anywhere on the
// host, so it is refused rather than followed.

import { createHash } from 'node:crypto';
import { copyFile, lstat, mkdir, readdir } from 'node:fs/promises';
import { dirname, isAbsolute, join, posix, relative, sep } from 'node:path';
import { ArchyError, RpcErrorCode } from '../kernel/index.js';
import type { BuildSpec } from '../manifest/index.js';
import { addBusyboxBase, sha256OfFile, type RootfsSources } from '../pipeline/index.js';

/** A demo app's files are small; this keeps a recipe from copying a disk into an image. */
const MAX_RECIPE_BYTES = 256 * 1024 * 1024;

export interface RecipeRootfs {
  rootDir: string;
  sources: RootfsSources;
  /** SHA-256 over everything that went in: the same inputs give the same value, so a rebuild is skipped. */
  inputsSha256: string;
}

const refused = (message: string): ArchyError => new ArchyError(RpcErrorCode.InvalidManifest, message);

/** Builds the tree under `workDir/rootfs` from the recipe and the app folder `appDir`. */
export async function buildRecipeRootfs(options: {
  appId: string;
  appDir: string;
  spec: BuildSpec;
  workDir: string;
}): Promise<RecipeRootfs> {
  const rootDir = join(options.workDir, 'rootfs');
  await mkdir(join(rootDir, 'tmp'), { recursive: true, mode: 0o1777 });
  const sources: RootfsSources = new Map();
  await addBusyboxBase(rootDir, options.spec.applets, sources);

  const inputs = createHash('sha256');
  inputs.update(
    `base busybox ${await sha256OfFile('/bin/busybox')}\napplets ${options.spec.applets.join(' ')}\n`,
  );
  let total = 0;
  for (const { from, to } of options.spec.files) {
    const source = join(options.appDir, from);
    await refuseLinkedFolders(source, options.appDir);
    for (const file of await regularFilesUnder(source, options.appDir)) {
      const inside = relative(source, file.path);
      const imagePath = inside === '' ? to : posix.join(to, inside.split('\\').join('/'));
      total += file.size;
      if (total > MAX_RECIPE_BYTES)
        throw refused(
          `build.files of '${options.appId}' copy more than ${MAX_RECIPE_BYTES} bytes; an image recipe is for small files`,
        );
      await mkdir(dirname(join(rootDir, imagePath)), { recursive: true });
      await copyFile(file.path, join(rootDir, imagePath));
      const appPath = relative(options.appDir, file.path);
      sources.set(imagePath, { kind: 'app', source: appPath });
      // The mode too: copyFile keeps it, so a script made executable is a different image.
      const mode = (file.mode & 0o7777).toString(8);
      inputs.update(`${imagePath} ${appPath} ${mode} ${await sha256OfFile(file.path)}\n`);
    }
  }
  return { rootDir, sources, inputsSha256: inputs.digest('hex') };
}

const isOutside = (inside: string): boolean =>
  inside === '..' || inside.startsWith(`..${sep}`) || isAbsolute(inside);

/**
 * Refuses a `from` whose folders on the way from `appDir` include a link: lstat below sees only
 * the last part, and `linked/passwd` must not copy the host's file the link points into.
 */
async function refuseLinkedFolders(path: string, appDir: string): Promise<void> {
  const inside = relative(appDir, path);
  if (isOutside(inside)) return; // refused as outside by regularFilesUnder
  let at = appDir;
  for (const part of inside.split(sep).slice(0, -1)) {
    at = join(at, part);
    const info = await lstat(at).catch(() => undefined);
    if (info?.isSymbolicLink())
      throw refused(
        `${at} is a symbolic link; a recipe copies only regular files and folders of the app's folder`,
      );
  }
}

/** Regular files at or under `path` (sorted), refusing links and anything outside `appDir`. */
async function regularFilesUnder(
  path: string,
  appDir: string,
): Promise<{ path: string; size: number; mode: number }[]> {
  const inside = relative(appDir, path);
  if (isOutside(inside)) throw refused(`${path} is outside the app's folder ${appDir}`);
  let info;
  try {
    info = await lstat(path);
  } catch {
    throw refused(`build.files names ${inside}, which is not in the app's folder ${appDir}`);
  }
  if (info.isSymbolicLink())
    throw refused(
      `${path} is a symbolic link; a recipe copies only regular files and folders of the app's folder`,
    );
  if (info.isFile()) return [{ path, size: info.size, mode: info.mode }];
  if (!info.isDirectory()) throw refused(`${path} is neither a file nor a folder`);
  const found: { path: string; size: number; mode: number }[] = [];
  for (const name of (await readdir(path)).sort())
    found.push(...(await regularFilesUnder(join(path, name), appDir)));
  return found;
}
