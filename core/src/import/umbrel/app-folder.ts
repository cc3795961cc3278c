// Reads one Umbrel app folder from disk: the three files as text (exports.sh is never run) and
// what the folder ships (Umbrel copies it into the app's data folder at install). The only part
// of the converter that touches the file system.

import { copyFile, lstat, mkdir, readFile, readdir, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { convertUmbrelApp, type Conversion, type UmbrelAppSource } from './convert.js';

// Umbrel app files are a few KiB; a larger one is not an app file.
const MAX_FILE_BYTES = 1024 * 1024;

async function readText(path: string): Promise<string | undefined> {
  try {
    const info = await stat(path);
    if (!info.isFile() || info.size > MAX_FILE_BYTES) return undefined;
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

// Umbrel's own files in an app folder, not the app's content (the Tor template goes with Tor).
const UMBREL_FILES =
  /^(umbrel-app\.yml|docker-compose\.yml|exports\.sh|README\.md|torrc.*|.*\.template|hooks(\/.*)?)$/;

// Files that only keep a folder in git: the folder starts empty on Umbrel too.
const PLACEHOLDERS = new Set(['.gitkeep', '.gitignore', '.keep', '.empty']);

/** Everything below `dir` (relative paths): files, and folders with the files below them. */
async function listShipped(dir: string): Promise<Map<string, 'file' | string[]>> {
  const shipped = new Map<string, 'file' | string[]>();
  const below = (folder: string, file: string): void => {
    const list = shipped.get(folder);
    if (Array.isArray(list)) list.push(file);
    else shipped.set(folder, [file]);
  };
  let entries;
  try {
    entries = await readdir(dir, { recursive: true, withFileTypes: true });
  } catch {
    return shipped;
  }
  for (const entry of entries) {
    const relative = join(entry.parentPath, entry.name).slice(dir.length + 1);
    if (UMBREL_FILES.test(relative) || PLACEHOLDERS.has(entry.name)) continue;
    if (entry.isFile()) {
      shipped.set(relative, 'file');
      // Each folder above a real file ships it ('' is the app folder, copied as APP_DATA_DIR).
      below('', relative);
      for (let at = relative.lastIndexOf('/'); at > 0; at = relative.lastIndexOf('/', at - 1))
        below(relative.slice(0, at), relative.slice(at + 1));
    }
  }
  return shipped;
}

/** Reads the folder's files; `undefined` for a folder without umbrel-app.yml and docker-compose.yml. */
export async function readUmbrelAppFolder(dir: string): Promise<UmbrelAppSource | undefined> {
  const [appYml, composeYml, exportsSh] = await Promise.all([
    readText(join(dir, 'umbrel-app.yml')),
    readText(join(dir, 'docker-compose.yml')),
    readText(join(dir, 'exports.sh')),
  ]);
  if (appYml === undefined && composeYml === undefined) return undefined;
  const shipped = await listShipped(dir);
  return {
    appYml: appYml ?? '',
    composeYml: composeYml ?? '',
    exportsSh,
    shipped: (relative) => shipped.get(relative),
    hasHooks: await isFolder(join(dir, 'hooks')),
  };
}

async function isFolder(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/** Converts the app in `dir`; a folder that is no Umbrel app is refused as `invalid`. */
export async function convertUmbrelAppFolder(dir: string): Promise<Conversion> {
  const source = await readUmbrelAppFolder(dir);
  if (source === undefined)
    return {
      id: basename(dir),
      status: 'refused',
      reasons: [
        {
          code: 'invalid',
          message: `${dir} has no umbrel-app.yml or docker-compose.yml; name an Umbrel app's folder`,
        },
      ],
      warnings: [],
    };
  return { ...convertUmbrelApp(source, basename(dir)), folder: dir };
}

/**
 * Copies the files a conversion's volumes are seeded with from the app's folder to
 * `<manifestDir>/seed/<volume>/…`, where the manifest's `seed:` names them (what was there from an
 * earlier run is replaced). Only regular files: a link is refused, never followed.
 */
export async function writeSeeds(conversion: Conversion, manifestDir: string): Promise<void> {
  if (!conversion.seeds?.length) return;
  if (conversion.folder === undefined)
    throw new Error(`${conversion.id}: no app folder to copy its files from`);
  for (const seed of conversion.seeds) {
    const target = join(manifestDir, 'seed', seed.volume);
    await rm(target, { recursive: true, force: true });
    await mkdir(target, { recursive: true });
    for (const file of seed.files) {
      const from = join(conversion.folder, seed.from, file);
      const info = await lstat(from);
      if (!info.isFile())
        throw new Error(
          `${from} is not a regular file (a link?); only an app's own regular files are copied`,
        );
      await mkdir(dirname(join(target, file)), { recursive: true });
      await copyFile(from, join(target, file));
    }
  }
}

/** Every `<store>/<app>/umbrel-app.yml` folder of a store checkout, converted. */
export async function convertUmbrelStore(store: string): Promise<Conversion[]> {
  const entries = await readdir(store, { withFileTypes: true });
  const folders: string[] = [];
  for (const entry of entries) {
    if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
    if ((await readText(join(store, entry.name, 'umbrel-app.yml'))) !== undefined) folders.push(entry.name);
  }
  return Promise.all(folders.sort().map((name) => convertUmbrelAppFolder(join(store, name))));
}
