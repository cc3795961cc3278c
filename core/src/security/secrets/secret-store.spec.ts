import { chmod, copyFile, mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { masterKeyPath } from './master-key.js';
import { Redactor } from './redact.js';
import { generatePassword } from './rpcauth.js';
import { SecretStore } from './secret-store.js';
import { SecretsError } from './secrets-error.js';

let dataDir: string;
/** Every value a test stores is registered here; every error message is checked against it. */
let seen: Redactor;

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'archy-secret-store-'));
  seen = new Redactor();
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

const password = (): string => {
  const value = generatePassword();
  seen.add(value);
  return value;
};

/** The rejection's message, after checking it names no secret value. */
async function failure(promise: Promise<unknown>): Promise<string> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SecretsError);
  const error = err as SecretsError;
  seen.assertNoSecrets(`${error.message}\n${error.stack ?? ''}`, 'error message');
  expect(error.cause).toBeUndefined();
  return error.message;
}

const fileOf = (app: string, name: string): string => join(dataDir, 'secrets', app, `${name}.enc`);

describe('SecretStore', () => {
  it('creates a secret once and keeps it, across store instances (daemon restarts)', async () => {
    const store = new SecretStore(dataDir);
    let calls = 0;
    const generate = (): string => {
      calls += 1;
      return password();
    };
    const value = await store.ensure('bitcoin-core', 'rpcpassword', generate);
    expect(await store.ensure('bitcoin-core', 'rpcpassword', generate)).toBe(value);
    expect(await new SecretStore(dataDir).ensure('bitcoin-core', 'rpcpassword', generate)).toBe(value);
    expect(await new SecretStore(dataDir).get('bitcoin-core', 'rpcpassword')).toBe(value);
    expect(calls).toBe(1);
  });

  it('agrees on one value when several stores ensure the same secret at once', async () => {
    const values = await Promise.all(
      Array.from({ length: 10 }, () => new SecretStore(dataDir).ensure('lnd', 'wallet-password', password)),
    );
    expect(new Set(values).size).toBe(1);
    expect(await new SecretStore(dataDir).get('lnd', 'wallet-password')).toBe(values[0]);
  });

  it('stores ciphertext only, in 0600 files under 0700 dirs, with a versioned envelope', async () => {
    const store = new SecretStore(dataDir);
    const value = await store.ensure('hello', 'api-key', password);
    const text = await readFile(fileOf('hello', 'api-key'), 'utf8');
    expect(seen.containsSecret(text)).toBe(false);
    expect(JSON.parse(text)).toMatchObject({
      format: 'archipelago-secret',
      v: 1,
      alg: 'A256GCM',
      app: 'hello',
    });
    expect((await stat(fileOf('hello', 'api-key'))).mode & 0o777).toBe(0o600);
    expect((await stat(join(dataDir, 'secrets'))).mode & 0o777).toBe(0o700);
    expect((await stat(join(dataDir, 'secrets', 'hello'))).mode & 0o777).toBe(0o700);
    // A fresh nonce per write: the same value sealed twice never looks the same.
    await store.set('hello', 'api-key', value);
    expect(await readFile(fileOf('hello', 'api-key'), 'utf8')).not.toBe(text);
    expect(await store.get('hello', 'api-key')).toBe(value);
  });

  it('sets, lists names only, removes one, and removes an app', async () => {
    const store = new SecretStore(dataDir);
    const chosen = password();
    await store.set('app-a', 'user-choice', chosen);
    await store.ensure('app-a', 'generated', password);
    await store.ensure('app-b', 'other', password);
    expect(await store.get('app-a', 'user-choice')).toBe(chosen);
    expect(await store.list('app-a')).toEqual(['generated', 'user-choice']);
    expect(await store.get('app-a', 'nothing')).toBeUndefined();
    expect(await store.list('no-such-app')).toEqual([]);
    expect(await store.remove('app-a', 'generated')).toBe(true);
    expect(await store.remove('app-a', 'generated')).toBe(false);
    await store.removeApp('app-a');
    expect(await store.list('app-a')).toEqual([]);
    expect(await store.list('app-b')).toEqual(['other']);
    expect(await readdir(join(dataDir, 'secrets'))).toEqual(expect.arrayContaining(['.master-key', 'app-b']));
  });

  it('detects a flipped byte in the ciphertext (GCM tag), and in the tag itself', async () => {
    const store = new SecretStore(dataDir);
    await store.ensure('hello', 'pw', password);
    const path = fileOf('hello', 'pw');
    const envelope = JSON.parse(await readFile(path, 'utf8')) as { ct: string; tag: string };
    for (const field of ['ct', 'tag'] as const) {
      const bytes = Buffer.from(envelope[field], 'base64');
      bytes[0]! ^= 0x01;
      await writeFile(path, JSON.stringify({ ...envelope, [field]: bytes.toString('base64') }));
      const message = await failure(new SecretStore(dataDir).get('hello', 'pw'));
      expect(message).toContain("secret 'pw' of app 'hello'");
      expect(message).toContain('cannot be decrypted: it was altered');
    }
  });

  it('refuses a secret file copied to another name or another app (AAD binding)', async () => {
    const store = new SecretStore(dataDir);
    await store.ensure('bitcoin-core', 'rpcpassword', password);
    await mkdir(join(dataDir, 'secrets', 'evil'), { recursive: true });
    await copyFile(fileOf('bitcoin-core', 'rpcpassword'), fileOf('bitcoin-core', 'other'));
    await copyFile(fileOf('bitcoin-core', 'rpcpassword'), fileOf('evil', 'rpcpassword'));
    expect(await failure(store.get('bitcoin-core', 'other'))).toMatch(/copied from another app or name/);
    expect(await failure(store.get('evil', 'rpcpassword'))).toMatch(/copied from another app or name/);
    // ensure must not paper over it with a new value either.
    await failure(store.ensure('evil', 'rpcpassword', password));
  });

  it('refuses secrets sealed under another master key', async () => {
    await new SecretStore(dataDir).ensure('hello', 'pw', password);
    await writeFile(masterKeyPath(dataDir), `${'11'.repeat(32)}\n`, { mode: 0o600 });
    expect(await failure(new SecretStore(dataDir).get('hello', 'pw'))).toMatch(
      /sealed with another master key/,
    );
  });

  it('refuses to make a new master key while secrets sealed by the lost one exist', async () => {
    await new SecretStore(dataDir).ensure('hello', 'pw', password);
    await rm(masterKeyPath(dataDir));
    const store = new SecretStore(dataDir);
    expect(await failure(store.ensure('other', 'pw', password))).toMatch(
      /master key .* is missing; restore it/,
    );
    await expect(stat(masterKeyPath(dataDir))).rejects.toThrow(/ENOENT/);
  });

  it('refuses a world-readable master key with the fix, and recovers once fixed', async () => {
    const store = new SecretStore(dataDir);
    await mkdir(join(dataDir, 'secrets'), { recursive: true });
    await writeFile(masterKeyPath(dataDir), `${'22'.repeat(32)}\n`);
    await chmod(masterKeyPath(dataDir), 0o644);
    expect(await failure(store.ensure('hello', 'pw', password))).toContain('chmod 600');
    await chmod(masterKeyPath(dataDir), 0o600);
    await expect(store.ensure('hello', 'pw', password)).resolves.toHaveLength(43);
  });

  it('reports a damaged envelope without quoting it', async () => {
    const store = new SecretStore(dataDir);
    await store.ensure('hello', 'pw', password);
    const leaked = password();
    await writeFile(fileOf('hello', 'pw'), `{"not json ${leaked}`);
    expect(await failure(store.get('hello', 'pw'))).toMatch(/is damaged/);
  });

  it('refuses names that could escape the secrets dir, and too-short values without echoing them', async () => {
    const store = new SecretStore(dataDir);
    await expect(store.get('../etc', 'pw')).rejects.toThrow(/invalid app id/);
    await expect(store.get('hello', '../pw')).rejects.toThrow(/invalid secret name/);
    await expect(store.get('hello', '.master-key')).rejects.toThrow(/invalid secret name/);
    const short = await failure(store.set('hello', 'pw', 'short'));
    expect(short).not.toContain('short"');
    expect(short).toMatch(/at least 8 characters/);
  });

  it('registers every value it hands out or stores with the redactor', async () => {
    const redactor = new Redactor();
    const store = new SecretStore(dataDir, { redactor });
    const a = await store.ensure('hello', 'a', password);
    const b = password();
    await store.set('hello', 'b', b);
    expect(redactor.redactString(`a=${a} b=${b}`)).toBe('a=[redacted] b=[redacted]');
    const afterRestart = new Redactor();
    await new SecretStore(dataDir, { redactor: afterRestart }).get('hello', 'a');
    expect(afterRestart.containsSecret(a)).toBe(true);
  });
});
