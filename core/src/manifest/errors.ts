// How a bad manifest is reported: every problem with its place in the file, so `archy manifest
// lint` can list them all and an install can refuse in one line.

import { RpcErrorCode } from '../api/contract.js';
import { ArchyError } from '../util/errors.js';

export interface ManifestIssue {
  /** The file name as the user gave it. */
  file: string;
  /** 1-based. 0 when the problem is with the file as a whole (too large, unreadable). */
  line: number;
  /** 1-based. 0 when `line` is 0. */
  col: number;
  /** Where in the manifest, e.g. "ports[0].host"; "" for the document itself. */
  path: string;
  message: string;
  /** The key or value the user probably meant. */
  suggestion?: string;
}

/** One issue as one line: `hello.yml:7:5: ports[0].host: expected ..., got "abc"`. */
export function formatIssue(issue: ManifestIssue): string {
  const where = issue.line > 0 ? `${issue.file}:${issue.line}:${issue.col}` : issue.file;
  const path = issue.path === '' ? '' : `${issue.path}: `;
  const hint = issue.suggestion === undefined ? '' : ` (did you mean '${issue.suggestion}'?)`;
  return `${where}: ${path}${issue.message}${hint}`;
}

/** All issues, one per line, for `archy manifest lint`. */
export function formatIssues(issues: readonly ManifestIssue[]): string {
  return issues.map(formatIssue).join('\n');
}

/** A manifest was refused. `message` is the first issue (by position) on one line. */
export class ManifestError extends ArchyError {
  readonly issues: readonly ManifestIssue[];

  constructor(issues: readonly ManifestIssue[]) {
    if (issues.length === 0) throw new TypeError('ManifestError needs at least one issue');
    const sorted = [...issues].sort((a, b) => a.line - b.line || a.col - b.col);
    const more = sorted.length > 1 ? ` (+${sorted.length - 1} more)` : '';
    super(RpcErrorCode.InvalidManifest, `${formatIssue(sorted[0]!)}${more}`, { data: { issues: sorted } });
    this.name = 'ManifestError';
    this.issues = sorted;
  }
}
