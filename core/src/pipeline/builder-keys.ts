// The pinned builders: every armored public key file in the config's `builderKeys` folder
// (the shape of bitcoin-core/guix.sigs' builder-keys/). A key is pinned by its primary key's
// fingerprint; a signature by one of its subkeys counts for that primary key. A builder is a
// pinned file, not a key: a file holding several primary keys (a builder's old and new key) is
// one builder, so the threshold counts it once, however many of its keys signed.

import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readKeys, type Key, type PublicKey } from 'openpgp';
import { splitArmoredKeys } from './armored-blocks.js';
import { releaseRefused } from './pipeline-error.js';

export interface PinnedKey {
  /** Uppercase hex fingerprint of the primary key. */
  fingerprint: string;
  /** The primary user ID, or the first one, for reports. */
  userId: string;
  key: PublicKey;
  /** The file it came from. */
  file: string;
  /**
   * The builder this key speaks for: what the threshold counts. The key file here; the catalog's
   * builder name on a node. Keys of one builder count once together.
   */
  builder: string;
}

/** How many distinct builders a set of pinned keys stands for: the most a threshold can reach. */
export const builderCount = (keys: readonly PinnedKey[]): number => new Set(keys.map((k) => k.builder)).size;

// Documentation that often sits beside keys (guix.sigs has a README); anything else must parse.
const NOT_KEYS = /(^\.|\.(md|txt)$|^readme$)/i;

export const fingerprintOf = (key: Key): string => key.getFingerprint().toUpperCase();

async function userIdOf(key: Key): Promise<string> {
  try {
    const primary = await key.getPrimaryUser();
    return primary.user.userID?.userID ?? key.getUserIDs()[0] ?? '(no user id)';
  } catch {
    // An expired or revoked key has no valid primary user today; its first user ID still names it.
    return key.getUserIDs()[0] ?? '(no user id)';
  }
}

/**
 * Reads every key file in `folder`. A file that isn't an armored OpenPGP key is an error (a
 * pinned builder silently missing would lower the bar without anyone noticing); the same key
 * in two files is pinned once, for the first file; every key of a file is that file's builder.
 */
export async function loadPinnedKeys(folder: string): Promise<PinnedKey[]> {
  let names: string[];
  try {
    names = (await readdir(folder, { withFileTypes: true }))
      .filter((entry) => entry.isFile() && !NOT_KEYS.test(entry.name))
      .map((entry) => entry.name)
      .sort();
  } catch (cause) {
    throw releaseRefused(
      'config',
      `cannot read the builder keys folder ${folder}: ${(cause as Error).message}; set builderKeys to a folder ` +
        'of armored public keys (e.g. a copy of guix.sigs/builder-keys).',
      { cause },
    );
  }

  const pinned = new Map<string, PinnedKey>();
  for (const name of names) {
    const file = join(folder, name);
    let keys: Key[];
    try {
      keys = [];
      for (const block of splitArmoredKeys(await readFile(file, 'utf8')))
        keys.push(...(await readKeys({ armoredKeys: block })));
    } catch (cause) {
      throw releaseRefused(
        'config',
        `${file} is not an armored OpenPGP public key (${(cause as Error).message}); remove it from ` +
          'builderKeys or replace it with the builder’s exported key (gpg --export --armor <fingerprint>).',
        { cause },
      );
    }
    for (const key of keys) {
      const publicKey = key.isPrivate() ? key.toPublic() : (key as PublicKey);
      const fingerprint = fingerprintOf(publicKey);
      // A key already pinned by an earlier file stays that builder's: one key never counts twice.
      if (!pinned.has(fingerprint))
        pinned.set(fingerprint, {
          fingerprint,
          userId: await userIdOf(publicKey),
          key: publicKey,
          file,
          builder: file,
        });
    }
  }
  if (pinned.size === 0)
    throw releaseRefused(
      'config',
      `no builder keys in ${folder}; add the armored public keys of the builders you trust.`,
    );
  return [...pinned.values()];
}
