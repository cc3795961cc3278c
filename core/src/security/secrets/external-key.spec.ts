import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { masterKeyPath } from './master-key.js';
import { MASTER_KEY_CREDENTIAL, resolveMasterKeySource, type MasterKeySource } from './master-key-source.js';
import { moveMasterKey } from './move-master-key.js';
import { Redactor } from './redact.js';
import { generatePassword } from './rpcauth.js';
import { SecretStore } from './secret-store.js';
import { SecretsError } from './secrets-error.js';

let root: string;
let dataDir: string;
/** A folder outside the data dir, where an external key lives. */
let outside: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'archy-external-key-'));
  dataDir = join(root, 'data');
  outside = join(root, 'keys');
  await mkdir(dataDir, { mode: 0o700 });
  await mkdir(outside, { mode: 0o700 });
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const option = (path: string): MasterKeySource => ({ path, origin: 'option' });
const writeKey = (path: string, key = randomBytes(32)): Promise<void> =>
  writeFile(path, `${key.toString('hex')}\n`, { mode: 0o600 });

/** Every file and folder under dir, with its content, to prove a refusal changed nothing. */
async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    const path = join(entry.parentPath, entry.name);
    out[path] = entry.isFile() ? await readFile(path, 'utf8') : 'dir';
  }
  return out;
}

async function refusal(promise: Promise<unknown>): Promise<string> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SecretsError);
  return (err as Error).message;
}

describe('resolveMasterKeySource', () => {
  it('takes the option, then a systemd credential that is there, then the data dir', async () => {
    const credentials = join(root, 'credentials');
    await mkdir(credentials);
    const env = { CREDENTIALS_DIRECTORY: credentials };
    expect(resolveMasterKeySource(dataDir, { env })).toEqual({
      path: masterKeyPath(dataDir),
      origin: 'data-dir',
    });
    await writeKey(join(credentials, MASTER_KEY_CREDENTIAL));
    expect(resolveMasterKeySource(dataDir, { env })).toEqual({
      path: join(credentials, MASTER_KEY_CREDENTIAL),
      origin: 'systemd-credential',
    });
    expect(resolveMasterKeySource(dataDir, { env, keyFile: 'rel/key' })).toEqual({
      path: join(process.cwd(), 'rel/key'),
      origin: 'option',
    });
  });
});

describe('a master key kept outside the data dir', () => {
  it('seals and opens secrets, and no key file appears in the data dir', async () => {
    const keyFile = join(outside, 'master.key');
    await writeKey(keyFile);
    const store = new SecretStore(dataDir, { masterKey: option(keyFile) });
    const value = generatePassword();
    await store.set('lnd', 'rpcpassword', value);
    const again = new SecretStore(dataDir, { masterKey: option(keyFile) });
    expect(await again.get('lnd', 'rpcpassword')).toBe(value);
    await expect(stat(masterKeyPath(dataDir))).rejects.toThrow(/ENOENT/);
    // Without the key, the copied data dir is ciphertext only.
    expect(await readFile(join(dataDir, 'secrets', 'lnd', 'rpcpassword.enc'), 'utf8')).not.toContain(value);
  });

  it('that is missing is refused with a way out, and nothing is created', async () => {
    const keyFile = join(outside, 'missing.key');
    const before = await snapshot(root);
    const message = await refusal(new SecretStore(dataDir, { masterKey: option(keyFile) }).unlock());
    expect(message).toContain(
      `master key ${keyFile} (from --master-key-file / ARCHY_MASTER_KEY_FILE) does not exist`,
    );
    expect(message).toContain(`archy secrets move-key ${keyFile}`);
    expect(message).toContain('No new key is made');
    expect(await snapshot(root)).toEqual(before);
  });

  it('that is the wrong key is refused, naming no value, and nothing changes', async () => {
    const right = join(outside, 'right.key');
    const wrong = join(outside, 'wrong.key');
    await writeKey(right);
    await writeKey(wrong);
    const value = generatePassword();
    await new SecretStore(dataDir, { masterKey: option(right) }).set('lnd', 'rpcpassword', value);
    await new SecretStore(dataDir, { masterKey: option(right) }).set('lnd', 'macaroonpw', generatePassword());
    const before = await snapshot(root);
    const message = await refusal(new SecretStore(dataDir, { masterKey: option(wrong) }).unlock());
    expect(message).toMatch(/opens none of the 2 stored secret\(s\).*not the key they were sealed with/);
    expect(message).not.toContain(value);
    expect(await snapshot(root)).toEqual(before);
    // The data dir's own key is never made over existing secrets either.
    await refusal(new SecretStore(dataDir).unlock());
    expect(await snapshot(root)).toEqual(before);
  });

  it('unlock registers every stored value with the redactor, and warns of a key copy left behind', async () => {
    const keyFile = join(outside, 'master.key');
    await writeKey(keyFile);
    const values = [generatePassword(), generatePassword()];
    const writer = new SecretStore(dataDir, { masterKey: option(keyFile) });
    await writer.set('a', 'one', values[0]!);
    await writer.set('b', 'two', values[1]!);
    const redactor = new Redactor();
    const unlocked = await new SecretStore(dataDir, { masterKey: option(keyFile), redactor }).unlock();
    expect(unlocked).toMatchObject({ opened: 2, warnings: [] });
    expect(redactor.redactString(`x ${values[0]} y ${values[1]}`)).toBe('x [redacted] y [redacted]');

    await writeFile(masterKeyPath(dataDir), await readFile(keyFile), { mode: 0o600 });
    const warned = await new SecretStore(dataDir, { masterKey: option(keyFile) }).unlock();
    expect(warned.warnings).toEqual([
      expect.stringContaining(`a master key file is still at ${masterKeyPath(dataDir)}`),
    ]);
  });
});

describe('moveMasterKey', () => {
  it("moves an existing node's key out of the data dir, keeping every secret readable", async () => {
    const value = generatePassword();
    await new SecretStore(dataDir).set('lnd', 'rpcpassword', value);
    const key = await readFile(masterKeyPath(dataDir), 'utf8');
    const target = join(outside, 'sub', 'master.key');

    expect(await moveMasterKey(dataDir, target)).toBe('moved');
    expect(await readFile(target, 'utf8')).toBe(key);
    expect((await stat(target)).mode & 0o777).toBe(0o600);
    await expect(stat(masterKeyPath(dataDir))).rejects.toThrow(/ENOENT/);
    expect(await new SecretStore(dataDir, { masterKey: option(target) }).get('lnd', 'rpcpassword')).toBe(
      value,
    );
    // The data dir alone no longer opens them, and no new key is made there.
    await refusal(new SecretStore(dataDir).get('lnd', 'rpcpassword'));
  });

  it('never overwrites a file, and refuses when the key is already gone but secrets remain', async () => {
    await new SecretStore(dataDir).set('lnd', 'rpcpassword', generatePassword());
    const target = join(outside, 'taken.key');
    await writeFile(target, 'something else\n', { mode: 0o600 });
    expect(await refusal(moveMasterKey(dataDir, target))).toContain('never overwritten');
    expect(await readFile(target, 'utf8')).toBe('something else\n');
    expect((await stat(masterKeyPath(dataDir))).isFile()).toBe(true);

    await rm(masterKeyPath(dataDir));
    expect(await refusal(moveMasterKey(dataDir, join(outside, 'other.key')))).toContain(
      'there are stored secrets',
    );
    await expect(stat(join(outside, 'other.key'))).rejects.toThrow(/ENOENT/);
  });

  it('gives a new node without a key a fresh one outside', async () => {
    const target = join(outside, 'new.key');
    expect(await moveMasterKey(dataDir, target)).toBe('created');
    expect(await readFile(target, 'utf8')).toMatch(/^[0-9a-f]{64}\n$/);
    await expect(stat(masterKeyPath(dataDir))).rejects.toThrow(/ENOENT/);
  });
});

describe('a master key from a systemd credential', () => {
  it('is read although systemd shows group bits on it (ACL), while an option file must be 0600', async () => {
    const credentials = join(root, 'credentials');
    await mkdir(credentials);
    const path = join(credentials, MASTER_KEY_CREDENTIAL);
    await writeKey(path);
    await chmod(path, 0o440);
    const source = resolveMasterKeySource(dataDir, { env: { CREDENTIALS_DIRECTORY: credentials } });
    expect(source.origin).toBe('systemd-credential');
    const value = generatePassword();
    await new SecretStore(dataDir, { masterKey: source }).set('lnd', 'rpcpassword', value);
    expect(await new SecretStore(dataDir, { masterKey: source }).get('lnd', 'rpcpassword')).toBe(value);
    expect(await refusal(new SecretStore(dataDir, { masterKey: option(path) }).unlock())).toMatch(
      /has mode 440, readable by other users/,
    );
  });
});
