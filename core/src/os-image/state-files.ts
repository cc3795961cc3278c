import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import type { OsBootRecord, OsUpdateState } from '../kernel/index.js';

// The root tools write these files whole (temp file, then rename), so a reader sees an old or a
// new one, never half. A file that is missing, or does not parse as what we expect (written by
// a newer or older tool), reads as undefined: the status then leaves that part out rather than
// failing altogether.

const isoTime = z.string().refine((value) => !Number.isNaN(Date.parse(value)));

const updateStateSchema = z.object({
  state: z.enum(['checking', 'verifying', 'writing', 'applied', 'failed']),
  version: z.string(),
  slot: z.string(),
  error: z.string().optional(),
  at: isoTime,
});

const bootRecordSchema = z.object({
  slot: z.string(),
  version: z.string(),
  counted: z.boolean(),
  result: z.enum(['ok', 'failed']),
  reason: z.string().optional(),
  bootId: z.string().optional(),
  at: isoTime,
});

/** The file's text, or undefined when it does not exist (or cannot be read). */
export async function readOptionalText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

async function readJson<T>(path: string, schema: z.ZodType<T>): Promise<T | undefined> {
  const text = await readOptionalText(path);
  if (text === undefined) return undefined;
  try {
    const parsed = schema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

export const readUpdateState = (path: string): Promise<OsUpdateState | undefined> =>
  readJson(path, updateStateSchema).then((state) => state && withoutUndefined(state));

export const readBootRecord = (path: string): Promise<OsBootRecord | undefined> =>
  readJson(path, bootRecordSchema).then((record) => record && withoutUndefined(record));

// zod's optional fields come back as `key: undefined` when absent in some inputs; the kernel's
// types (exactOptionalPropertyTypes) want them left out.
function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
