// Which resource limits the kernel will enforce for our rootless containers, and in words what
// to do when it won't. Podman's own view is preferred (it applies the limits); reading the
// cgroup file system is the fallback when Podman's info is not at hand.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LimitEnforcement } from '../kernel/index.js';

/**
 * The part of Podman's info that decides enforcement. Declared here, not imported: resources/
 * judges facts and does not depend on the Podman client (its `info()` result has these fields).
 */
export interface PodmanCgroupFacts {
  rootless: boolean;
  cgroupVersion: 'v1' | 'v2';
  /** Controllers delegated to this user; empty on cgroup v1 rootless. */
  cgroupControllers: string[];
  limitsEnforced: { memory: boolean; cpu: boolean; pids: boolean };
}

const CONTROLLERS = ['memory', 'cpu', 'pids'] as const;

/**
 * Enforcement as Podman sees it: rootful Podman enforces everything; rootless needs cgroup v2
 * and each controller delegated to its user. The reason says what the user can do about it.
 */
export function enforcementFromPodman(facts: PodmanCgroupFacts): LimitEnforcement {
  const { memory, cpu, pids } = facts.limitsEnforced;
  return {
    cgroupVersion: facts.cgroupVersion,
    memory,
    cpu,
    pids,
    ...describeGaps(facts.cgroupVersion, { memory, cpu, pids }),
  };
}

/**
 * Enforcement read from the cgroup file system, for when Podman's info is not at hand. Mirrors
 * what Podman checks: cgroup v2 is mounted alone at the root (a hybrid host mounts it at
 * `unified/` beside the v1 controllers), and a rootless user can use the controllers listed in
 * its systemd user manager's cgroup — or, without systemd (OpenRC), in its own cgroup.
 */
export async function readCgroupEnforcement(
  options: {
    cgroupRoot?: string;
    /** Text of /proc/self/cgroup. */
    selfCgroup?: string;
    uid?: number;
  } = {},
): Promise<LimitEnforcement> {
  const root = options.cgroupRoot ?? '/sys/fs/cgroup';
  const uid = options.uid ?? process.getuid?.() ?? 0;
  const rootControllers = await readOptional(join(root, 'cgroup.controllers'));
  if (rootControllers === undefined) {
    const enforced = uid === 0;
    const flags = { memory: enforced, cpu: enforced, pids: enforced };
    return { cgroupVersion: 'v1', ...flags, ...describeGaps('v1', flags) };
  }
  let controllers = rootControllers;
  if (uid !== 0) {
    const userManager = join(root, 'user.slice', `user-${uid}.slice`, `user@${uid}.service`);
    const selfPath = ownCgroupPath(options.selfCgroup ?? (await readOptional('/proc/self/cgroup')) ?? '');
    controllers =
      (await readOptional(join(userManager, 'cgroup.controllers'))) ??
      (selfPath === undefined ? undefined : await readOptional(join(root, selfPath, 'cgroup.controllers'))) ??
      '';
  }
  const names = new Set(controllers.split(/\s+/).filter(Boolean));
  const flags = { memory: names.has('memory'), cpu: names.has('cpu'), pids: names.has('pids') };
  return { cgroupVersion: 'v2', ...flags, ...describeGaps('v2', flags) };
}

function describeGaps(
  version: 'v1' | 'v2',
  flags: Record<(typeof CONTROLLERS)[number], boolean>,
): { reason?: string } {
  const missing = CONTROLLERS.filter((name) => !flags[name]);
  if (missing.length === 0) return {};
  const gap = enforcementGap(version, missing);
  return { reason: `${gap.cause}; ${gap.remedy}` };
}

/** Why the limits of `controllers` are not enforced on a `version` host, and what fixes it. */
export function enforcementGap(
  version: 'v1' | 'v2',
  controllers: readonly string[],
): { cause: string; remedy: string } {
  if (version === 'v1') {
    return {
      cause: 'this host runs cgroups v1, where rootless Podman ignores resource limits',
      remedy:
        'boot with cgroup v2 (systemd.unified_cgroup_hierarchy=1, or rc_cgroup_mode="unified" on OpenRC) to enforce them',
    };
  }
  const plural = controllers.length > 1;
  return {
    cause: `the ${controllers.join(', ')} cgroup controller${plural ? 's are' : ' is'} not delegated to the daemon's user`,
    remedy: `delegate ${plural ? 'them' : 'it'} (systemd: Delegate=${CONTROLLERS.join(' ')} for user@.service) to enforce ${plural ? 'those limits' : 'that limit'}`,
  };
}

/** The v2 path (`0::/path`) in /proc/self/cgroup text. */
function ownCgroupPath(text: string): string | undefined {
  const line = text.split('\n').find((entry) => entry.startsWith('0::'));
  return line?.slice(3).trim() || undefined;
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}
