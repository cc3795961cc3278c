// Which mandatory access control the host can put around an app's container, decided once at
// daemon start. AppArmor is used only when it can actually be applied: the kernel has it on,
// Podman would honour a profile, and the app's profile is already loaded — loading needs root,
// which the daemon never has, and Podman refuses to create a container whose profile is
// missing. Everything else is reported as a warning, not silently skipped.

import { readFile } from 'node:fs/promises';
import { appArmorProfileName, appArmorProfilePath } from '../apparmor/index.js';

/** What the host is, as read from sysfs and Podman. */
export interface HostSecurityFacts {
  /** /sys/module/apparmor/parameters/enabled reads "Y". */
  apparmorKernelEnabled: boolean;
  /** Names of AppArmor profiles loaded in enforce mode. */
  apparmorEnforcedProfiles: ReadonlySet<string>;
  /** Podman's `host.security.rootless`. */
  rootless: boolean;
  /** SELinux is enabled (sysfs, or Podman's `host.security.selinuxEnabled`). */
  selinuxEnabled: boolean;
}

export interface HostConfinement {
  apparmor: {
    usable: boolean;
    /** The loaded profile to put on app `id`'s container, if there is one. */
    profileFor(id: string): string | undefined;
    /** What to tell the user about an app whose profile is not loaded. */
    missingProfileWarning(id: string): string;
  };
  selinux: boolean;
  /** Host-wide findings for the daemon log, e.g. why AppArmor is not used. */
  warnings: string[];
}

/** Confinement that adds nothing beyond Podman's defaults (its seccomp profile still applies). */
export const NO_EXTRA_CONFINEMENT: HostConfinement = judgeHostConfinement({
  apparmorKernelEnabled: false,
  apparmorEnforcedProfiles: new Set(),
  rootless: true,
  selinuxEnabled: false,
});

/** Pure: what the facts allow. `profileDir` is where the daemon writes generated profiles. */
export function judgeHostConfinement(
  facts: HostSecurityFacts,
  profileDir = '<data-dir>/apparmor',
): HostConfinement {
  const warnings: string[] = [];
  let usable = false;
  if (!facts.apparmorKernelEnabled) {
    warnings.push(
      'AppArmor is not available on this host (the kernel has it off); apps run without AppArmor profiles',
    );
  } else if (facts.rootless) {
    // containers/common refuses any AppArmor profile for rootless containers ("AppArmor is not
    // supported on rootless containers"), loaded or not; asking would fail every create.
    warnings.push(
      'AppArmor is enabled, but rootless Podman does not apply AppArmor profiles; apps are confined by ' +
        'capabilities, seccomp and user namespaces only',
    );
  } else {
    usable = true;
  }
  const loaded = facts.apparmorEnforcedProfiles;
  return {
    apparmor: {
      usable,
      profileFor: (id) =>
        usable && loaded.has(appArmorProfileName(id)) ? appArmorProfileName(id) : undefined,
      missingProfileWarning: (id) =>
        `AppArmor profile ${appArmorProfileName(id)} is not loaded, so '${id}' runs without it; as root, run: ` +
        `apparmor_parser -r ${appArmorProfilePath(profileDir, id)}`,
    },
    selinux: facts.selinuxEnabled,
    warnings,
  };
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Lines of /sys/kernel/security/apparmor/profiles look like "archy-hello (enforce)". */
export function parseLoadedProfiles(text: string): Set<string> {
  const enforced = new Set<string>();
  for (const line of text.split('\n')) {
    const match = /^(.+) \((enforce|complain|kill|unconfined)\)$/.exec(line.trim());
    if (match?.[2] === 'enforce') enforced.add(match[1]!);
  }
  return enforced;
}

/** Reads the host's facts. Unreadable files count as "not available", never as an error. */
export async function readHostSecurityFacts(podman: {
  rootless: boolean;
  selinuxEnabled?: boolean;
}): Promise<HostSecurityFacts> {
  const [enabled, profiles, selinuxEnforce] = await Promise.all([
    readText('/sys/module/apparmor/parameters/enabled'),
    readText('/sys/kernel/security/apparmor/profiles'),
    readText('/sys/fs/selinux/enforce'),
  ]);
  return {
    apparmorKernelEnabled: enabled?.trim().startsWith('Y') ?? false,
    apparmorEnforcedProfiles: parseLoadedProfiles(profiles ?? ''),
    rootless: podman.rootless,
    selinuxEnabled: podman.selinuxEnabled ?? selinuxEnforce !== undefined,
  };
}

/** The daemon's start-up step: facts in, confinement out. */
export async function detectHostConfinement(
  podman: { rootless: boolean; selinuxEnabled?: boolean },
  profileDir?: string,
): Promise<HostConfinement> {
  return judgeHostConfinement(await readHostSecurityFacts(podman), profileDir);
}

/** What the daemon reports (log and daemon-info) about the confinement it puts around apps. */
export interface HostConfinementSummary {
  /** AppArmor profiles are put on apps' containers (each once its profile is loaded). */
  apparmor: boolean;
  /** Containers get SELinux labels (container_t, privately labelled volumes). */
  selinux: boolean;
  /** One line: what every app gets, and which mandatory access control is applied or why not. */
  applied: string;
  /** Why AppArmor or SELinux is not applied, for the user to act on. */
  notes: string[];
}

export function summarizeHostConfinement(confinement: HostConfinement): HostConfinementSummary {
  const parts = [
    // What hardenContainer gives every app, whatever the host (see hardening.ts).
    "capabilities dropped, no-new-privileges, Podman's default seccomp, rootless user namespace",
    confinement.apparmor.usable ? 'AppArmor profiles where loaded' : 'no AppArmor',
    confinement.selinux ? 'SELinux labels' : 'no SELinux',
  ];
  return {
    apparmor: confinement.apparmor.usable,
    selinux: confinement.selinux,
    applied: parts.join('; '),
    notes: [...confinement.warnings],
  };
}
