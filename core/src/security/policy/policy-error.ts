// A manifest the container policy refused. It is a ManifestError, so the CLI, the API and
// `archy manifest lint` report it like any other manifest problem: file, field, what to do.

import { ManifestError, type ManifestIssue } from '../../manifest/index.js';
import type { PolicyViolation } from './check-manifest.js';

export class PolicyError extends ManifestError {
  readonly violations: readonly PolicyViolation[];

  constructor(file: string, violations: readonly PolicyViolation[]) {
    // Line 0: the policy judges the parsed manifest, which no longer knows positions.
    const issues: ManifestIssue[] = violations.map(({ path, message }) => ({
      file,
      line: 0,
      col: 0,
      path,
      message,
    }));
    super(issues);
    this.name = 'PolicyError';
    this.violations = violations;
  }
}
