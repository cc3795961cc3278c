// Decides whether SHA256SUMS is signed by enough pinned builders, the way Bitcoin Core's
// contrib/verify-binaries decides it:
// - only signatures from *pinned* keys count, and each builder counts once — a builder who
//   signs twice, with a subkey and the primary, or with two primary keys from the one pinned
//   file (builder-keys.ts), is still one builder;
// - keys expired or revoked today don't count, even if they were valid when they signed;
// - a signature from an unpinned key is listed as unknown and ignored;
// - a bad signature from a pinned key — or a block that doesn't even parse — fails the whole
//   check, whatever the count: someone altered the file, and we don't build from it.

import {
  createMessage,
  PacketList,
  readSignature,
  Signature,
  verify,
  type Key,
  type SignaturePacket,
  type Subkey,
} from 'openpgp';
import { splitArmoredSignatures } from './armored-blocks.js';
import type { PinnedKey } from './builder-keys.js';
import { releaseRefused } from './pipeline-error.js';

export interface Signer {
  /** The signer's primary key fingerprint, uppercase hex. */
  fingerprint: string;
  userId: string;
}

export interface GoodSignature extends Signer {
  /** The key that made the signature: the primary key's ID or a subkey's. */
  keyId: string;
  /** The pinned builder it counts for (PinnedKey.builder). */
  builder: string;
}

export interface BadSignature {
  /** 1-based position of the armored block in SHA256SUMS.asc. */
  block: number;
  reason: string;
  keyId?: string;
  fingerprint?: string;
  userId?: string;
}

export interface ExpiredSigner extends Signer {
  /** When the key (or its signing subkey) expired, when known. */
  expiredAt?: string;
}

export interface UnusableSigner extends Signer {
  reason: string;
}

export interface SignatureReport {
  /** One good signature per distinct pinned builder. */
  good: GoodSignature[];
  bad: BadSignature[];
  /** Key IDs (or fingerprints) of signers that aren't pinned. */
  unknown: string[];
  expired: ExpiredSigner[];
  revoked: Signer[];
  /**
   * Pinned keys OpenPGP.js won't sign-check with for another reason (e.g. a SHA-1 binding or a
   * key too weak for its policy). Not counted, but not evidence of tampering either.
   */
  unusable: UnusableSigner[];
  threshold: number;
  /** Armored blocks read from the .asc. */
  blocks: number;
  ok: boolean;
}

export interface SignatureCheckInput {
  /** The exact bytes that were signed (SHA256SUMS). */
  signedData: Uint8Array;
  /** SHA256SUMS.asc as text. */
  armoredSignatures: string;
  pinnedKeys: readonly PinnedKey[];
  threshold: number;
  /** Validity of keys is judged at this time; now by default. */
  now?: Date;
}

type Verdict =
  | { kind: 'good'; signature: GoodSignature }
  | { kind: 'bad'; signature: BadSignature }
  | { kind: 'unknown'; id: string }
  | { kind: 'expired'; signer: ExpiredSigner }
  | { kind: 'revoked'; signer: Signer }
  | { kind: 'unusable'; signer: UnusableSigner };

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex').toUpperCase();
const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** The pinned key whose primary key or a subkey made this signature. */
function findSigner(
  packet: SignaturePacket,
  pinned: readonly PinnedKey[],
): { pin: PinnedKey; signingKey: Key | Subkey } | undefined {
  for (const pin of pinned) {
    const [signingKey] = pin.key.getKeys(packet.issuerKeyID);
    if (!signingKey) continue;
    // A v4 key ID is 64 bits; when the signature also names the full fingerprint, both must match.
    if (
      packet.issuerFingerprint &&
      hex(packet.issuerFingerprint) !== signingKey.getFingerprint().toUpperCase()
    )
      continue;
    return { pin, signingKey };
  }
  return undefined;
}

async function judgePacket(
  packet: SignaturePacket,
  block: number,
  input: SignatureCheckInput,
  now: Date,
): Promise<Verdict> {
  const keyId = packet.issuerKeyID.toHex().toUpperCase();
  const found = findSigner(packet, input.pinnedKeys);
  if (!found)
    return { kind: 'unknown', id: packet.issuerFingerprint ? hex(packet.issuerFingerprint) : keyId };
  const { pin } = found;
  const signer: Signer = { fingerprint: pin.fingerprint, userId: pin.userId };

  if (await pin.key.isRevoked(undefined, undefined, now)) return { kind: 'revoked', signer };
  const expiry = await pin.key.getExpirationTime().catch(() => null);
  if (expiry instanceof Date && expiry.getTime() <= now.getTime())
    return { kind: 'expired', signer: { ...signer, expiredAt: expiry.toISOString() } };
  // The signing subkey has its own validity; OpenPGP.js only says why in words.
  try {
    await pin.key.getSigningKey(packet.issuerKeyID, now);
  } catch (error) {
    const reason = messageOf(error);
    if (/revoked/i.test(reason)) return { kind: 'revoked', signer };
    if (/expired/i.test(reason)) return { kind: 'expired', signer };
    return { kind: 'unusable', signer: { ...signer, reason } };
  }

  try {
    const single = new PacketList<SignaturePacket>();
    single.push(packet);
    const result = await verify({
      message: await createMessage({ binary: input.signedData }),
      signature: new Signature(single),
      verificationKeys: [pin.key],
      date: now,
    });
    await result.signatures[0]!.verified;
    return { kind: 'good', signature: { ...signer, keyId, builder: pin.builder } };
  } catch (error) {
    return { kind: 'bad', signature: { block, keyId, ...signer, reason: messageOf(error) } };
  }
}

/** Checks every signature in the .asc and reports who signed; `ok` only at or above the threshold with nothing bad. */
export async function checkSignatureThreshold(input: SignatureCheckInput): Promise<SignatureReport> {
  const now = input.now ?? new Date();
  const blocks = splitArmoredSignatures(input.armoredSignatures);
  const good = new Map<string, GoodSignature>();
  const expired = new Map<string, ExpiredSigner>();
  const revoked = new Map<string, Signer>();
  const unusable = new Map<string, UnusableSigner>();
  const unknown = new Set<string>();
  const bad: BadSignature[] = [];

  for (const [index, armored] of blocks.entries()) {
    const block = index + 1;
    let signature: Signature;
    try {
      signature = await readSignature({ armoredSignature: armored });
    } catch (error) {
      bad.push({ block, reason: `unreadable signature block: ${messageOf(error)}` });
      continue;
    }
    if (signature.packets.length === 0) bad.push({ block, reason: 'block holds no signature' });
    for (const packet of signature.packets) {
      const verdict = await judgePacket(packet, block, input, now);
      switch (verdict.kind) {
        case 'good':
          if (!good.has(verdict.signature.builder)) good.set(verdict.signature.builder, verdict.signature);
          break;
        case 'bad':
          bad.push(verdict.signature);
          break;
        case 'unknown':
          unknown.add(verdict.id);
          break;
        case 'expired':
          expired.set(verdict.signer.fingerprint, verdict.signer);
          break;
        case 'revoked':
          revoked.set(verdict.signer.fingerprint, verdict.signer);
          break;
        case 'unusable':
          unusable.set(verdict.signer.fingerprint, verdict.signer);
          break;
      }
    }
  }

  return {
    good: [...good.values()],
    bad,
    unknown: [...unknown],
    expired: [...expired.values()],
    revoked: [...revoked.values()],
    unusable: [...unusable.values()],
    threshold: input.threshold,
    blocks: blocks.length,
    ok: bad.length === 0 && good.size >= input.threshold,
  };
}

const signerText = (signer: { fingerprint?: string; userId?: string; keyId?: string }): string =>
  `${signer.fingerprint ?? signer.keyId ?? '?'}${signer.userId ? ` (${signer.userId})` : ''}`;

/** Why the report fails, in one line; undefined when it passes. */
export function signatureFailure(report: SignatureReport): string | undefined {
  if (report.blocks === 0) return 'SHA256SUMS.asc holds no armored signature block';
  if (report.bad.length > 0)
    return (
      `SHA256SUMS.asc has ${report.bad.length} bad signature${report.bad.length === 1 ? '' : 's'} ` +
      `(${report.bad.map((b) => `block ${b.block}${b.fingerprint ? ` by ${b.fingerprint}` : ''}: ${b.reason}`).join('; ')}); ` +
      'SHA256SUMS or its signatures were altered'
    );
  if (report.good.length < report.threshold)
    return (
      `only ${report.good.length} good signature${report.good.length === 1 ? '' : 's'} from distinct pinned ` +
      `builders on SHA256SUMS, ${report.threshold} needed`
    );
  return undefined;
}

/** Each category on its own line, for the CLI and logs. */
export function formatSignatureReport(report: SignatureReport): string {
  const list = (items: string[]): string => (items.length ? items.join(', ') : 'none');
  return [
    `signatures: ${report.good.length} good of ${report.threshold} needed, from ${report.blocks} block${report.blocks === 1 ? '' : 's'} — ${report.ok ? 'OK' : 'REFUSED'}`,
    `  good:     ${list(report.good.map(signerText))}`,
    `  bad:      ${list(report.bad.map((b) => `block ${b.block} ${signerText(b)}: ${b.reason}`))}`,
    `  expired:  ${list(report.expired.map((e) => `${signerText(e)}${e.expiredAt ? ` expired ${e.expiredAt}` : ''}`))}`,
    `  revoked:  ${list(report.revoked.map(signerText))}`,
    `  unknown:  ${list(report.unknown)}${report.unknown.length ? ' (not pinned in builderKeys)' : ''}`,
    ...(report.unusable.length
      ? [`  unusable: ${list(report.unusable.map((u) => `${signerText(u)}: ${u.reason}`))}`]
      : []),
  ].join('\n');
}

/** A one-line account of every category, for the error message. */
function summarize(report: SignatureReport): string {
  const names = (signers: { fingerprint?: string; userId?: string }[]): string =>
    signers.length ? signers.map((s) => s.userId ?? s.fingerprint).join(', ') : 'none';
  return (
    `good: ${names(report.good)}; bad: ${report.bad.length}; expired: ${names(report.expired)}; ` +
    `revoked: ${names(report.revoked)}; unknown: ${report.unknown.length ? report.unknown.join(', ') : 'none'}` +
    (report.unusable.length ? `; unusable: ${names(report.unusable)}` : '')
  );
}

/** Throws a 'signatures' refusal carrying the report unless it passes. */
export function requireSignatureThreshold(report: SignatureReport): void {
  const failure = signatureFailure(report);
  if (failure === undefined) return;
  throw releaseRefused(
    'signatures',
    `${failure} (${summarize(report)}). Nothing was built; check builderKeys and the sources, or wait for more ` +
      'builders to attest.',
    { data: { report } },
  );
}
