// How a bad manifest is reported: every problem with its place in the file, so `archy manifest
// lint` can list them all and an install can refuse in one line.

import { ArchyError, RpcErrorCode, type ManifestIssue } from '../kernel/index.js';

// The kernel's type: a manifest refusal carries the issues in its `data`.
export type { ManifestIssue };

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
