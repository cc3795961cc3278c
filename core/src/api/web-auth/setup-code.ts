import { randomInt } from 'node:crypto';
import { open, rm } from 'node:fs/promises';
import { constants } from 'node:fs';
import { writeFileAtomic } from '../../util/atomic-file.js';
import { DAEMON_FILES, DataLayout } from '../../layout/index.js';

// The first-run setup code. Until a web password exists, whoever reaches the web UI first could
// choose it; the code limits that to someone who can read the daemon's log or its data dir (the
// node's owner), like the bearer token in DATA_DIR/.cookie does for the CLI. It is kept in a 0600
// file until it is used, so it stays the same across restarts and `archy web setup-code` can show
// it even when the daemon is down.

export const SETUP_CODE_FILE_NAME = DAEMON_FILES.setupCode;

/** Crockford's base32: no I, L, O or U, so a code read off a log line is typed back right. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const GROUPS = 4;
const GROUP_LENGTH = 4;
/** 16 symbols of 5 bits: 80 bits, far beyond what the throttled setup endpoint lets anyone guess. */
const CODE_PATTERN = new RegExp(`^[${ALPHABET}]{${GROUPS * GROUP_LENGTH}}$`);

export function setupCodeFilePath(dataDir: string): string {
  return new DataLayout(dataDir).setupCodeFile;
}

/** A fresh code, shown as XXXX-XXXX-XXXX-XXXX. */
export function generateSetupCode(): string {
  const symbols = Array.from({ length: GROUPS * GROUP_LENGTH }, () => ALPHABET[randomInt(ALPHABET.length)]!);
  const groups: string[] = [];
  for (let i = 0; i < GROUPS; i++)
    groups.push(symbols.slice(i * GROUP_LENGTH, (i + 1) * GROUP_LENGTH).join(''));
  return groups.join('-');
}

/**
 * The code as compared: upper case, without the dashes and spaces people type or paste, and with
 * the letters Crockford's base32 reads as digits (O→0, I/L→1).
 */
export function normalizeSetupCode(text: string): string {
  return text.toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
}

/** The code stored in the file, or undefined when there is none (or it is not a code we wrote). */
export async function readSetupCode(dataDir: string): Promise<string | undefined> {
  let text: string;
  try {
    // O_NOFOLLOW: the data dir is ours, but a planted link must never make us read another file.
    const handle = await open(setupCodeFilePath(dataDir), constants.O_RDONLY | constants.O_NOFOLLOW);
    try {
      const stats = await handle.stat();
      if (!stats.isFile() || stats.size > 256) return undefined;
      text = await handle.readFile('utf8');
    } finally {
      await handle.close();
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ELOOP') return undefined;
    throw error;
  }
  const trimmed = text.trim();
  return CODE_PATTERN.test(normalizeSetupCode(trimmed)) ? trimmed : undefined;
}

/** Writes the code 0600 (atomically: a reader never sees half a code). */
export async function writeSetupCode(dataDir: string, code: string): Promise<void> {
  await writeFileAtomic(setupCodeFilePath(dataDir), `${code}\n`, 0o600);
}

export async function removeSetupCode(dataDir: string): Promise<void> {
  await rm(setupCodeFilePath(dataDir), { force: true });
}
