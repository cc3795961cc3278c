// restic's failures in the user's words. restic says what went wrong on stderr ("Fatal: …"); these
// are the cases a node owner meets, each with what to do next. Anything else is passed on with
// restic's own last line, never swallowed.

import { ArchyError, RpcErrorCode, type RpcErrorCodeValue } from '../kernel/index.js';
import type { ResticMessage } from './restic-message.js';
import { maskTarget } from './backup-target.js';

/** What a failed run left behind: restic's exit code, its stderr, the JSON lines it printed. */
export interface ResticFailureInput {
  code: number;
  stderr: string;
  repository: string;
  messages?: readonly ResticMessage[];
  aborted?: boolean;
  /** Set when the run was ended early because stderr named a failure restic would only retry. */
  failedFast?: ResticFailureKind;
}

export type ResticFailureKind =
  | 'wrong-key'
  | 'no-repository'
  | 'no-space'
  | 'unreachable'
  | 'locked'
  | 'damaged'
  | 'cancelled'
  | 'not-installed'
  | 'other';

const NO_SPACE = /no space left on device|insufficient storage|\b507\b|disk quota exceeded/i;
const SAVE_REFUSED = /Save\(<[^>]+>\) returned error.*\b500\b/i;
const UNREACHABLE =
  /connection refused|no such host|network is unreachable|i\/o timeout|no route to host|connection reset|dial tcp/i;

/**
 * Lines that mean the run cannot succeed although restic would retry for minutes (its backend
 * retries with backoff): a full disk. The runner ends the child as soon as one appears.
 */
export const FAIL_FAST: ReadonlyArray<{ kind: ResticFailureKind; pattern: RegExp }> = [
  { kind: 'no-space', pattern: NO_SPACE },
  // A REST server whose disk is full answers a write with a bare 500 (rclone serve restic does):
  // restic retries it for about a minute, and a refused write is not worth the wait.
  { kind: 'no-space', pattern: SAVE_REFUSED },
];

/** Which of the known failures restic's output describes. */
export function classifyResticFailure(
  stderr: string,
  messages: readonly ResticMessage[] = [],
): ResticFailureKind {
  const text = `${stderr}\n${messages.map((m) => JSON.stringify(m)).join('\n')}`;
  if (/wrong password or no key found/i.test(text)) return 'wrong-key';
  if (NO_SPACE.test(text) || SAVE_REFUSED.test(text)) return 'no-space';
  if (/repository is already locked/i.test(text)) return 'locked';
  if (UNREACHABLE.test(text)) return 'unreachable';
  if (
    /Is there a repository at the following location\?|unable to open config file|repository does not exist/i.test(
      text,
    )
  )
    return 'no-repository';
  if (
    /repository contains errors|pack .* (does not match|not found|contains \d+ errors?)|ciphertext verification failed|unexpected EOF|hash does not match|invalid data returned/i.test(
      text,
    )
  )
    return 'damaged';
  return 'other';
}

/** Pack files restic named as damaged or missing (short ids as restic prints them). */
export function damagedPacks(text: string): string[] {
  const found = new Set<string>();
  for (const match of text.matchAll(/\bpack ([0-9a-f]{8,64})\b/gi)) found.add(match[1]!.toLowerCase());
  // `check --read-data` on an altered pack: "Pack ID does not match, want <id>, got <hash>".
  for (const match of text.matchAll(/Pack ID does not match, want ([0-9a-f]{64})/gi))
    found.add(match[1]!.toLowerCase());
  for (const match of text.matchAll(/\bdata\/[0-9a-f]{2}\/([0-9a-f]{64})\b/gi))
    found.add(match[1]!.toLowerCase());
  return [...found];
}

/** restic's last meaningful line, for failures with no better words. */
function lastLine(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !/^Is there a repository/.test(line));
  return (lines.at(-1) ?? 'no output').replace(/^Fatal:\s*/, '');
}

/** A failed restic run: an ArchyError that also says which kind of failure it was. */
export class ResticError extends ArchyError {
  constructor(
    readonly kind: ResticFailureKind,
    code: RpcErrorCodeValue,
    message: string,
  ) {
    super(code, message);
  }
}

export function resticFailure(input: ResticFailureInput): ResticError {
  const where = maskTarget(input.repository);
  const kind = input.aborted
    ? (input.failedFast ?? 'cancelled')
    : (input.failedFast ?? classifyResticFailure(input.stderr, input.messages));
  const error = (code: RpcErrorCodeValue, message: string) => new ResticError(kind, code, message);
  switch (kind) {
    case 'wrong-key':
      return error(
        RpcErrorCode.Unauthorized,
        `the backup key does not open the repository at ${where} (restic: wrong password or no key found); ` +
          'give the key you were shown at `archy backup init` (`--key-file`), or point at the right target',
      );
    case 'no-repository':
      return error(
        RpcErrorCode.NotFound,
        `there is no backup repository at ${where}; set one up with: archy backup init --to ${where}`,
      );
    case 'no-space':
      return error(
        RpcErrorCode.InsufficientResources,
        `the backup target ${where} is full, or refuses to store data (restic: ${lastMatching(input.stderr, [NO_SPACE, SAVE_REFUSED])}); ` +
          'free space there or use a bigger disk, then run the backup again (the node was left as it was)',
      );
    case 'unreachable':
      return error(
        RpcErrorCode.NotFound,
        `the backup target ${where} cannot be reached (${reasonOf(lastMatching(input.stderr, [UNREACHABLE]), UNREACHABLE)}); ` +
          'check that the disk is mounted or the server runs, then try again',
      );
    case 'locked':
      return error(
        RpcErrorCode.Busy,
        `the backup repository at ${where} is locked by another restic run (${lastLine(input.stderr)}); ` +
          'wait for it to finish; a lock left by a crash is removed with: restic -r … unlock',
      );
    case 'damaged': {
      const packs = damagedPacks(input.stderr);
      return error(
        RpcErrorCode.Conflict,
        `the backup repository at ${where} is damaged` +
          (packs.length > 0 ? ` (pack file${packs.length > 1 ? 's' : ''} ${packs.join(', ')})` : '') +
          `: ${lastLine(input.stderr)}; make a new backup to another target, or repair it with restic (restic rebuild-index, then a new backup)`,
      );
    }
    case 'cancelled':
      return error(RpcErrorCode.Conflict, 'the backup job was cancelled; nothing was changed on the node');
    case 'not-installed':
      return error(
        RpcErrorCode.InternalError,
        'restic is not installed on this node; install it with: apt-get install restic',
      );
    case 'other':
      return error(
        RpcErrorCode.InternalError,
        `restic failed (exit ${input.code}): ${lastLine(input.stderr)}`,
      );
  }
}

/** The last line of restic's output that matches one of `patterns`, trimmed for a message. */
function lastMatching(stderr: string, patterns: readonly RegExp[]): string {
  const line = stderr
    .split('\n')
    .reverse()
    .find((candidate) => patterns.some((pattern) => pattern.test(candidate)));
  return (line ?? lastLine(stderr))
    .trim()
    .replace(/^Fatal:\s*/, '')
    .slice(0, 240);
}

/** The part of a line from where `pattern` (or `dial tcp …`) says the reason. */
function reasonOf(line: string, pattern: RegExp): string {
  const dial = line.search(/dial tcp|lookup /);
  const at = dial >= 0 ? dial : line.search(pattern);
  return at >= 0 ? line.slice(at) : line;
}
