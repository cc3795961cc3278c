// An AppArmor profile per app, generated from its manifest: the app may read and run what is in
// its image, write only its volumes and scratch tmpfs, use TCP/UDP and local sockets, and
// nothing that reshapes the system — no mounts, no tracing, no raw packets, no writes to the
// kernel's /proc and /sys knobs. Paths are as the container sees them (attach_disconnected).

import { join } from 'node:path';
import type { AppManifest } from '../../manifest/index.js';

/** "archy-<id>": the same name as the app's container, so `aa-status` reads naturally. */
export const appArmorProfileName = (id: string): string => `archy-${id}`;

/** Where the generated profile for `id` is written, inside `dir`. */
export const appArmorProfilePath = (dir: string, id: string): string => join(dir, appArmorProfileName(id));

export interface AppArmorProfileInput {
  /** The capabilities the container gets (after the policy), without the CAP_ prefix. */
  capabilities: readonly string[];
  /** Scratch tmpfs paths the container gets (defaults and the manifest's). */
  tmpfs: readonly string[];
}

// Generated rules only ever hold these paths; anything else could be read as a glob or variable.
const PLAIN_PATH = /^(\/[A-Za-z0-9._+-]+)+$/;

function plainPath(path: string): string {
  if (!PLAIN_PATH.test(path)) {
    throw new TypeError(
      `refusing to write ${JSON.stringify(path)} into an AppArmor rule; the policy should have refused it`,
    );
  }
  return path;
}

const section = (comment: string, rules: readonly string[]): string[] =>
  rules.length === 0 ? [] : ['', `  # ${comment}`, ...rules.map((rule) => `  ${rule}`)];

function networkRules(capabilities: readonly string[]): string[] {
  const rules = [
    'network inet stream,',
    'network inet6 stream,',
    'network inet dgram,',
    'network inet6 dgram,',
    'network unix,',
    // Route and address lookups (Go's net.Interfaces, getifaddrs) go over netlink.
    'network netlink dgram,',
    'network netlink raw,',
    'unix,',
  ];
  if (capabilities.includes('NET_RAW')) {
    return [...rules, 'network inet raw,', 'network inet6 raw,', 'network packet raw,'];
  }
  return [...rules, 'deny network inet raw,', 'deny network inet6 raw,', 'deny network packet,'];
}

function writableDirRules(path: string): string[] {
  const dir = plainPath(path);
  return [`${dir}/ rw,`, `${dir}/** rwlk,`];
}

/** The profile text for an app. Parse it with `apparmor_parser -Q -K`; load it as root with `-r`. */
export function generateAppArmorProfile(manifest: AppManifest, input: AppArmorProfileInput): string {
  const name = appArmorProfileName(manifest.id);
  const writableVolumes = manifest.volumes.filter((volume) => !volume.readOnly).map((volume) => volume.mount);
  const lines = [
    `# AppArmor profile for the Archipelago app '${manifest.id}' (version ${JSON.stringify(manifest.version)}).`,
    '# Generated from its manifest at install; edits are overwritten.',
    'abi <abi/3.0>,',
    '',
    '#include <tunables/global>',
    '',
    `profile ${name} flags=(attach_disconnected,mediate_deleted) {`,
    '  #include <abstractions/base>',
    ...section(
      'TCP, UDP and local sockets; raw packets only with a granted NET_RAW.',
      networkRules(input.capabilities),
    ),
    ...section(
      'Only the capabilities the container was given.',
      input.capabilities.map((cap) => `capability ${cap.toLowerCase()},`),
    ),
    ...section('Read and run what is in the image.', ['/ r,', '/** mrixk,']),
    ...section(
      manifest.security.readOnlyRootfs
        ? "Write only the app's volumes and scratch space."
        : 'The manifest asked for a writable root filesystem.',
      [
        ...(manifest.security.readOnlyRootfs ? [] : ['/** wl,']),
        ...[...writableVolumes, ...input.tmpfs].flatMap(writableDirRules),
        '/dev/null rw,',
        '/dev/zero rw,',
        '/dev/full rw,',
        '/dev/random r,',
        '/dev/urandom r,',
        '/dev/tty rw,',
        '/dev/ptmx rw,',
        '/dev/pts/* rw,',
        '/dev/shm/ r,',
        '/dev/shm/** rwlk,',
        // Thread names and the process's own stdio, as every runtime touches them.
        '@{PROC}/@{pids}/comm w,',
        '@{PROC}/@{pids}/task/@{tid}/comm w,',
        '@{PROC}/@{pids}/fd/* rw,',
      ],
    ),
    ...section("The kernel's knobs stay read-only; its memory and secrets unreadable.", [
      'deny @{PROC}/sys/** wl,',
      'deny @{PROC}/sysrq-trigger rwlx,',
      'deny @{PROC}/kcore rwlx,',
      'deny @{PROC}/kmem rwlx,',
      'deny @{PROC}/mem rwlx,',
      'deny /sys/** wl,',
      'deny /sys/firmware/** rwlx,',
      'deny /sys/kernel/security/** rwlx,',
      'deny /sys/kernel/debug/** rwlx,',
    ]),
    ...section('No reshaping of the filesystem view, no tracing of other processes.', [
      'deny mount,',
      'deny umount,',
      'deny remount,',
      'deny pivot_root,',
      'deny ptrace,',
    ]),
    ...section('Signals within the app, and from the runtime that stops it.', [
      `signal (send, receive) peer=${name},`,
      'signal (receive) peer=unconfined,',
    ]),
    '}',
    '',
  ];
  return lines.join('\n');
}
