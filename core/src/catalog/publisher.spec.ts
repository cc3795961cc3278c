import { mkdtemp, rm, stat, chmod, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  addVersion,
  createKeyFiles,
  emptyCatalog,
  formatKeyFiles,
  formatRoot,
  formatSignedCatalog,
  readPublicKeyFile,
  readSigningKeyFile,
  signCatalog,
} from './publisher.js';
import { coreCatalogBody, makeKeys, makeRoot, NOW } from './spec-fixtures.js';
import { verifyCatalog } from './trust.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'archy-publisher-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('key files', () => {
  it('creates a 0600 private key and its public key, and reads them back', async () => {
    const files = await createKeyFiles(join(dir, 'keys'), 'catalog');
    expect((await stat(files.privateKeyPath)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'keys'))).mode & 0o777).toBe(0o700);
    const key = await readSigningKeyFile(files.privateKeyPath);
    expect(key.keyId).toBe(files.keyId);
    expect(await readPublicKeyFile(files.publicKeyPath)).toEqual(files.publicKey);
    expect(formatKeyFiles(files)).toBe(
      [
        `created catalog key ${files.keyId}`,
        `  private: ${files.privateKeyPath} (mode 0600; keep it offline, never commit it)`,
        `  public:  ${files.publicKeyPath}`,
      ].join('\n'),
    );
  });

  it('never overwrites a key, and refuses a key others can read', async () => {
    const files = await createKeyFiles(dir, 'root');
    await expect(createKeyFiles(dir, 'root')).rejects.toThrow(
      `${files.privateKeyPath} already exists; it may be a key a root trusts, so it is not overwritten. Choose another name.`,
    );
    await chmod(files.privateKeyPath, 0o644);
    await expect(readSigningKeyFile(files.privateKeyPath)).rejects.toThrow(
      `catalog signing key ${files.privateKeyPath} is readable by other users (mode 644); fix it with: chmod 600 ${files.privateKeyPath}`,
    );
    const missing = join(dir, 'nope.key');
    await expect(readSigningKeyFile(missing)).rejects.toThrow(
      `cannot read catalog signing key ${missing} (ENOENT); create one with: archy catalog-publish keygen <dir> <name>`,
    );
    await writeFile(join(dir, 'junk.key'), 'not a key', { mode: 0o600 });
    await expect(readSigningKeyFile(join(dir, 'junk.key'))).rejects.toThrow(/is not a PEM private key/);
  });
});

describe('addVersion', () => {
  it('makes the first version the default, keeps the default unless asked, and sorts newest first', () => {
    let catalog = addVersion(emptyCatalog(), 'bitcoin-core', {
      version: '29.3',
      image: 'r.example/b/core:29.3',
    });
    catalog = addVersion(catalog, 'bitcoin-core', { version: '31.0', image: 'r.example/b/core:31.0' });
    expect(catalog.apps['bitcoin-core']).toEqual({
      version: '29.3',
      image: 'r.example/b/core:29.3',
      versions: [
        { version: '31.0', image: 'r.example/b/core:31.0' },
        { version: '29.3', image: 'r.example/b/core:29.3', default: true },
      ],
    });
    catalog = addVersion(
      catalog,
      'bitcoin-core',
      { version: '31.0', image: 'r.example/b/core:31.0', digest: `sha256:${'c'.repeat(64)}` },
      { makeDefault: true },
    );
    expect(catalog.apps['bitcoin-core']).toMatchObject({
      version: '31.0',
      versions: [
        { version: '31.0', digest: `sha256:${'c'.repeat(64)}`, default: true },
        { version: '29.3', image: 'r.example/b/core:29.3' },
      ],
    });
  });

  it('keeps what the catalog said about a version when publishing adds its digest', () => {
    const release = {
      files: { 'x86_64-linux-gnu': { name: 'bitcoin-27.2-x86_64-linux-gnu.tar.gz', sha256: 'a'.repeat(64) } },
    };
    let catalog = addVersion(emptyCatalog(), 'bitcoin-core', {
      version: '31.0',
      image: 'r.example/b/core:31.0',
    });
    catalog = addVersion(catalog, 'bitcoin-core', {
      version: '27.2',
      image: 'r.example/b/core:27.2',
      deprecated: true,
      eol: '2026-10-01',
      notes: 'the last version before block-file obfuscation',
      release,
    });
    // What `archy pipeline build core 27.2` does once it pushed and signed the image.
    catalog = addVersion(catalog, 'bitcoin-core', {
      version: '27.2',
      image: 'r.example/b/core:27.2',
      digest: `sha256:${'d'.repeat(64)}`,
    });
    const line = (catalog.apps['bitcoin-core'] as { versions: Record<string, unknown>[] }).versions.find(
      (v) => v['version'] === '27.2',
    );
    expect(line).toEqual({
      version: '27.2',
      image: 'r.example/b/core:27.2',
      digest: `sha256:${'d'.repeat(64)}`,
      deprecated: true,
      eol: '2026-10-01',
      notes: 'the last version before block-file obfuscation',
      release,
    });
    expect(catalog.apps['bitcoin-core']).toMatchObject({ version: '31.0' });
  });

  it('refuses floating tags, other repositories and made-up digests', () => {
    const catalog = coreCatalogBody();
    expect(() => addVersion(catalog, 'bitcoin-core', { version: 'latest', image: 'r.example/x:1' })).toThrow(
      "'latest' is a floating tag, not a version; publish a pinned version",
    );
    expect(() =>
      addVersion(catalog, 'bitcoin-core', {
        version: '32.0',
        image: '127.0.0.1:5000/archipelago/bitcoin-core:latest',
      }),
    ).toThrow(`"127.0.0.1:5000/archipelago/bitcoin-core:latest" uses the floating tag 'latest'`);
    expect(() =>
      addVersion(catalog, 'bitcoin-core', { version: '32.0', image: '127.0.0.1:5000/other/core:32.0' }),
    ).toThrow(
      "image 127.0.0.1:5000/other/core:32.0 is not in bitcoin-core's repository (127.0.0.1:5000/archipelago/bitcoin-core:31.0); a version may not swap in another image",
    );
    expect(() =>
      addVersion(catalog, 'bitcoin-core', {
        version: '32.0',
        image: '127.0.0.1:5000/archipelago/bitcoin-core:32.0',
        digest: 'sha256:abc',
      }),
    ).toThrow("digest 'sha256:abc' is not sha256: followed by 64 lowercase hex digits");
  });
});

describe('signing', () => {
  it('bumps the version and sets the expiry; nodes verify the result', () => {
    const keys = makeKeys();
    const first = signCatalog(coreCatalogBody(), keys.catalog, { now: NOW, validDays: 7 });
    const second = signCatalog(first.signed, keys.catalog, { now: NOW, validDays: 7 });
    expect([first.signed.version, second.signed.version]).toEqual([1, 2]);
    expect(second.signed.expires).toBe('2026-06-29T12:00:00Z');
    const root = makeRoot(keys);
    expect(
      verifyCatalog({ trustedRoot: root, catalogMetadata: second, now: NOW, lastSeenVersion: 1 })
        .metadataVersion,
    ).toBe(2);
    expect(formatSignedCatalog(second)).toBe(
      'signed catalog version 2, expires 2026-06-29T12:00:00Z, 2 signatures\n' +
        '  bitcoin-core: default 31.0 (31.0, 30.0, 29.3, 28.4)',
    );
    expect(formatRoot(root).split('\n')[0]).toBe('root version 1, expires 2027-06-22T12:00:00Z');
    expect(formatRoot(root)).toContain('root keys (2 of 3)');
  });

  it('refuses a root whose threshold cannot be met', async () => {
    const keys = makeKeys(1, 1);
    expect(() => makeRoot(keys, { root: 2, catalog: 1 })).toThrow(
      'the root threshold must be from 1 to the 1 distinct root keys given, got 2',
    );
  });
});
