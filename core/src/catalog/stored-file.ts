// Reading the catalog's own files under DATA_DIR/catalog/ as untrusted input: what is there may
// have been written by someone else. A link is not followed (it could point anywhere), only a
// regular file is read, and no more than a cap: the signatures checked afterwards decide the rest.

import { constants } from 'node:fs';
import { open } from 'node:fs/promises';

/** Parsed JSON, or undefined when the file does not exist; throws saying why it cannot be used. */
export async function readStoredJson(path: string, maxBytes: number): Promise<unknown> {
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'ELOOP') throw new Error(`${path} is a symbolic link, not a file`);
    throw err;
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new Error(`${path} is not a regular file`);
    if (info.size > maxBytes) throw new Error(`${path} is larger than ${maxBytes} bytes`);
    const text = await handle.readFile('utf8');
    if (Buffer.byteLength(text) > maxBytes) throw new Error(`${path} is larger than ${maxBytes} bytes`);
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new Error(`${path} is not JSON`);
    }
  } finally {
    await handle.close();
  }
}
