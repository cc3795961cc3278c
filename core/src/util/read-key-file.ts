// Reading a key file (a trusted image key, a kept builder key, the stored catalog and its root,
// the secrets' master key) so that what is read is the file the daemon named and nothing else:
// - O_NOFOLLOW: a link in its place is refused, never followed. Whoever can plant a link in a
//   key folder could otherwise make the daemon trust, or disclose, any file it can read.
// - O_NONBLOCK, then fstat on the open descriptor: only a regular file is read. A FIFO or a
//   device would block the daemon or feed it endless bytes; checking the descriptor (not the
//   path) leaves no window to swap the file between the check and the read.
// - A size cap: keys are small (a cosign public key is ~180 bytes, a builder's OpenPGP key a few
//   KiB), so a huge file is not a key, and reading it whole would take the memory of a small
//   node (a Raspberry Pi) — the cap bounds what any planted file can cost.

import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { RpcErrorCode } from '../kernel/index.js';
import { ArchyError } from '../kernel/index.js';

export type KeyFileProblem = 'missing' | 'symlink' | 'not-regular' | 'too-large' | 'unreadable';

/** A key file the daemon will not read, naming the file, what is wrong, and what to do. */
export class KeyFileError extends ArchyError {
  constructor(
    readonly path: string,
    readonly problem: KeyFileProblem,
    message: string,
    options: { cause?: unknown } = {},
  ) {
    super(RpcErrorCode.Conflict, message, options);
    this.name = 'KeyFileError';
  }
}

export interface ReadKeyFileOptions {
  /** The most bytes the file may hold. */
  maxBytes: number;
  /** What the file is, for messages ("image key", "master key"). Default "key file". */
  what?: string;
}

export interface KeyFile {
  bytes: Buffer;
  /** From fstat of the descriptor that was read: the file's own mode and owner. */
  mode: number;
  uid: number;
}

const FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY;

/** Reads a key file as described at the top of this file; throws a KeyFileError otherwise. */
export async function readKeyFile(path: string, options: ReadKeyFileOptions): Promise<KeyFile> {
  const what = options.what ?? 'key file';
  let handle: FileHandle;
  try {
    handle = await open(path, FLAGS);
  } catch (error) {
    throw openFailure(path, what, error);
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) {
      throw new KeyFileError(
        path,
        'not-regular',
        `${what} ${path} is not a regular file; put the key itself there (a plain file)`,
      );
    }
    const tooLarge = (size: string) =>
      new KeyFileError(
        path,
        'too-large',
        `${what} ${path} holds ${size}, over the ${options.maxBytes}-byte limit for this key file; ` +
          'it is not a key — replace it with the key file',
      );
    if (info.size > options.maxBytes) throw tooLarge(`${info.size} bytes`);
    // One byte more than the cap: a file that grew after the fstat is caught too.
    const buffer = Buffer.alloc(options.maxBytes + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > options.maxBytes) throw tooLarge(`more than ${options.maxBytes} bytes`);
    }
    return { bytes: buffer.subarray(0, length), mode: info.mode, uid: info.uid };
  } finally {
    await handle.close();
  }
}

/** As readKeyFile, but a file that does not exist is `undefined` rather than an error. */
export async function readKeyFileIfPresent(
  path: string,
  options: ReadKeyFileOptions,
): Promise<KeyFile | undefined> {
  try {
    return await readKeyFile(path, options);
  } catch (error) {
    if (error instanceof KeyFileError && error.problem === 'missing') return undefined;
    throw error;
  }
}

function openFailure(path: string, what: string, error: unknown): KeyFileError {
  const code = (error as NodeJS.ErrnoException).code;
  // Linux answers O_NOFOLLOW on a symlink with ELOOP.
  if (code === 'ELOOP') {
    return new KeyFileError(
      path,
      'symlink',
      `${what} ${path} is a symbolic link, which the daemon never follows for a key (it could point at any ` +
        'file); replace the link with the key file itself',
      { cause: error },
    );
  }
  if (code === 'ENOENT') {
    return new KeyFileError(path, 'missing', `${what} ${path} does not exist`, { cause: error });
  }
  return new KeyFileError(
    path,
    'unreadable',
    `cannot read ${what} ${path}: ${code ?? (error as Error).message}; check that the daemon's user can read it`,
    { cause: error },
  );
}
