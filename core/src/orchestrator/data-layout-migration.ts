// Layout 2: app data moves from DATA_DIR/<id>/ into a root of its own, DATA_DIR/apps/<id>/, so
// that no app id can ever name one of the daemon's folders (an app with `id: trust` got the
// image trust store as its data dir, and `remove --purge` of it deleted the store).
//
// Existing nodes are migrated at daemon start, before the reconcile touches any app:
// - Only the data of apps the daemon knows (an app record, a kept config, an interrupted
//   operation in the intent journal) is moved, never a daemon folder and never a folder the
//   daemon cannot name an owner for.
// - Each move is one rename(2): the data is never copied (a blockchain does not fit twice),
//   and a crash leaves it whole in one place or the other. A rerun picks up where the crash
//   left off; `state/layout.json` says `pending` until every move is done.
// - Data found in both places (someone recreated the old folder, or copied by hand) is never
//   merged or overwritten: the daemon refuses to start and names both folders.
// Containers created before the move still bind-mount the old path: the reconcile recreates a
// container whose volume mounts are not where the layout puts them (container-mounts.ts).

import { lstat, mkdir, open, readdir, readFile, rename, rmdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { ArchyError, RpcErrorCode } from '../kernel/index.js';
import { isValidAppId } from '../util/app-id.js';
import { JsonFile, StoredFileError, type JsonFormat } from '../util/json-store.js';
import { DAEMON_NAMES, type DataLayout } from '../layout/index.js';

/** The layout this daemon writes. 1 (no state file): app data in DATA_DIR/<id>/. */
export const CURRENT_LAYOUT_VERSION = 2;

/**
 * Where the data of an app named `apps` waits during the migration: in layout 1 it was
 * DATA_DIR/apps itself, which layout 2 makes the root of every app's data.
 */
export const APPS_APP_ASIDE = '.apps-before-layout-2';

export interface LayoutState {
  version: number;
  /** The apps root exists and moves may be outstanding (a crash in the middle of the migration). */
  pending?: boolean;
  migratedAt?: string;
}

export interface LayoutMigrationReport {
  /** The data dir was already in the current layout: nothing was looked at or moved. */
  alreadyCurrent: boolean;
  /** Apps whose data was moved (by this run). */
  moved: string[];
  /** Apps whose old data dir is one of the daemon's own folders: never moved (see the reason). */
  notMoved: Array<{ id: string; path: string; reason: string }>;
}

const missing = (error: unknown): boolean => (error as NodeJS.ErrnoException).code === 'ENOENT';

async function lstatIfPresent(path: string) {
  try {
    return await lstat(path);
  } catch (error) {
    if (missing(error)) return undefined;
    throw error;
  }
}

async function isEmptyDirectory(path: string): Promise<boolean> {
  const info = await stat(path).catch(() => undefined);
  return info?.isDirectory() === true && (await readdir(path)).length === 0;
}

async function namesIn(dir: string, suffix: string): Promise<string[]> {
  try {
    return (await readdir(dir))
      .filter((name) => name.endsWith(suffix) && !name.startsWith('.'))
      .map((name) => name.slice(0, -suffix.length));
  } catch (error) {
    if (missing(error)) return [];
    throw error;
  }
}

/** Makes the renames durable before the state file says they are done. */
async function syncDirectory(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

const layoutError = (message: string): ArchyError => new ArchyError(RpcErrorCode.Conflict, message);

// `state/layout.json` through the typed JSON store. Its own `version` is the data layout (1, 2);
// `schemaVersion` is the format of the file itself (1: files written before it was stamped).
const LAYOUT_STATE_FORMAT: JsonFormat<LayoutState> = {
  what: 'layout state',
  schema: z.object({
    version: z.number().int().min(1),
    pending: z.boolean().optional(),
    migratedAt: z.string().optional(),
  }),
  version: 1,
};

const layoutStateFile = (layout: DataLayout) => new JsonFile(layout.layoutStateFile, LAYOUT_STATE_FORMAT);

export async function readLayoutState(layout: DataLayout): Promise<LayoutState> {
  try {
    return (await layoutStateFile(layout).read()) ?? { version: 1 };
  } catch (error) {
    if (!(error instanceof StoredFileError)) throw error;
    // Guessing could move one app's data into another's: a person has to look.
    throw layoutError(
      `${layout.layoutStateFile} is damaged (${error.message}); it should read {"version": ${CURRENT_LAYOUT_VERSION}} once app data is in ` +
        `${layout.appsRoot}/<app-id>/. Check where the app data is, fix the file, and start the daemon again`,
    );
  }
}

/**
 * The apps whose data the daemon may move: those with a record, a config kept by `remove`, or an
 * operation in the intent journal (a switch names the app it moves data from and to).
 */
export async function knownAppIds(layout: DataLayout): Promise<string[]> {
  const ids = new Set<string>([
    ...(await namesIn(layout.appRecordsDir, '.json')),
    ...(await namesIn(layout.appConfigsDir, '.json')),
  ]);
  const intentsDir = layout.intentsDir;
  for (const name of await namesIn(intentsDir, '.json')) {
    ids.add(name);
    try {
      const intent = JSON.parse(await readFile(join(intentsDir, `${name}.json`), 'utf8')) as {
        from?: { id?: unknown };
        to?: { id?: unknown };
      };
      for (const id of [intent.from?.id, intent.to?.id]) if (typeof id === 'string') ids.add(id);
    } catch {
      // A damaged intent names nothing more; the reconcile reports it.
    }
  }
  return [...ids].filter(isValidAppId).sort();
}

/**
 * Brings the data dir to the current layout (see the top of this file). Safe to run at every
 * start: once `state/layout.json` says version 2 it returns at once. Throws an ArchyError that
 * names the folders and what to do when it cannot finish without guessing; the daemon must not
 * start then, and nothing has been overwritten.
 */
export async function migrateDataLayout(layout: DataLayout): Promise<LayoutMigrationReport> {
  const state = await readLayoutState(layout);
  const report: LayoutMigrationReport = { alreadyCurrent: false, moved: [], notMoved: [] };
  if (state.version > CURRENT_LAYOUT_VERSION) {
    throw layoutError(
      `${layout.root} is in data layout ${state.version}, newer than this daemon knows (${CURRENT_LAYOUT_VERSION}); ` +
        'run the newer Archipelago that wrote it',
    );
  }
  if (state.version === CURRENT_LAYOUT_VERSION && !state.pending) return { ...report, alreadyCurrent: true };

  const ids = await knownAppIds(layout);
  if (!state.pending) {
    await prepareAppsRoot(layout, ids);
    await writeLayoutState(layout, { version: CURRENT_LAYOUT_VERSION, pending: true });
  }

  const conflicts: string[] = [];
  for (const id of ids) {
    if (id !== 'apps' && DAEMON_NAMES.includes(id)) {
      const path = layout.legacyAppDataDir(id);
      if (await lstatIfPresent(path)) {
        report.notMoved.push({
          id,
          path,
          reason:
            `'${id}' had ${path}, the daemon's own folder or file, as its data dir (possible before layout 2); ` +
            `it stays the daemon's and is not moved. The app gets a new, empty data dir in ${layout.appDataDir(id)}; ` +
            `look through ${path} for files the app wrote there and remove them`,
        });
      }
      continue;
    }
    const legacy = id === 'apps' ? join(layout.root, APPS_APP_ASIDE) : layout.legacyAppDataDir(id);
    if (!(await lstatIfPresent(legacy))) continue; // never had data, or already moved
    const target = layout.appDataDir(id);
    const found = await lstatIfPresent(target);
    if (found) {
      // An empty folder holds nothing to lose (lstat: a link, even to an empty folder, is not one).
      if (found.isDirectory() && (await readdir(target)).length === 0) {
        await rmdir(target);
      } else {
        conflicts.push(
          `the data of '${id}' is in two places: ${legacy} (where it was before data layout 2) and ${target} ` +
            `(where it belongs now); the daemon never merges or overwrites app data — keep the one you want ` +
            `(for example: mv ${legacy} ${legacy}.old) and start the daemon again`,
        );
        continue;
      }
    }
    await moveData(legacy, target, id);
    report.moved.push(id);
  }
  await syncDirectory(layout.root);
  await syncDirectory(layout.appsRoot);
  if (conflicts.length > 0) {
    throw layoutError(`cannot finish moving app data into ${layout.appsRoot}: ${conflicts.join('; ')}`);
  }
  await writeLayoutState(layout, {
    version: CURRENT_LAYOUT_VERSION,
    migratedAt: new Date().toISOString(),
  });
  return report;
}

/** Says in the daemon's log what a migration did (nothing, once the layout is current). */
export function logLayoutMigration(
  report: LayoutMigrationReport,
  layout: DataLayout,
  log: { info(details: object, message: string): void; warn(details: object, message: string): void },
): void {
  if (report.alreadyCurrent) return;
  for (const id of report.moved) {
    log.info({ app: id, to: layout.appDataDir(id) }, 'moved the app data into the apps root');
  }
  for (const left of report.notMoved) log.warn({ app: left.id, path: left.path }, left.reason);
  log.info(
    { root: layout.appsRoot, moved: report.moved.length },
    `app data is in data layout ${CURRENT_LAYOUT_VERSION}`,
  );
}

/** One rename: never a copy (a second copy of a chain may not fit, and a torn copy is worse). */
async function moveData(from: string, to: string, id: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EXDEV') {
      throw layoutError(
        `cannot move the data of '${id}' from ${from} to ${to}: they are on different file systems, and the ` +
          `daemon moves app data only by rename (never by copying it); move it yourself (mv ${from} ${to}) ` +
          'and start the daemon again',
      );
    }
    throw error;
  }
}

/**
 * Makes DATA_DIR/apps the (empty) root of app data. In layout 1 an app named `apps` had that very
 * folder as its data dir: its data is put aside first and moved into apps/apps like any other.
 */
async function prepareAppsRoot(layout: DataLayout, ids: readonly string[]): Promise<void> {
  const root = layout.appsRoot;
  const aside = join(layout.root, APPS_APP_ASIDE);
  if ((await lstatIfPresent(root)) && !(await isEmptyDirectory(root))) {
    const others = ids.filter((id) => id !== 'apps');
    const entries = await readdir(root).catch(() => [] as string[]);
    const looksLikeNewRoot = entries.some((entry) => others.includes(entry));
    if (!ids.includes('apps') || looksLikeNewRoot || (await lstatIfPresent(aside))) {
      throw layoutError(
        `${root} holds files, but data layout 2 keeps every app's data there and this data dir has not been ` +
          `migrated yet (${layout.layoutStateFile} is missing); it is not clear whose files they are. ` +
          `Move them away (mv ${root} ${root}.old) and start the daemon again`,
      );
    }
    await rename(root, aside);
  }
  await mkdir(root, { recursive: true, mode: 0o700 });
}

async function writeLayoutState(layout: DataLayout, state: LayoutState): Promise<void> {
  await layoutStateFile(layout).write(state);
}
