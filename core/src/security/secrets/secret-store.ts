import { chmod, lstat, mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../util/atomic-file.js';
import { KeyedQueue } from '../../util/keyed-queue.js';
import { openSecret, sealSecret, type OpenFailure } from './envelope.js';
import { createFileExclusive } from '../../util/atomic-file.js';
import { loadOrCreateMasterKey, masterKeyPath } from './master-key.js';
import { describeMasterKeySource, type MasterKeySource } from './master-key-source.js';
import type { Redactor } from './redact.js';
import { SecretsError } from './secrets-error.js';
import { DataLayout } from '../../layout/index.js';

/** Same rule as manifest ids; checked here too because ids become path components. */
const APP_ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;
/** No dots: names cannot collide with `.master-key`, temp files or `..`, and map 1:1 to `<name>.enc`. */
export const SECRET_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
/** Shorter values are too weak to be secrets, and redacting them would garble every log line. */
export const MIN_SECRET_LENGTH = 8;
/** Podman's file driver takes up to 500 KiB; secrets this big belong in a volume instead. */
export const MAX_SECRET_BYTES = 64 * 1024;

const SUFFIX = '.enc';

/**
 * The daemon's own secrets (e.g. the backup key) live under this name instead of an app id: the
 * dot keeps every app id from naming it (`secrets/.node/`), and purge never touches it.
 */
export const NODE_SECRETS = '.node';

export interface SecretStoreOptions {
  /** Every value read or written is registered here, so logs and responses can blank it out. */
  redactor?: Redactor;
  /** Where the master key is (resolveMasterKeySource); default `secrets/.master-key`, made on first use. */
  masterKey?: MasterKeySource;
}

/** What `unlock` found: the key, and what the user should hear about (never values). */
export interface UnlockedStore {
  key: Buffer;
  /** How many stored secrets the key opened. */
  opened: number;
  warnings: string[];
}

/**
 * Per-app secrets, encrypted at rest in `DATA_DIR/secrets/{app-id}/{name}.enc` (AES-256-GCM under
 * the master key: `secrets/.master-key` by default, or a file outside the data dir, see
 * MasterKeySource). A secret is created once and kept: updates and
 * version switches reuse it; only a purge (`removeApp`) deletes it.
 */
export class SecretStore {
  readonly secretsDir: string;
  private readonly redactor: Redactor | undefined;
  private readonly source: MasterKeySource;
  private readonly queue = new KeyedQueue();
  private key: Promise<Buffer> | undefined;

  constructor(
    readonly dataDir: string,
    options: SecretStoreOptions = {},
  ) {
    this.secretsDir = new DataLayout(dataDir).secretsDir;
    this.redactor = options.redactor;
    this.source = options.masterKey ?? { path: masterKeyPath(dataDir), origin: 'data-dir' };
  }

  /**
   * Loads the master key and proves it is this node's before anything else runs: every stored
   * secret is opened, and each value is registered with the redactor, so no secret can reach a
   * log line before the app using it is touched. Throws a SecretsError, changing nothing, when
   * the key is missing (and not the data dir's own, which is made while no secret exists) or
   * opens none of the stored secrets (another node's key, a key from another backup).
   */
  async unlock(): Promise<UnlockedStore> {
    const key = await this.masterKey();
    const warnings: string[] = [];
    let opened = 0;
    let foreign = 0;
    for (const { appId, name, path } of await this.secretFiles()) {
      const text = await readFile(path, 'utf8').catch(ignoreMissing(undefined));
      if (text === undefined) continue;
      const result = openSecret(key, appId, name, text);
      if (result.ok) {
        opened += 1;
        this.remember(result.value);
      } else {
        if (result.reason === 'authentication-failed') foreign += 1;
        warnings.push(undecryptableMessage(appId, name, path, result.reason));
      }
    }
    if (opened === 0 && foreign > 0) {
      throw new SecretsError(
        `the ${describeMasterKeySource(this.source)} opens none of the ${foreign} stored secret(s) in ` +
          `${this.secretsDir}: it is not the key they were sealed with. Point the daemon at this node's key ` +
          '(restore it from your backup); nothing was changed',
      );
    }
    if (this.source.origin !== 'data-dir') {
      const copy = masterKeyPath(this.dataDir);
      if ((await lstat(copy).catch(ignoreMissing(undefined))) !== undefined) {
        warnings.push(
          `a master key file is still at ${copy} although the key is taken from ${this.source.path}: ` +
            'a key beside the secrets defeats keeping it elsewhere; check that the two are the same, then delete it',
        );
      }
    }
    return { key, opened, warnings };
  }

  /** The secret's value, generating and storing it on first use. `generate` runs at most once. */
  async ensure(appId: string, name: string, generate: () => string): Promise<string> {
    const path = this.pathOf(appId, name);
    return this.queue.run(`${appId}/${name}`, async () => {
      const existing = await this.read(appId, name, path);
      if (existing !== undefined) return existing;
      const value = generate();
      this.checkValue(appId, name, value);
      const key = await this.masterKey();
      await this.prepareAppDir(appId);
      // Exclusive create: a second daemon racing us cannot swap in another value; take theirs.
      if (await createFileExclusive(path, sealSecret(key, appId, name, value))) return this.remember(value);
      const winner = await this.read(appId, name, path);
      if (winner === undefined)
        throw new SecretsError(`secret '${name}' of app '${appId}' vanished while created`);
      return winner;
    });
  }

  /** The value, or undefined when the app has no such secret. */
  async get(appId: string, name: string): Promise<string | undefined> {
    const path = this.pathOf(appId, name);
    return this.queue.run(`${appId}/${name}`, () => this.read(appId, name, path));
  }

  /** Stores (or replaces) a value, e.g. one the user chose. */
  async set(appId: string, name: string, value: string): Promise<void> {
    const path = this.pathOf(appId, name);
    this.checkValue(appId, name, value);
    return this.queue.run(`${appId}/${name}`, async () => {
      const key = await this.masterKey();
      await this.prepareAppDir(appId);
      await writeFileAtomic(path, sealSecret(key, appId, name, value), 0o600);
      this.remember(value);
    });
  }

  /** The app's secret names, sorted; never values. */
  async list(appId: string): Promise<string[]> {
    assertAppId(appId);
    const files = await readdir(join(this.secretsDir, appId)).catch(ignoreMissing([] as string[]));
    return files
      .filter((f) => f.endsWith(SUFFIX) && SECRET_NAME_PATTERN.test(f.slice(0, -SUFFIX.length)))
      .map((f) => f.slice(0, -SUFFIX.length))
      .sort();
  }

  /** Deletes one secret; false when there was none. */
  async remove(appId: string, name: string): Promise<boolean> {
    const path = this.pathOf(appId, name);
    return this.queue.run(`${appId}/${name}`, async () => {
      const existed = (await lstat(path).catch(ignoreMissing(undefined))) !== undefined;
      await rm(path, { force: true });
      return existed;
    });
  }

  /** Deletes every secret of an app. Only for `remove --purge`: the values cannot be recovered. */
  async removeApp(appId: string): Promise<void> {
    assertAppId(appId);
    await rm(join(this.secretsDir, appId), { recursive: true, force: true });
  }

  private async read(appId: string, name: string, path: string): Promise<string | undefined> {
    const text = await readFile(path, 'utf8').catch(ignoreMissing(undefined));
    if (text === undefined) return undefined;
    const opened = openSecret(await this.masterKey(), appId, name, text);
    if (!opened.ok) throw new SecretsError(undecryptableMessage(appId, name, path, opened.reason));
    return this.remember(opened.value);
  }

  private remember(value: string): string {
    this.redactor?.add(value);
    return value;
  }

  private pathOf(appId: string, name: string): string {
    assertAppId(appId);
    if (!SECRET_NAME_PATTERN.test(name)) {
      throw new TypeError(
        `invalid secret name ${JSON.stringify(name)}: use 1 to 64 letters, digits, '_' or '-', starting with a letter or digit`,
      );
    }
    return join(this.secretsDir, appId, `${name}${SUFFIX}`);
  }

  private checkValue(appId: string, name: string, value: unknown): void {
    // The message describes the value's shape only, never the value.
    if (typeof value !== 'string' || value.length < MIN_SECRET_LENGTH) {
      throw new SecretsError(
        `secret '${name}' of app '${appId}' must be a string of at least ${MIN_SECRET_LENGTH} characters`,
      );
    }
    if (Buffer.byteLength(value, 'utf8') > MAX_SECRET_BYTES) {
      throw new SecretsError(`secret '${name}' of app '${appId}' is larger than ${MAX_SECRET_BYTES} bytes`);
    }
  }

  private async prepareAppDir(appId: string): Promise<void> {
    const dir = join(this.secretsDir, appId);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    // mkdir leaves existing dirs as they were; these must not be listable by others.
    await chmod(this.secretsDir, 0o700);
    await chmod(dir, 0o700);
  }

  /**
   * Loads the key once per store. A new key is made only while no secret exists: if secret files
   * are there but the key is gone, a fresh key would silently orphan them, so that is refused.
   * A failed load is not cached, so fixing the file (chmod 600) works without a restart.
   */
  private masterKey(): Promise<Buffer> {
    this.key ??= (async () => {
      if (this.source.origin !== 'data-dir') {
        const found = await lstat(this.source.path).catch(ignoreMissing(undefined));
        if (found === undefined) {
          throw new SecretsError(
            `${describeMasterKeySource(this.source)} does not exist. If this node's key is still in ` +
              `${masterKeyPath(this.dataDir)}, move it there with: archy secrets move-key ${this.source.path} ` +
              `--data-dir ${this.dataDir}; otherwise restore it from your backup. No new key is made in its place`,
          );
        }
        return loadOrCreateMasterKey(this.source.path, {
          create: false,
          requirePrivateMode: this.source.origin !== 'systemd-credential',
        });
      }
      const create = !(await this.anySecretFileExists());
      return loadOrCreateMasterKey(this.source.path, { create });
    })().catch((err: unknown) => {
      this.key = undefined;
      throw err;
    });
    return this.key;
  }

  /** Whether any secret file is stored, readable or not. */
  hasStoredSecrets(): Promise<boolean> {
    return this.anySecretFileExists();
  }

  private async anySecretFileExists(): Promise<boolean> {
    const apps = await readdir(this.secretsDir, { withFileTypes: true }).catch(ignoreMissing([]));
    for (const app of apps) {
      if (!app.isDirectory()) continue;
      const files = await readdir(join(this.secretsDir, app.name)).catch(ignoreMissing([] as string[]));
      if (files.some((f) => f.endsWith(SUFFIX))) return true;
    }
    return false;
  }

  /** Every stored secret file, by app and name. */
  private async secretFiles(): Promise<Array<{ appId: string; name: string; path: string }>> {
    const found: Array<{ appId: string; name: string; path: string }> = [];
    const apps = await readdir(this.secretsDir, { withFileTypes: true }).catch(ignoreMissing([]));
    for (const app of apps) {
      if (!app.isDirectory() || !(APP_ID_PATTERN.test(app.name) || app.name === NODE_SECRETS)) continue;
      const files = await readdir(join(this.secretsDir, app.name)).catch(ignoreMissing([] as string[]));
      for (const file of files) {
        const name = file.slice(0, -SUFFIX.length);
        if (file.endsWith(SUFFIX) && SECRET_NAME_PATTERN.test(name)) {
          found.push({ appId: app.name, name, path: join(this.secretsDir, app.name, file) });
        }
      }
    }
    return found;
  }
}

function assertAppId(appId: string): void {
  if (!APP_ID_PATTERN.test(appId) && appId !== NODE_SECRETS) {
    throw new TypeError(`invalid app id ${JSON.stringify(appId)} for a secret (expected ${APP_ID_PATTERN})`);
  }
}

function undecryptableMessage(appId: string, name: string, path: string, reason: OpenFailure): string {
  const what = `secret '${name}' of app '${appId}' (${path})`;
  switch (reason) {
    case 'malformed':
      return `${what} is damaged (not a secret file this daemon wrote); restore it from backup, or delete it to have a new value generated`;
    case 'unsupported-version':
      return `${what} was written by a newer Archipelago; upgrade Archipelago to read it`;
    case 'authentication-failed':
      return (
        `${what} cannot be decrypted: it was altered, copied from another app or name, or sealed with another ` +
        'master key; restore it together with the master key from the same backup, or delete it to have a new ' +
        'value generated (the app then gets a new password)'
      );
  }
}

/** A catch handler turning "no such file" into `fallback` and rethrowing anything else. */
function ignoreMissing<T>(fallback: T): (err: NodeJS.ErrnoException) => T {
  return (err) => {
    if (err.code === 'ENOENT') return fallback;
    throw err;
  };
}
