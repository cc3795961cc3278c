import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { OsSsh, OsSshKey } from '../kernel/index.js';
import { pathExists } from '../util/path-exists.js';
import { readOptionalText } from './state-files.js';

// Whether SSH is on, read from the folder the OS's root tool `ssh-switch` writes
// (os/rootfs/usr/lib/archipelago-os/ssh-switch): the flag file `enabled`, which ssh.service waits
// for, and `authorized_keys` with exactly the keys it took from the boot partition. The folder is
// world-readable by design (sshd reads the keys as the logging-in user), so the unprivileged
// daemon can report it; it can never change it.

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * `SHA256:` and the unpadded base64 of the SHA-256 of the key's blob — what `ssh-keygen -l` and
 * the ssh client's first-login question print. Undefined for a line that is not a public key.
 */
export function sshKeyFromLine(line: string): OsSshKey | undefined {
  const [type, blob, ...comment] = line.trim().split(/\s+/);
  if (!type || !blob || !BASE64.test(blob)) return undefined;
  const bytes = Buffer.from(blob, 'base64');
  // The blob begins with its own type as an SSH string (a 4-byte length, then the name); a word
  // that merely looks like base64 does not.
  if (bytes.length < 4 || bytes.toString('latin1', 4, 4 + bytes.readUInt32BE(0)) !== type) return undefined;
  const digest = createHash('sha256').update(bytes).digest('base64');
  return {
    type,
    fingerprint: `SHA256:${digest.replace(/=+$/, '')}`,
    ...(comment.length > 0 && { comment: comment.join(' ') }),
  };
}

/** The keys of an authorized_keys file; blank lines, comments and anything else are not keys. */
export function parseAuthorizedKeys(text: string): OsSshKey[] {
  return text.split('\n').flatMap((line) => sshKeyFromLine(line) ?? []);
}

export async function readSshState(sshDir: string): Promise<OsSsh> {
  const [enabled, keys, hostKey] = await Promise.all([
    pathExists(join(sshDir, 'enabled')),
    readOptionalText(join(sshDir, 'authorized_keys')),
    readOptionalText(join(sshDir, 'ssh_host_ed25519_key.pub')),
  ]);
  const hostFingerprint = hostKey === undefined ? undefined : sshKeyFromLine(hostKey)?.fingerprint;
  return {
    enabled,
    // ssh-switch removes the keys when it turns SSH off; a file left without the flag logs no one in.
    keys: enabled && keys !== undefined ? parseAuthorizedKeys(keys) : [],
    ...(hostFingerprint !== undefined && { hostKey: hostFingerprint }),
  };
}
