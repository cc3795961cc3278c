// Which Linux capabilities an app may ask for. Every container starts with none (cap_drop ALL);
// a manifest's `security.capAdd` adds back only names from the allowlist below, or names the
// app's signed catalog entry grants and the user confirmed.

/** Every capability the kernel defines (linux/capability.h, through CAP_CHECKPOINT_RESTORE). */
export const LINUX_CAPABILITIES: ReadonlySet<string> = new Set([
  'CHOWN',
  'DAC_OVERRIDE',
  'DAC_READ_SEARCH',
  'FOWNER',
  'FSETID',
  'KILL',
  'SETGID',
  'SETUID',
  'SETPCAP',
  'LINUX_IMMUTABLE',
  'NET_BIND_SERVICE',
  'NET_BROADCAST',
  'NET_ADMIN',
  'NET_RAW',
  'IPC_LOCK',
  'IPC_OWNER',
  'SYS_MODULE',
  'SYS_RAWIO',
  'SYS_CHROOT',
  'SYS_PTRACE',
  'SYS_PACCT',
  'SYS_ADMIN',
  'SYS_BOOT',
  'SYS_NICE',
  'SYS_RESOURCE',
  'SYS_TIME',
  'SYS_TTY_CONFIG',
  'MKNOD',
  'LEASE',
  'AUDIT_WRITE',
  'AUDIT_CONTROL',
  'SETFCAP',
  'MAC_OVERRIDE',
  'MAC_ADMIN',
  'SYSLOG',
  'WAKE_ALARM',
  'BLOCK_SUSPEND',
  'AUDIT_READ',
  'PERFMON',
  'BPF',
  'CHECKPOINT_RESTORE',
]);

/**
 * What a manifest may add without a grant. These are what ordinary images need to start as
 * root and step down to their own user — an entrypoint that chowns its data dir (CHOWN, FOWNER,
 * DAC_OVERRIDE) and then switches user with su-exec/gosu (SETUID, SETGID) — plus listening on
 * a port below 1024 inside the container (NET_BIND_SERVICE) and signalling its own children
 * that run as another user (KILL). In rootless Podman they act only inside the app's user
 * namespace, over files the app can already reach: none of them reaches the host or another
 * app.
 *
 * Left out on purpose, though Podman grants them by default: FSETID (keeps setuid bits on
 * edited files), SETFCAP and SETPCAP (plant or reshape capabilities that outlive the process),
 * SYS_CHROOT (a step in known escape chains, and no app here needs it), MKNOD (device nodes)
 * and NET_RAW (raw sockets can spoof ARP and ICMP on the shared bridge).
 */
export const ALLOWED_CAPABILITIES: ReadonlySet<string> = new Set([
  'CHOWN',
  'DAC_OVERRIDE',
  'FOWNER',
  'SETUID',
  'SETGID',
  'NET_BIND_SERVICE',
  'KILL',
]);

/** "CAP_NET_RAW" and "net_raw" → "NET_RAW": the form Podman's cap_add takes. */
export const normalizeCapability = (name: string): string => name.trim().toUpperCase().replace(/^CAP_/, '');

export type CapabilityVerdict =
  { allowed: true; name: string } | { allowed: false; name: string; reason: string };

/** Whether one requested capability may be added, given what the catalog granted. */
export function judgeCapability(requested: string, granted: ReadonlySet<string>): CapabilityVerdict {
  const name = normalizeCapability(requested);
  if (name === 'ALL') {
    return {
      allowed: false,
      name,
      reason: "'ALL' would give the app every capability, as good as privileged; list only the few it needs",
    };
  }
  if (!LINUX_CAPABILITIES.has(name)) {
    return { allowed: false, name, reason: `'${requested}' is not a Linux capability; check the spelling` };
  }
  if (ALLOWED_CAPABILITIES.has(name) || granted.has(name)) return { allowed: true, name };
  return {
    allowed: false,
    name,
    reason:
      `${name} is not on the allowlist (${[...ALLOWED_CAPABILITIES].join(', ')}); ` +
      "it needs a grant in the app's signed catalog entry and your confirmation at install",
  };
}
