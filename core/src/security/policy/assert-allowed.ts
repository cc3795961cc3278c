import type { AppManifest } from '../../manifest/index.js';
import { checkManifestPolicy, type PolicyOptions } from './check-manifest.js';
import { PolicyError } from './policy-error.js';

/**
 * Refuses a manifest the policy does not allow (PolicyError, naming each field), else returns
 * the policy's warnings for the log. `file` is cited in the message, as the user named it.
 */
export function assertManifestAllowed(
  manifest: AppManifest,
  options: PolicyOptions & { file?: string } = {},
): string[] {
  const verdict = checkManifestPolicy(manifest, options);
  if (verdict.violations.length > 0)
    throw new PolicyError(options.file ?? `${manifest.id}.yml`, verdict.violations);
  return verdict.warnings;
}
