// The container policy as a pure judgement of a parsed manifest: what it asks for that no app
// may have, each refusal naming the manifest field. The schema already refuses what a manifest
// cannot even say (privileged, host namespaces, devices, host paths); this catches what it can
// say but may not have.

import type { AppManifest } from '../../manifest/index.js';
import { judgeCapability, normalizeCapability } from './capabilities.js';
import { engineSocketRefusal, kernelPathRefusal, unusualPathRefusal } from './container-paths.js';
import { EXAMPLE_USER, parseUserIds } from '../../manifest/user-ids.js';

export interface PolicyOptions {
  /**
   * Capabilities beyond the allowlist that the app's signed catalog entry grants *and* the user
   * confirmed at install. Empty unless both happened.
   */
  grantedCapabilities?: readonly string[];
}

export interface PolicyViolation {
  /** The manifest field, as `archy manifest lint` writes it: "security.capAdd[0]". */
  path: string;
  message: string;
}

export interface PolicyVerdict {
  violations: PolicyViolation[];
  /** Allowed but worth telling the user. */
  warnings: string[];
  /** The capabilities the container gets, normalized (no CAP_ prefix), without duplicates. */
  capAdd: string[];
}

/**
 * The lowest host port an app may publish. Below 1024 are the host's own services (ssh, DNS,
 * the web): an app must not take them over, and rootless Podman cannot bind them anyway unless
 * the host lowered net.ipv4.ip_unprivileged_port_start — so say so at install, not at start.
 */
export const MIN_HOST_PORT = 1024;

export function checkManifestPolicy(manifest: AppManifest, options: PolicyOptions = {}): PolicyVerdict {
  const violations: PolicyViolation[] = [];
  const warnings: string[] = [];
  const refuse = (path: string, message: string) => violations.push({ path, message });

  const granted = new Set((options.grantedCapabilities ?? []).map(normalizeCapability));
  const capAdd: string[] = [];
  manifest.security.capAdd.forEach((requested, index) => {
    const verdict = judgeCapability(requested, granted);
    if (!verdict.allowed) refuse(`security.capAdd[${index}]`, verdict.reason);
    else if (!capAdd.includes(verdict.name)) capAdd.push(verdict.name);
  });

  if (!manifest.security.noNewPrivileges) {
    refuse(
      'security.noNewPrivileges',
      'false would let setuid programs gain privileges inside the app; remove the key — to drop to another ' +
        'user, use su-exec, gosu or setpriv, which work with no-new-privileges',
    );
  }

  const user = manifest.security.user;
  if (user !== undefined) {
    // The schema refuses the same; judged again here for manifests made in code (importers).
    const verdict = parseUserIds(user, { bareUid: 'uid' });
    if (!verdict.ok) {
      refuse(
        'security.user',
        `${verdict.reason}; name a non-root uid:gid such as ${EXAMPLE_USER}, or remove the key to use the image's user`,
      );
    }
  }
  if (!manifest.security.readOnlyRootfs) {
    warnings.push(
      `'${manifest.id}' asks for a writable root filesystem (security.readOnlyRootfs: false); its changes there are lost when the container is recreated`,
    );
  }

  const volumeMounts = new Set<string>();
  manifest.volumes.forEach((volume, index) => {
    volumeMounts.add(volume.mount);
    const why =
      unusualPathRefusal(volume.mount) ??
      kernelPathRefusal(volume.mount) ??
      engineSocketRefusal(volume.mount);
    if (why !== undefined) refuse(`volumes[${index}].mount`, why);
  });
  manifest.security.tmpfs.forEach((path, index) => {
    const why =
      unusualPathRefusal(path) ??
      kernelPathRefusal(path) ??
      (volumeMounts.has(path)
        ? `'${path}' is already a volume; a path is either kept data or a tmpfs`
        : undefined);
    if (why !== undefined) refuse(`security.tmpfs[${index}]`, why);
  });

  manifest.ports.forEach((port, index) => {
    if (port.host < MIN_HOST_PORT) {
      refuse(
        `ports[${index}].host`,
        `host port ${port.host} is below ${MIN_HOST_PORT}, reserved for the host's own services (and rootless Podman ` +
          `cannot bind it); publish on ${MIN_HOST_PORT} or above, e.g. ${port.host + 8000}, and keep container: ${port.container}`,
      );
    }
  });

  return { violations, warnings, capAdd };
}
