import type { AppManifest } from '../../manifest/index.js';
import type { AppArmorProfileInput } from '../apparmor/index.js';
import type { PolicyOptions } from './check-manifest.js';
import { hardenContainer } from './hardening.js';

/**
 * What the app's AppArmor profile must allow, taken from the same hardening its container gets,
 * so the two can never disagree. Throws PolicyError for a refused manifest.
 */
export function appArmorInputFor(manifest: AppManifest, options: PolicyOptions = {}): AppArmorProfileInput {
  const hardening = hardenContainer(manifest, { grantedCapabilities: options.grantedCapabilities ?? [] });
  return {
    capabilities: hardening.fields.cap_add ?? [],
    tmpfs: hardening.tmpfsMounts.map((mount) => mount.Destination),
  };
}
