import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { splitArmoredSignatures } from './armored-blocks.js';
import { builderCount, loadPinnedKeys, type PinnedKey } from './builder-keys.js';
import { refusedStep } from './pipeline-error.js';
import {
  checkSignatureThreshold,
  formatSignatureReport,
  requireSignatureThreshold,
  type SignatureReport,
} from './signature-threshold.js';
import {
  makeBuilders,
  makeRelease,
  pinnedNames,
  signatureFile,
  tamperBlock,
  tempFolder,
  writeBuilderKeys,
  type BuilderKey,
  type BuilderSet,
} from './spec-release-fixture.js';

let builders: BuilderSet;
let pinned: PinnedKey[];
let folder: string;
const sums = makeRelease('28.1').sha256sums;

beforeAll(async () => {
  builders = await makeBuilders();
  folder = await tempFolder('keys');
  await writeBuilderKeys(
    join(folder, 'keys'),
    pinnedNames.map((name) => builders[name]),
  );
  pinned = await loadPinnedKeys(join(folder, 'keys'));
});
afterAll(() => rm(folder, { recursive: true, force: true }));

async function check(
  signers: BuilderKey[],
  options: { threshold?: number; asc?: string } = {},
): Promise<SignatureReport> {
  return checkSignatureThreshold({
    signedData: sums,
    armoredSignatures: options.asc ?? (await signatureFile(sums, signers)),
    pinnedKeys: pinned,
    threshold: options.threshold ?? 3,
  });
}

const names = (signers: { userId: string }[]): string[] => signers.map((s) => s.userId.split(' ')[0]!).sort();

describe('checkSignatureThreshold', () => {
  it('pins every key file by its primary fingerprint', () => {
    expect(pinned.map((p) => p.fingerprint).sort()).toEqual(
      pinnedNames.map((n) => builders[n].fingerprint).sort(),
    );
  });

  it('passes with three good signatures from distinct pinned builders', async () => {
    const report = await check([builders.alice, builders.bob, builders.carol]);
    expect(report.ok).toBe(true);
    expect(names(report.good)).toEqual(['alice', 'bob', 'carol']);
    expect(report.good.map((g) => g.fingerprint)).toContain(builders.alice.fingerprint);
    expect(report).toMatchObject({
      bad: [],
      unknown: [],
      expired: [],
      revoked: [],
      unusable: [],
      threshold: 3,
      blocks: 3,
    });
    expect(() => requireSignatureThreshold(report)).not.toThrow();
  });

  it('reads every armored block, not just the first', async () => {
    const asc = await signatureFile(sums, [builders.alice, builders.bob, builders.carol, builders.dave]);
    expect(splitArmoredSignatures(asc)).toHaveLength(4);
    expect((await check([], { asc })).good).toHaveLength(4);
  });

  it('refuses two good signatures when three are needed, and says so', async () => {
    const report = await check([builders.alice, builders.bob]);
    expect(report.ok).toBe(false);
    expect(() => requireSignatureThreshold(report)).toThrow(
      /only 2 good signatures from distinct pinned builders on SHA256SUMS, 3 needed/,
    );
  });

  it('lists a signature by an unpinned key as unknown and does not count it', async () => {
    const report = await check([builders.alice, builders.bob, builders.mallory]);
    expect(report.ok).toBe(false);
    expect(report.good).toHaveLength(2);
    expect(report.unknown).toHaveLength(1);
    expect(builders.mallory.fingerprint).toContain(report.unknown[0]!.slice(-16));
  });

  it('does not count a key that has expired since it signed', async () => {
    const report = await check([builders.alice, builders.bob, builders.erin]);
    expect(report.ok).toBe(false);
    expect(names(report.expired)).toEqual(['erin']);
    expect(report.expired[0]!.expiredAt).toMatch(/^\d{4}-/);
    expect(report.good).toHaveLength(2);
  });

  it('does not count a revoked key', async () => {
    const report = await check([builders.alice, builders.bob, builders.frank]);
    expect(report.ok).toBe(false);
    expect(names(report.revoked)).toEqual(['frank']);
    expect(report.good).toHaveLength(2);
  });

  it('counts one key signing twice once', async () => {
    const report = await check([builders.alice, builders.alice, builders.bob]);
    expect(report.blocks).toBe(3);
    expect(names(report.good)).toEqual(['alice', 'bob']);
    expect(report.ok).toBe(false);
  });

  describe('a builder is a pinned file, not a primary key', () => {
    let multi: string;
    beforeAll(async () => {
      multi = await tempFolder('multi');
      // One file holds alice's, bob's and carol's primary keys: one builder, whoever signed.
      await writeFile(
        join(multi, 'alice.gpg'),
        [builders.alice, builders.bob, builders.carol].map((b) => b.publicKey.armor()).join('\n'),
      );
      await writeBuilderKeys(multi, [builders.dave]);
      // bob's key again in a file of its own: still pinned once, for the first file (alice.gpg).
      await writeBuilderKeys(multi, [{ ...builders.bob, name: 'zz-bob-copy' }]);
    });
    afterAll(() => rm(multi, { recursive: true, force: true }));

    const checkWith = async (keys: PinnedKey[], signers: BuilderKey[], threshold: number) =>
      checkSignatureThreshold({
        signedData: sums,
        armoredSignatures: await signatureFile(sums, signers),
        pinnedKeys: keys,
        threshold,
      });

    it('counts several primary keys of one file as one builder', async () => {
      const keys = await loadPinnedKeys(multi);
      expect(keys).toHaveLength(4);
      expect(builderCount(keys)).toBe(2);
      const report = await checkWith(keys, [builders.alice, builders.bob, builders.carol], 2);
      expect(report.good).toHaveLength(1);
      expect(report.ok).toBe(false);
      expect(() => requireSignatureThreshold(report)).toThrow(/only 1 good signature from distinct pinned/);
    });

    it('never counts one key for two builders when two files hold it', async () => {
      const keys = await loadPinnedKeys(multi);
      expect(keys.find((k) => k.fingerprint === builders.bob.fingerprint)!.file).toMatch(/alice\.gpg$/);
      const report = await checkWith(keys, [builders.bob, builders.dave], 2);
      expect(report.good.map((g) => g.builder).sort()).toEqual([
        join(multi, 'alice.gpg'),
        join(multi, 'dave.gpg'),
      ]);
      expect(report.ok).toBe(true);
      expect((await checkWith(keys, [builders.bob, builders.alice], 2)).ok).toBe(false);
    });
  });

  it('counts a signing subkey’s signature for its primary key', async () => {
    const report = await check([builders.alice, builders.bob, builders.dave]);
    expect(report.ok).toBe(true);
    const dave = report.good.find((g) => g.fingerprint === builders.dave.fingerprint)!;
    expect(dave).toBeDefined();
    // Made by the subkey, credited to the primary.
    expect(dave.keyId).not.toBe(builders.dave.privateKey.getKeyID().toHex().toUpperCase());
  });

  it('fails on a tampered block even when the others reach the threshold', async () => {
    const asc = await signatureFile(sums, [builders.alice, builders.bob, builders.carol, builders.dave]);
    const report = await check([], { asc: tamperBlock(asc, 1) });
    expect(report.bad).toHaveLength(1);
    expect(report.bad[0]!.block).toBe(2);
    expect(report.good).toHaveLength(3);
    expect(report.ok).toBe(false);
    expect(() => requireSignatureThreshold(report)).toThrow(/1 bad signature .*block 2.*altered/);
  });

  it('fails signatures over different content as bad', async () => {
    const other = Buffer.from('0'.repeat(64) + '  bitcoin-28.1-x86_64-linux-gnu.tar.gz\n');
    const asc =
      (await signatureFile(sums, [builders.alice, builders.bob, builders.carol])) +
      (await signatureFile(other, [builders.dave]));
    const report = await check([], { asc });
    expect(report.bad.map((b) => b.fingerprint)).toEqual([builders.dave.fingerprint]);
    expect(report.ok).toBe(false);
  });

  it('refuses an .asc with no signature blocks', async () => {
    const report = await check([], { asc: 'nothing here\n' });
    expect(report.ok).toBe(false);
    try {
      requireSignatureThreshold(report);
      expect.unreachable();
    } catch (error) {
      expect(refusedStep(error)).toBe('signatures');
      expect((error as Error).message).toMatch(/holds no armored signature block/);
    }
  });

  it('formats every category on its own line', async () => {
    const asc = tamperBlock(
      await signatureFile(sums, [
        builders.alice,
        builders.bob,
        builders.erin,
        builders.frank,
        builders.mallory,
      ]),
      1,
    );
    const text = formatSignatureReport(await check([], { asc }));
    expect(text).toMatch(/^signatures: 1 good of 3 needed, from 5 blocks — REFUSED/);
    expect(text).toMatch(/\n {2}good: {5}[0-9A-F]{40} \(alice <alice@builders.test>\)/);
    expect(text).toMatch(/\n {2}bad: {6}block 2 /);
    expect(text).toMatch(/\n {2}expired: {2}[0-9A-F]{40} \(erin <erin@builders.test>\) expired /);
    expect(text).toMatch(/\n {2}revoked: {2}[0-9A-F]{40} \(frank/);
    expect(text).toMatch(/\n {2}unknown: {2}[0-9A-F]+ \(not pinned in builderKeys\)/);
  });
});
