import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ImageTrust } from './image-trust.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'archy-image-trust-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const trust = () =>
  new ImageTrust({
    keyDirs: [dir],
    insecureRegistries: new Set(),
    unsignedRegistries: new Set(),
    logger: pino({ level: 'silent' }),
  });

// The keys are read before the registry is asked: port 9 (discard) on loopback is never reached.
const IMAGE = '127.0.0.1:9/apps/hello:1.0.0';

describe('ImageTrust reads the trusted keys as key files', () => {
  it('refuses a key folder holding a symlink, naming it, before any registry is asked', async () => {
    await writeFile(join(dir, 'elsewhere'), 'not a key the node chose\n');
    await symlink(join(dir, 'elsewhere'), join(dir, 'planted.pub'));
    await expect(trust().runnableReference('hello', IMAGE)).rejects.toThrow(
      new RegExp(`image key ${dir}/planted\\.pub is a symbolic link`),
    );
  });

  it('refuses an oversized .pub file', async () => {
    await writeFile(join(dir, 'huge.pub'), Buffer.alloc(64 * 1024 + 1, 0x41));
    await expect(trust().runnableReference('hello', IMAGE)).rejects.toThrow(
      /image key .*huge\.pub holds 65537 bytes, over the 65536-byte limit/,
    );
  });
});

describe('ImageTrust runs an upstream image its bundled manifest pins by digest', () => {
  const DIGEST = `sha256:${'ab'.repeat(32)}`;
  const PINNED = `127.0.0.1:9/upstream/lnd:v1.0@${DIGEST}`;
  const pinning = (pins: Record<string, string[]>) =>
    new ImageTrust({
      keyDirs: [dir],
      insecureRegistries: new Set(),
      unsignedRegistries: new Set(),
      logger: pino({ level: 'silent' }),
      bundledPins: async (appId) => pins[appId] ?? [],
    });

  it('runs exactly the pinned digest, asking no registry (port 9 is never reached)', async () => {
    await expect(pinning({ lnd: [PINNED] }).runnableReference('lnd', PINNED)).resolves.toBe(
      `127.0.0.1:9/upstream/lnd@${DIGEST}`,
    );
  });

  it("refuses what the app's bundled manifest does not pin: another digest, a tag, another app's pin", async () => {
    const other = `127.0.0.1:9/upstream/lnd:v1.0@sha256:${'cd'.repeat(32)}`;
    const pins = pinning({ lnd: [PINNED, '127.0.0.1:9/upstream/lnd:v1.0'] });
    // Each falls through to the signature check, which finds no trusted key and refuses.
    const unsigned = /no trusted signing keys are configured for .*so its signature cannot be checked/;
    await expect(pins.runnableReference('lnd', other)).rejects.toThrow(unsigned);
    await expect(pins.runnableReference('lnd', '127.0.0.1:9/upstream/lnd:v1.0')).rejects.toThrow(unsigned);
    await expect(pins.runnableReference('mempool', PINNED)).rejects.toThrow(unsigned);
  });

  it('leaves a digest the signed catalog pins to the catalog check', async () => {
    // The catalog path asks the registry where the tag points: port 9 refuses, so it throws.
    await expect(pinning({ lnd: [PINNED] }).runnableReference('lnd', PINNED, DIGEST)).rejects.toThrow(
      /could not reach the registry 127\.0\.0\.1:9/,
    );
  });
});

describe('ImageTrust runs the digests the user confirmed for an imported app', () => {
  const DIGEST = `sha256:${'ef'.repeat(32)}`;
  const CONFIRMED = `127.0.0.1:9/umbrel/btcpay:2.0.6@${DIGEST}`;
  const confirming = (confirmed: Record<string, string[]>) =>
    new ImageTrust({
      keyDirs: [dir],
      insecureRegistries: new Set(),
      unsignedRegistries: new Set(),
      logger: pino({ level: 'silent' }),
      importedPins: (appId) => confirmed[appId] ?? [],
    });

  it('runs exactly a confirmed digest, asking no registry', async () => {
    await expect(confirming({ btcpay: [CONFIRMED] }).runnableReference('btcpay', CONFIRMED)).resolves.toBe(
      `127.0.0.1:9/umbrel/btcpay@${DIGEST}`,
    );
  });

  it('refuses another digest, a tag (even one listed), and another app naming the confirmed digest', async () => {
    const tag = '127.0.0.1:9/umbrel/btcpay:2.0.6';
    const trust = confirming({ btcpay: [CONFIRMED, tag] });
    const unsigned = /no trusted signing keys are configured for .*so its signature cannot be checked/;
    await expect(
      trust.runnableReference('btcpay', `127.0.0.1:9/umbrel/btcpay:2.0.6@sha256:${'01'.repeat(32)}`),
    ).rejects.toThrow(unsigned);
    await expect(trust.runnableReference('btcpay', tag)).rejects.toThrow(unsigned);
    await expect(trust.runnableReference('mempool', CONFIRMED)).rejects.toThrow(unsigned);
  });
});
