// The builder key store against key sources served on 127.0.0.1 and keys made here: a key is
// taken only when its primary fingerprint is the pinned one, kept keys are reused without asking
// again (the server counts requests), expired ones are fetched again, brought key files come
// first, and offline nothing is asked at all.

import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readKey, reformatKey } from 'openpgp';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { PinnedBuilder } from '../catalog/index.js';
import {
  closedPortUrl,
  makeBuilders,
  startFileServer,
  tempFolder,
  type BuilderKey,
  type BuilderSet,
  type FileServer,
} from '../pipeline/spec-release-fixture.js';
import { BuilderKeyStore, keyFilesIn } from './builder-key-store.js';

let builders: BuilderSet;
let server: FileServer;
let dir: string;
let keysDir: string;

beforeAll(async () => {
  builders = await makeBuilders();
});
beforeEach(async () => {
  server = await startFileServer();
  dir = await tempFolder('key-store');
  keysDir = join(dir, 'keys');
});
afterEach(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

const pinned = (key: BuilderKey): PinnedBuilder => ({ name: key.name, fingerprint: key.fingerprint });
const byFingerprint = () => `${server.url}keys/{fingerprint}`;
/** Serves `served` where the key source template puts `forBuilder`'s key. */
const serveKey = (forBuilder: BuilderKey, served: BuilderKey = forBuilder) =>
  server.routes.set(`/keys/${forBuilder.fingerprint}`, served.publicKey.armor());
const keptFiles = async () => (await readdir(keysDir).catch(() => [] as string[])).sort();

describe('BuilderKeyStore', () => {
  it('takes a served key whose primary fingerprint is pinned, and keeps it', async () => {
    serveKey(builders.alice);
    const store = new BuilderKeyStore(keysDir);
    const result = await store.pinnedKeys({
      release: { builders: [pinned(builders.alice)], keySources: [byFingerprint()] },
    });
    expect(result.missing).toEqual([]);
    expect(result.keys.map((k) => [k.fingerprint, k.file])).toEqual([
      [builders.alice.fingerprint, `${server.url}keys/${builders.alice.fingerprint}`],
    ]);
    expect(result.keys[0]!.userId).toContain('alice');
    expect(await keptFiles()).toEqual([`${builders.alice.fingerprint}.asc`]);
    const kept = await readKey({
      armoredKey: await readFile(join(keysDir, `${builders.alice.fingerprint}.asc`), 'utf8'),
    });
    expect(kept.getFingerprint().toUpperCase()).toBe(builders.alice.fingerprint);
    // No scratch file of the fetch is left beside the kept key.
    expect((await readdir(keysDir)).filter((name) => name.startsWith('.'))).toEqual([]);
  });

  it('refuses another key served for a pinned fingerprint, naming both', async () => {
    serveKey(builders.alice, builders.mallory);
    const result = await new BuilderKeyStore(keysDir).pinnedKeys({
      release: { builders: [pinned(builders.alice)], keySources: [byFingerprint()] },
    });
    expect(result.keys).toEqual([]);
    expect(result.missing).toHaveLength(1);
    const { builder, reason } = result.missing[0]!;
    expect(builder.fingerprint).toBe(builders.alice.fingerprint);
    expect(reason).toContain(`${server.url}keys/${builders.alice.fingerprint}`);
    expect(reason).toContain(`served ${builders.mallory.fingerprint}`);
    expect(reason).toContain(`not the pinned ${builders.alice.fingerprint}`);
    expect(await keptFiles()).toEqual([]);
  });

  it('matches the primary key only: a pinned subkey fingerprint does not let its key in', async () => {
    const signingSubkey = builders.dave.publicKey.getSubkeys().at(-1)!;
    const subkeyFingerprint = signingSubkey.getFingerprint().toUpperCase();
    expect(subkeyFingerprint).not.toBe(builders.dave.fingerprint);
    server.routes.set(`/keys/${subkeyFingerprint}`, builders.dave.publicKey.armor());
    const result = await new BuilderKeyStore(keysDir).pinnedKeys({
      release: {
        builders: [{ name: 'dave', fingerprint: subkeyFingerprint }],
        keySources: [byFingerprint()],
      },
    });
    expect(result.keys).toEqual([]);
    expect(result.missing[0]!.reason).toContain(
      `served ${builders.dave.fingerprint}, not the pinned ${subkeyFingerprint}`,
    );
    expect(await keptFiles()).toEqual([]);
  });

  it('reuses kept keys without asking the source again', async () => {
    serveKey(builders.alice);
    serveKey(builders.bob);
    const release = {
      builders: [pinned(builders.alice), pinned(builders.bob)],
      keySources: [byFingerprint()],
    };
    await new BuilderKeyStore(keysDir).pinnedKeys({ release });
    expect(server.requests).toHaveLength(2);

    // Another store over the same folder (a restarted daemon): nothing is asked again.
    const again = await new BuilderKeyStore(keysDir).pinnedKeys({ release });
    expect(server.requests).toHaveLength(2);
    expect(again.missing).toEqual([]);
    expect(again.keys.map((k) => [k.fingerprint, k.file])).toEqual([
      [builders.alice.fingerprint, join(keysDir, `${builders.alice.fingerprint}.asc`)],
      [builders.bob.fingerprint, join(keysDir, `${builders.bob.fingerprint}.asc`)],
    ]);
  });

  it('fetches an expired kept key again and keeps the extended one', async () => {
    // erin's key expired yesterday; the builder has since extended it (same primary key, new self-signatures).
    const extended = await reformatKey({
      privateKey: builders.erin.privateKey,
      userIDs: [{ name: 'erin', email: 'erin@builders.test' }],
      keyExpirationTime: 0,
      format: 'object',
    });
    expect(extended.publicKey.getFingerprint().toUpperCase()).toBe(builders.erin.fingerprint);
    serveKey(builders.erin);
    const release = { builders: [pinned(builders.erin)], keySources: [byFingerprint()] };
    const store = new BuilderKeyStore(keysDir);

    const first = await store.pinnedKeys({ release });
    expect(first.keys.map((k) => k.fingerprint)).toEqual([builders.erin.fingerprint]);
    expect(await first.keys[0]!.key.getExpirationTime()).toBeInstanceOf(Date);
    expect(server.requests).toHaveLength(1);

    // Kept but expired: the source is asked again, and now serves the extended key.
    server.routes.set(`/keys/${builders.erin.fingerprint}`, extended.publicKey.armor());
    const second = await store.pinnedKeys({ release });
    expect(server.requests).toHaveLength(2);
    expect(await second.keys[0]!.key.getExpirationTime()).toBe(Infinity);

    // The extended key was kept: no more asking.
    const third = await store.pinnedKeys({ release });
    expect(server.requests).toHaveLength(2);
    expect(third.keys[0]!.file).toBe(join(keysDir, `${builders.erin.fingerprint}.asc`));
    expect(await third.keys[0]!.key.getExpirationTime()).toBe(Infinity);
  });

  it('fetches again when the kept file holds another key, and replaces it', async () => {
    const keptFile = join(keysDir, `${builders.alice.fingerprint}.asc`);
    await mkdir(keysDir, { recursive: true });
    await writeFile(keptFile, builders.mallory.publicKey.armor());
    serveKey(builders.alice);
    const result = await new BuilderKeyStore(keysDir).pinnedKeys({
      release: { builders: [pinned(builders.alice)], keySources: [byFingerprint()] },
    });
    expect(server.requests).toHaveLength(1);
    expect(result.keys.map((k) => k.fingerprint)).toEqual([builders.alice.fingerprint]);
    const kept = await readKey({ armoredKey: await readFile(keptFile, 'utf8') });
    expect(kept.getFingerprint().toUpperCase()).toBe(builders.alice.fingerprint);
  });

  it('uses brought key files (armored and binary) first, asks no source, and keeps them', async () => {
    const brought = join(dir, 'usb');
    await mkdir(brought);
    const aliceFile = join(brought, 'alice.asc');
    const bobFile = join(brought, 'bob.gpg');
    const malloryFile = join(brought, 'mallory.pub');
    await writeFile(aliceFile, builders.alice.publicKey.armor());
    await writeFile(bobFile, builders.bob.publicKey.write());
    await writeFile(malloryFile, builders.mallory.publicKey.armor());
    // The source would serve them too; brought files come first, so it is never asked.
    serveKey(builders.alice);
    serveKey(builders.bob);
    const release = {
      builders: [pinned(builders.alice), pinned(builders.bob)],
      keySources: [byFingerprint()],
    };
    const keyFiles = await keyFilesIn(brought);
    expect(keyFiles).toEqual([aliceFile, bobFile, malloryFile]);

    const result = await new BuilderKeyStore(keysDir).pinnedKeys({ release, keyFiles });
    expect(server.requests).toEqual([]);
    expect(result.missing).toEqual([]);
    expect(result.keys.map((k) => [k.fingerprint, k.file])).toEqual([
      [builders.alice.fingerprint, aliceFile],
      [builders.bob.fingerprint, bobFile],
    ]);
    // Kept (armored) for next time; mallory isn't pinned, so isn't kept.
    expect(await keptFiles()).toEqual(
      [`${builders.alice.fingerprint}.asc`, `${builders.bob.fingerprint}.asc`].sort(),
    );
    const later = await new BuilderKeyStore(keysDir).pinnedKeys({ release, offline: true });
    expect(later.missing).toEqual([]);
    expect(later.keys.map((k) => k.file)).toEqual([
      join(keysDir, `${builders.alice.fingerprint}.asc`),
      join(keysDir, `${builders.bob.fingerprint}.asc`),
    ]);
    expect(server.requests).toEqual([]);
  });

  it('prefers a brought key over a kept one', async () => {
    serveKey(builders.alice);
    const release = { builders: [pinned(builders.alice)], keySources: [byFingerprint()] };
    await new BuilderKeyStore(keysDir).pinnedKeys({ release });
    const broughtFile = join(dir, 'alice.key');
    await writeFile(broughtFile, builders.alice.publicKey.armor());
    const result = await new BuilderKeyStore(keysDir).pinnedKeys({ release, keyFiles: [broughtFile] });
    expect(result.keys.map((k) => k.file)).toEqual([broughtFile]);
    expect(server.requests).toHaveLength(1);
  });

  it('refuses a brought file that holds no key, naming it', async () => {
    const junk = join(dir, 'notes.asc');
    await writeFile(junk, 'not a key at all\n');
    await expect(
      new BuilderKeyStore(keysDir).pinnedKeys({
        release: { builders: [pinned(builders.alice)], keySources: [byFingerprint()] },
        keyFiles: [junk],
      }),
    ).rejects.toThrow(`${junk} holds no readable OpenPGP public key`);
    expect(server.requests).toEqual([]);
  });

  it('offline, asks no source and says why each builder is missing', async () => {
    // Kept: alice (valid) and erin (expired); bob has nothing kept.
    serveKey(builders.alice);
    serveKey(builders.erin);
    await new BuilderKeyStore(keysDir).pinnedKeys({
      release: { builders: [pinned(builders.alice), pinned(builders.erin)], keySources: [byFingerprint()] },
    });
    const asked = server.requests.length;
    serveKey(builders.bob);

    const result = await new BuilderKeyStore(keysDir).pinnedKeys({
      release: {
        builders: [pinned(builders.alice), pinned(builders.bob), pinned(builders.erin)],
        keySources: [byFingerprint()],
      },
      offline: true,
    });
    expect(server.requests).toHaveLength(asked);
    // erin's expired key is still handed on, so the signature report can say it expired.
    expect(result.keys.map((k) => k.fingerprint)).toEqual([
      builders.alice.fingerprint,
      builders.erin.fingerprint,
    ]);
    expect(result.missing.map((m) => [m.builder.name, m.reason])).toEqual([
      ['bob', 'no kept key and none brought along'],
      ['erin', 'its key has expired'],
    ]);
  });

  it('tries the key sources in order until one serves the pinned key', async () => {
    // First source: nothing (404). Second: another key. Third: the right one. Fourth: never asked.
    server.routes.set(`/second/alice.asc`, builders.mallory.publicKey.armor());
    server.routes.set(`/third/${builders.alice.fingerprint}`, builders.alice.publicKey.armor());
    server.routes.set(`/fourth/${builders.alice.fingerprint}`, builders.alice.publicKey.armor());
    const result = await new BuilderKeyStore(keysDir).pinnedKeys({
      release: {
        builders: [pinned(builders.alice)],
        keySources: [
          `${server.url}first/{fingerprint}`,
          `${server.url}second/{name}.asc`,
          `${server.url}third/{fingerprint}`,
          `${server.url}fourth/{fingerprint}`,
        ],
      },
    });
    expect(server.requests).toEqual([
      `/first/${builders.alice.fingerprint}`,
      '/second/alice.asc',
      `/third/${builders.alice.fingerprint}`,
    ]);
    expect(result.missing).toEqual([]);
    expect(result.keys[0]!.file).toBe(`${server.url}third/${builders.alice.fingerprint}`);
  });

  it('names every source tried, a closed port included, when none serves the key', async () => {
    const down = await closedPortUrl();
    const result = await new BuilderKeyStore(keysDir).pinnedKeys({
      release: {
        builders: [pinned(builders.alice)],
        keySources: [`${down}keys/{fingerprint}`, `${server.url}missing/{fingerprint}`],
      },
    });
    expect(result.keys).toEqual([]);
    const reason = result.missing[0]!.reason;
    const [first, second] = reason.split('; ');
    expect(first).toContain(`${down}keys/${builders.alice.fingerprint}: `);
    expect(first).toMatch(/ECONNREFUSED/);
    expect(second).toContain(`${server.url}missing/${builders.alice.fingerprint}: `);
    expect(second).toMatch(/404/);
    expect(await keptFiles()).toEqual([]);
  });

  it('says so when no key source is configured', async () => {
    const result = await new BuilderKeyStore(keysDir).pinnedKeys({
      release: { builders: [pinned(builders.alice)], keySources: [] },
    });
    expect(result.missing.map((m) => m.reason)).toEqual(['no key source is configured']);
  });
});

describe('keyFilesIn', () => {
  it('lists key files by extension, sorted, without SHA256SUMS.asc', async () => {
    for (const name of ['b.gpg', 'a.ASC', 'SHA256SUMS.asc', 'SHA256SUMS', 'c.key', 'd.pub', 'e.tar.gz'])
      await writeFile(join(dir, name), '');
    expect(await keyFilesIn(dir)).toEqual(['a.ASC', 'b.gpg', 'c.key', 'd.pub'].map((n) => join(dir, n)));
    expect(await keyFilesIn(join(dir, 'absent'))).toEqual([]);
  });
});
