// Reading the catalog's own files under DATA_DIR/catalog/ as untrusted input: what is there may
// have been written by someone else. Read as key files are (util/read-key-file.ts: a link is not
// followed, only a regular file is read, no more than a cap); the signatures checked afterwards
// decide the rest.

import { readKeyFileIfPresent } from '../util/read-key-file.js';

/** Parsed JSON, or undefined when the file does not exist; throws saying why it cannot be used. */
export async function readStoredJson(path: string, maxBytes: number): Promise<unknown> {
  const file = await readKeyFileIfPresent(path, { maxBytes, what: 'stored catalog file' });
  if (!file) return undefined;
  try {
    return JSON.parse(file.bytes.toString('utf8')) as unknown;
  } catch {
    throw new Error(`${path} is not JSON`);
  }
}
