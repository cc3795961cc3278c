// The public keys of the builders a catalog pins, fetched when first needed and kept.
//
// The catalog carries only fingerprints; key material comes from the key sources it names (the
// builders' own folder in guix.sigs, a keyserver) or from key files a user brought along with an
// offline release. Whatever arrives, a key is accepted only when its primary key's fingerprint is
// one the catalog pins: a key source can withhold a key (that builder then doesn't count), never
// slip in another. Accepted keys are kept under DATA_DIR/releases/keys/<FINGERPRINT>.asc, so a
// node verifies later releases without asking again, unless a kept key has expired (a builder
// may have extended it since) or is missing.

import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { readKeyFileIfPresent } from '../util/read-key-file.js';
import { join } from 'node:path';
import { readKeys, type Key, type PublicKey } from 'openpgp';
import { keySourceUrl, type OfficialRelease, type PinnedBuilder } from '../catalog/index.js';
import { downloadFile, SourceUnavailable } from '../pipeline/download.js';
import type { PinnedKey } from '../pipeline/index.js';
import { writeFileAtomic } from '../util/atomic-file.js';

/** Builder keys are a few KiB; a key with many subkeys and signatures stays well under this. */
const MAX_KEY_BYTES = 1024 * 1024;

export interface MissingBuilderKey {
  builder: PinnedBuilder;
  /** Why no usable key was found, per source tried. */
  reason: string;
}

export interface PinnedKeys {
  keys: PinnedKey[];
  missing: MissingBuilderKey[];
}

export interface PinnedKeysRequest {
  release: Pick<OfficialRelease, 'builders' | 'keySources'>;
  /** Armored or binary key files a user brought (an offline install); used before any source. */
  keyFiles?: readonly string[];
  /** Offline: only kept keys and brought key files, no key source is asked. */
  offline?: boolean;
  signal?: AbortSignal;
  now?: Date;
}

export class BuilderKeyStore {
  constructor(private readonly dir: string) {}

  /** A key for every pinned builder that can be had, and why the others can't. */
  async pinnedKeys(request: PinnedKeysRequest): Promise<PinnedKeys> {
    const now = request.now ?? new Date();
    const brought = await this.readBroughtKeys(request.keyFiles ?? []);
    const keys: PinnedKey[] = [];
    const missing: MissingBuilderKey[] = [];
    for (const builder of request.release.builders) {
      const kept = await this.kept(builder.fingerprint);
      const fromUser = brought.get(builder.fingerprint);
      let best: PinnedKey | undefined;
      for (const candidate of [fromUser, kept]) {
        if (candidate && !(await hasExpired(candidate.key, now))) {
          best = candidate;
          break;
        }
      }
      if (best) {
        keys.push({ ...best, builder: builder.name });
        if (best === fromUser) await this.keep(best.key);
        continue;
      }
      if (request.offline) {
        missing.push({
          builder,
          reason: kept || fromUser ? 'its key has expired' : 'no kept key and none brought along',
        });
        if (kept) keys.push({ ...kept, builder: builder.name }); // counted as expired in the report, which says so
        continue;
      }
      const fetched = await this.fetch(builder, request.release.keySources, request.signal);
      if ('key' in fetched) {
        await this.keep(fetched.key.key);
        keys.push({ ...fetched.key, builder: builder.name });
      } else {
        missing.push({ builder, reason: fetched.reason });
        if (kept) keys.push({ ...kept, builder: builder.name });
      }
    }
    return { keys, missing };
  }

  private keyFile(fingerprint: string): string {
    return join(this.dir, `${fingerprint}.asc`);
  }

  private async kept(fingerprint: string): Promise<PinnedKey | undefined> {
    const file = this.keyFile(fingerprint);
    // Missing: not kept. A link, a non-file or an oversized file: refused, naming it.
    const kept = await readKeyFileIfPresent(file, { maxBytes: MAX_KEY_BYTES, what: 'kept builder key' });
    if (!kept) return undefined;
    const text = kept.bytes.toString('utf8');
    const key = (await parseKeys(Buffer.from(text), file).catch(() => [])).find(
      (candidate) => fingerprintOf(candidate) === fingerprint,
    );
    if (!key) {
      // A kept file that no longer holds the pinned key is useless; it is fetched again.
      await rm(file, { force: true });
      return undefined;
    }
    return pinnedKey(key, file);
  }

  private async keep(key: PublicKey): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    await writeFileAtomic(this.keyFile(fingerprintOf(key)), key.armor(), 0o644);
  }

  /** Tries each key source in order; the first that serves the pinned key wins. */
  private async fetch(
    builder: PinnedBuilder,
    keySources: readonly string[],
    signal: AbortSignal | undefined,
  ): Promise<{ key: PinnedKey } | { reason: string }> {
    const reasons: string[] = [];
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    for (const [index, template] of keySources.entries()) {
      const url = keySourceUrl(template, builder);
      const scratch = join(this.dir, `.fetch-${builder.fingerprint}-${index}-${process.pid}`);
      try {
        await rm(scratch, { force: true });
        await downloadFile(url, scratch, {
          maxBytes: MAX_KEY_BYTES,
          resume: false,
          keepPartial: false,
          headersTimeoutMs: 20_000,
          idleTimeoutMs: 20_000,
          ...(signal && { signal }),
        });
        const keys = await parseKeys(await readFile(scratch), url);
        const key = keys.find((candidate) => fingerprintOf(candidate) === builder.fingerprint);
        if (key) return { key: pinnedKey(key, url) };
        reasons.push(
          `${url} served ${keys.map(fingerprintOf).join(', ') || 'no key'}, not the pinned ${builder.fingerprint}`,
        );
      } catch (error) {
        if (signal?.aborted) throw error;
        reasons.push(
          error instanceof SourceUnavailable ? `${url}: ${error.detail}` : (error as Error).message,
        );
      } finally {
        await rm(scratch, { force: true });
      }
    }
    return { reason: reasons.join('; ') || 'no key source is configured' };
  }

  /** Every key in the files a user brought, by fingerprint; unreadable files are an error. */
  private async readBroughtKeys(files: readonly string[]): Promise<Map<string, PinnedKey>> {
    const byFingerprint = new Map<string, PinnedKey>();
    for (const file of files) {
      for (const key of await parseKeys(await readFile(file), file)) {
        byFingerprint.set(fingerprintOf(key), pinnedKey(key, file));
      }
    }
    return byFingerprint;
  }
}

/** The key files (by name) a folder a user brought may hold beside a release. */
export async function keyFilesIn(dir: string): Promise<string[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  return names
    .filter((name) => /\.(gpg|pub|key|asc)$/i.test(name) && name !== 'SHA256SUMS.asc')
    .sort()
    .map((name) => join(dir, name));
}

const fingerprintOf = (key: Key): string => key.getFingerprint().toUpperCase();

/** Expired or revoked now: worth asking the key sources again (the builder may have extended it). */
async function hasExpired(key: PublicKey, now: Date): Promise<boolean> {
  if (await key.isRevoked(undefined, undefined, now).catch(() => false)) return true;
  const expiry = await key.getExpirationTime().catch(() => null);
  return expiry instanceof Date && expiry.getTime() <= now.getTime();
}

async function parseKeys(bytes: Buffer, where: string): Promise<PublicKey[]> {
  const text = bytes.toString('utf8');
  try {
    const keys = text.includes('-----BEGIN PGP PUBLIC KEY BLOCK-----')
      ? await readKeys({ armoredKeys: text })
      : await readKeys({ binaryKeys: new Uint8Array(bytes) });
    return keys.map((key) => (key.isPrivate() ? key.toPublic() : (key as PublicKey)));
  } catch (error) {
    throw new Error(`${where} holds no readable OpenPGP public key (${(error as Error).message})`, {
      cause: error,
    });
  }
}

/** A key as found; pinnedKeys() names the catalog builder it counts for (one per builder). */
function pinnedKey(key: PublicKey, file: string): PinnedKey {
  const fingerprint = fingerprintOf(key);
  return { fingerprint, userId: key.getUserIDs()[0] ?? '(no user id)', key, file, builder: fingerprint };
}
