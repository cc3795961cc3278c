// The backup key: 32 random bytes shown as base32 in groups of four (`ABCD-EFGH-…`, 13 groups),
// which is restic's password for the repository. Shown once at `archy backup init`; the user
// confirms they kept it by typing its last group back. The node keeps a copy sealed under its
// master key (SecretStore, the daemon's own `.node/backup-key`) so scheduled backups can run;
// a fresh node after a disaster has only the user's copy.

import { randomBytes } from 'node:crypto';
import { ArchyError, RpcErrorCode } from '../kernel/index.js';
import { NODE_SECRETS, type SecretStore } from '../security/secrets/index.js';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const KEY_BYTES = 32;
const GROUP = 4;

/** The SecretStore name the node keeps the key under (in its own `.node` folder, not an app's). */
export const BACKUP_KEY_SECRET = 'backup-key';

export function generateBackupKey(): string {
  return groupKey(base32(randomBytes(KEY_BYTES)));
}

function base32(bytes: Uint8Array): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  return out;
}

function groupKey(compact: string): string {
  return compact.match(new RegExp(`.{1,${GROUP}}`, 'g'))!.join('-');
}

/**
 * The key as restic knows it, from what a user typed or a key file holds: case, spaces and dashes
 * do not matter (`abcd efgh…` opens the same repository as `ABCD-EFGH-…`).
 */
export function normalizeBackupKey(text: string): string {
  const compact = text.replace(/[\s-]/g, '').toUpperCase();
  if (compact.length === 0 || /[^A-Z2-7]/.test(compact)) {
    throw new ArchyError(
      RpcErrorCode.InvalidParams,
      'that is not a backup key: it is letters A–Z and digits 2–7 in groups of four (ABCD-EFGH-…), as `archy backup init` showed it',
    );
  }
  return groupKey(compact);
}

/** The group the user types back to confirm they kept the key. */
export function lastKeyGroup(key: string): string {
  return key.split('-').at(-1)!;
}

/** The node's sealed copy of the key (SecretStore: `secrets/.node/backup-key.enc`, AES-GCM under the master key). */
export class NodeBackupKey {
  constructor(private readonly secrets: Pick<SecretStore, 'get' | 'set'>) {}

  get(): Promise<string | undefined> {
    return this.secrets.get(NODE_SECRETS, BACKUP_KEY_SECRET);
  }

  set(key: string): Promise<void> {
    return this.secrets.set(NODE_SECRETS, BACKUP_KEY_SECRET, normalizeBackupKey(key));
  }
}
