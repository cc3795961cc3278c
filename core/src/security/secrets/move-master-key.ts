import { randomBytes } from 'node:crypto';
import { lstat, readFile, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createFileExclusive, syncDir } from '../../util/atomic-file.js';
import { loadOrCreateMasterKey, MASTER_KEY_BYTES, masterKeyPath } from './master-key.js';
import { SecretStore } from './secret-store.js';
import { SecretsError } from './secrets-error.js';

export type MoveKeyOutcome = 'moved' | 'created';

/**
 * Moves the data dir's master key (`secrets/.master-key`) to `target`, outside the data dir, for
 * a node that then runs with `--master-key-file target`. The daemon must be stopped (the caller
 * checks). Crash-safe and never lossy: the key is written to `target` first (exclusively: an
 * existing file is never overwritten), read back and proved to open the stored secrets, and only
 * then removed from the data dir. A node with no key and no secrets yet gets a new key at
 * `target` instead ('created').
 */
export async function moveMasterKey(dataDir: string, target: string): Promise<MoveKeyOutcome> {
  const source = masterKeyPath(dataDir);
  const store = new SecretStore(dataDir, { masterKey: { path: source, origin: 'option' } });
  if (!(await exists(source))) {
    if (await store.hasStoredSecrets()) {
      throw new SecretsError(
        `there is no master key at ${source} to move, but there are stored secrets: the key is already ` +
          'elsewhere (see --master-key-file) or lost; restore it from your backup',
      );
    }
    // A node without secrets and without a key: nothing to move, so start with a new key there.
    if (!(await createFileExclusive(target, `${randomBytes(MASTER_KEY_BYTES).toString('hex')}\n`))) {
      throw new SecretsError(
        `${target} already exists; it is never overwritten: choose another path or remove it`,
      );
    }
    return 'created';
  }
  const key = await loadOrCreateMasterKey(source, { create: false });
  await store.unlock(); // the key must open what it guards before it moves anywhere
  if (!(await createFileExclusive(target, `${key.toString('hex')}\n`))) {
    throw new SecretsError(
      `${target} already exists; it is never overwritten. If it is this node's key, delete ${source} ` +
        'yourself after checking the two are the same; otherwise choose another path',
    );
  }
  const copied = await readFile(target, 'utf8');
  if (copied.trim() !== key.toString('hex')) {
    await rm(target, { force: true });
    throw new SecretsError(`the key written to ${target} did not read back the same; nothing was moved`);
  }
  await new SecretStore(dataDir, { masterKey: { path: target, origin: 'option' } }).unlock();
  await rm(source);
  await syncDir(dirname(source));
  return 'moved';
}

const exists = (path: string): Promise<boolean> =>
  lstat(path).then(
    () => true,
    (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return false;
      throw err;
    },
  );
