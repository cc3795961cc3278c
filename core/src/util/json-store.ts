// The one way the daemon keeps a JSON state file: validated by a zod schema when read (a file
// edited by hand, torn by a full disk or written by a newer daemon is refused with its path and
// what is wrong, never cast and trusted), stamped with a format version when written, and
// brought forward by a migration hook when an older format is read.
//
// On disk a document is the value's own object with one extra key, `schemaVersion`, so the files
// stay as readable (and as greppable by tools) as before. A file without the key is version 1:
// the formats written before versions were stamped.

import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from './atomic-file.js';

export const SCHEMA_VERSION_KEY = 'schemaVersion';

export interface JsonFormat<T extends object> {
  /** What a file of this format is, for messages: 'app record', 'intent'. */
  what: string;
  schema: z.ZodType<T>;
  /** The format version this code writes (1 for a format that has not changed yet). */
  version: number;
  /**
   * Turns a document of an older version (`from`, without its `schemaVersion`) into the shape
   * of the current one; absent: older versions are read as they are.
   */
  migrate?: (document: Record<string, unknown>, from: number) => Record<string, unknown>;
  /** File mode of a new file (default 0600: state files are the daemon's alone). */
  mode?: number;
}

/** A state file that is not what its format says: names the file, the problem and the way out. */
export class StoredFileError extends Error {
  constructor(
    readonly path: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'StoredFileError';
  }
}

/** Parses and checks one stored document (exported for stores that read bytes themselves). */
export function decodeDocument<T extends object>(format: JsonFormat<T>, path: string, text: string): T {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new StoredFileError(
      path,
      `${path} is not valid JSON (${(error as Error).message}); the ${format.what} it held is unreadable — restore it from a backup or remove the file`,
      { cause: error },
    );
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new StoredFileError(path, `${path} does not hold a JSON object, as a ${format.what} must`);
  }
  const { [SCHEMA_VERSION_KEY]: stamped, ...document } = raw as Record<string, unknown>;
  const from = stamped === undefined ? 1 : stamped;
  if (typeof from !== 'number' || !Number.isInteger(from) || from < 1) {
    throw new StoredFileError(path, `${path}: '${SCHEMA_VERSION_KEY}' must be a positive whole number`);
  }
  if (from > format.version) {
    throw new StoredFileError(
      path,
      `${path} was written by a newer Archipelago (${format.what} format ${from}; this one reads up to ${format.version}); run the newer version, or restore the file from a backup`,
    );
  }
  const current = from < format.version && format.migrate ? format.migrate(document, from) : document;
  const parsed = format.schema.safeParse(current);
  if (!parsed.success) {
    throw new StoredFileError(
      path,
      `${path} is not a valid ${format.what}: ${z.prettifyError(parsed.error).replaceAll('\n', '; ')}`,
    );
  }
  return parsed.data;
}

/** The bytes written for a value: the value's keys, then its format version. */
export function encodeDocument<T extends object>(format: JsonFormat<T>, value: T): string {
  return `${JSON.stringify({ ...value, [SCHEMA_VERSION_KEY]: format.version }, null, 2)}\n`;
}

/** One state file of one format. */
export class JsonFile<T extends object> {
  constructor(
    readonly path: string,
    private readonly format: JsonFormat<T>,
  ) {}

  /** The stored value, or undefined when there is no file. */
  async read(): Promise<T | undefined> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    return decodeDocument(this.format, this.path, text);
  }

  /** Replaces the file atomically (a crash leaves the old value or the new one). */
  async write(value: T): Promise<void> {
    await writeFileAtomic(this.path, encodeDocument(this.format, value), this.format.mode ?? 0o600);
  }

  async remove(): Promise<void> {
    await rm(this.path, { force: true });
  }
}

/** A folder of state files of one format, one per key (`<dir>/<key>.json`). */
export class JsonDirectory<T extends object> {
  constructor(
    readonly dir: string,
    private readonly format: JsonFormat<T>,
  ) {}

  file(key: string): JsonFile<T> {
    return new JsonFile(join(this.dir, `${key}.json`), this.format);
  }

  read(key: string): Promise<T | undefined> {
    return this.file(key).read();
  }

  write(key: string, value: T): Promise<void> {
    return this.file(key).write(value);
  }

  remove(key: string): Promise<void> {
    return this.file(key).remove();
  }

  /** The keys of the stored files, in order; temp files of an interrupted write are skipped. */
  async keys(): Promise<string[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    return names
      .filter((n) => n.endsWith('.json') && !n.startsWith('.'))
      .sort()
      .map((name) => name.slice(0, -'.json'.length));
  }

  /** Every stored value by key, in key order; temp files of an interrupted write are skipped. */
  async readAll(): Promise<Array<{ key: string; value: T }>> {
    const entries: Array<{ key: string; value: T }> = [];
    for (const key of await this.keys()) {
      const value = await this.read(key);
      if (value !== undefined) entries.push({ key, value });
    }
    return entries;
  }
}
