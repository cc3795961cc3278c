import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  auditChainKey,
  canonicalEntryJson,
  entryHash,
  GENESIS_HASH,
  type AuditEntry,
} from './audit-entry.js';
import { anchorMac, auditAnchorPath, auditLogPath } from './audit-files.js';
import { AuditLog } from './audit-log.js';
import { formatAuditVerification } from './format.js';
import { verifyAuditLog } from './verify.js';

// The attacker of these tests can write anything in the audit folder, knows the format and the
// code, but not the node's key (kept with the master key, outside the audit folder).

const masterKey = randomBytes(32);
const key = auditChainKey(masterKey);
let dataDir: string;
let lines: string[];

const ACTIONS = ['container-install', 'container-start', 'container-stop', 'package.update', 'x', 'y'];

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'archy-audit-keyed-'));
  const log = new AuditLog(dataDir, { chainKey: key });
  for (const action of ACTIONS) {
    await log.append({
      actor: 'cli',
      auth: 'bearer-token',
      action,
      target: 'hello',
      params: { id: 'hello' },
      result: 'ok',
    });
  }
  await log.close();
  lines = await readLines();
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

const readLines = async (): Promise<string[]> =>
  (await readFile(auditLogPath(dataDir), 'utf8')).split('\n').filter(Boolean);
const writeLog = (next: string[]): Promise<void> =>
  writeFile(auditLogPath(dataDir), next.map((l) => `${l}\n`).join(''));
const entry = (i: number): AuditEntry => JSON.parse(lines[i]!) as AuditEntry;
const verify = () => verifyAuditLog(dataDir, { key });

/** What a forger can do: rewrite an entry and recompute its hash — with a key of their own. */
const forge = (e: AuditEntry, change: Partial<AuditEntry>, forgerKey = randomBytes(32)): string => {
  const { hash: _old, ...rest } = { ...e, ...change };
  return canonicalEntryJson({ ...rest, hash: entryHash(rest, forgerKey)! });
};
/** Or drop the seal and recompute a plain hash, as the format allowed before keyed chains. */
const unseal = (e: AuditEntry, change: Partial<AuditEntry>): string => {
  const { hash: _old, seal: _seal, ...rest } = { ...e, ...change };
  return canonicalEntryJson({ ...rest, hash: entryHash(rest)! });
};
/** A head.json for seq/hash, sealed with `mac` of the forger's choosing. */
const writeAnchorFile = (anchor: object): Promise<void> =>
  writeFile(auditAnchorPath(dataDir), JSON.stringify(anchor));

describe('a keyed audit chain', () => {
  it('seals every entry and the anchor, and verifies with the key', async () => {
    expect(entry(0)).toMatchObject({ seq: 1, seal: 'hmac-sha256', auth: 'bearer-token', prev: GENESIS_HASH });
    expect(entry(1).prev).toBe(entry(0).hash);
    const anchor = JSON.parse(await readFile(auditAnchorPath(dataDir), 'utf8')) as Record<string, unknown>;
    expect(anchor).toEqual({
      seq: 6,
      hash: entry(5).hash,
      mac: anchorMac(key, { seq: 6, hash: entry(5).hash }),
      schemaVersion: 1,
    });
    const ok = await verify();
    expect(ok).toEqual({ ok: true, entries: 6, head: entry(5).hash, keyedFrom: 1 });
    expect(formatAuditVerification(ok)).toBe(
      `audit log OK: 6 entries, all sealed with the node key, head ${entry(5).hash.slice(0, 12)}`,
    );
  });

  it('cannot be checked without the key, nor with another one', async () => {
    expect(await verifyAuditLog(dataDir)).toMatchObject({ ok: false, line: 1, problem: /no key was given/ });
    expect(await verifyAuditLog(dataDir, { key: auditChainKey(randomBytes(32)) })).toMatchObject({
      ok: false,
      line: 1,
      problem: /seal does not match/,
    });
  });

  it('detects an edited entry whose seal was recomputed with a wrong key, at that line', async () => {
    await writeLog(lines.map((l, i) => (i === 3 ? forge(entry(3), { result: 'error: no' }) : l)));
    expect(await verify()).toEqual({
      ok: false,
      line: 4,
      problem: "entry was edited or forged (its seal does not match its content under this node's key)",
    });
  });

  it('detects an entry rewritten as an unsealed one, and a log rewritten unsealed whole', async () => {
    await writeLog(lines.map((l, i) => (i === 2 ? unseal(entry(2), { actor: 'monitor' }) : l)));
    expect(await verify()).toMatchObject({
      ok: false,
      line: 3,
      problem: /not sealed, but entries before it are/,
    });

    // Every entry rewritten with plain hashes, chained, and a matching plain anchor.
    const plain: string[] = [];
    let prev = GENESIS_HASH;
    for (let i = 0; i < lines.length; i++) {
      plain.push(unseal(entry(i), { prev, result: 'ok' }));
      prev = (JSON.parse(plain[i]!) as AuditEntry).hash;
    }
    await writeLog(plain);
    await writeAnchorFile({ seq: 6, hash: prev });
    expect(await verify()).toMatchObject({ ok: false, line: 6, problem: /no entry is sealed/ });
  });

  it('detects a deleted entry, with or without renumbering', async () => {
    await writeLog(lines.filter((_, i) => i !== 2));
    expect(await verify()).toMatchObject({ ok: false, line: 3, problem: /expected seq 3 but found 4/ });
    const renumbered = lines
      .filter((_, i) => i !== 2)
      .map((l, i) => (i >= 2 ? forge(JSON.parse(l) as AuditEntry, { seq: i + 1 }) : l));
    await writeLog(renumbered);
    expect(await verify()).toMatchObject({ ok: false, line: 3, problem: /seal does not match/ });
  });

  it('detects reordered entries', async () => {
    const swapped = [...lines];
    [swapped[3], swapped[4]] = [swapped[4]!, swapped[3]!];
    await writeLog(swapped);
    expect(await verify()).toMatchObject({ ok: false, line: 4, problem: /expected seq 4 but found 5/ });
  });

  it('detects a truncated tail, even when head.json is rewritten to match', async () => {
    await writeLog(lines.slice(0, 4));
    expect(await verify()).toEqual({
      ok: false,
      line: 5,
      problem: 'the log ends at seq 4 but head.json records seq 6: entries were cut from the end',
    });
    // The forger writes an anchor for the cut log: unsealed, or sealed with a key of their own.
    await writeAnchorFile({ seq: 4, hash: entry(3).hash });
    expect(await verify()).toMatchObject({ ok: false, line: 4, problem: /head.json is not sealed/ });
    await writeAnchorFile({
      seq: 4,
      hash: entry(3).hash,
      mac: anchorMac(randomBytes(32), { seq: 4, hash: entry(3).hash }),
    });
    expect(await verify()).toMatchObject({ ok: false, line: 4, problem: /head.json is forged or damaged/ });
    await rm(auditAnchorPath(dataDir));
    expect(await verify()).toMatchObject({ ok: false, line: 4, problem: /head.json is missing/ });
  });

  it('keeps a cut tail visible after the daemon appends more (the anchor is not moved past it)', async () => {
    await writeLog(lines.slice(0, 3));
    await writeAnchorFile({ seq: 3, hash: entry(2).hash }); // unsealed: the daemon does not trust it
    const log = new AuditLog(dataDir, { chainKey: key });
    expect(await log.head()).toMatchObject({ seq: 3, anchorFrozen: true });
    await log.append({ actor: 'system', action: 'z', target: null, result: 'ok' });
    await log.close();
    expect(await verify()).toMatchObject({ ok: false, problem: /head.json is not sealed/ });
  });

  it('repairs a crash between the line and the anchor, which stays sealed', async () => {
    await writeAnchorFile({
      seq: 5,
      hash: entry(4).hash,
      mac: anchorMac(key, { seq: 5, hash: entry(4).hash }),
    });
    expect(await verify()).toMatchObject({ ok: true, entries: 6 });
    const log = new AuditLog(dataDir, { chainKey: key });
    expect(await log.head()).toMatchObject({ seq: 6, anchorFrozen: false });
    await log.close();
    expect(JSON.parse(await readFile(auditAnchorPath(dataDir), 'utf8'))).toMatchObject({ seq: 6 });
    expect(await verify()).toMatchObject({ ok: true, entries: 6 });
  });
});

describe('a log from before keyed chains', () => {
  let plainDir: string;
  beforeEach(async () => {
    plainDir = await mkdtemp(join(tmpdir(), 'archy-audit-upgrade-'));
    const old = new AuditLog(plainDir); // no key: as the daemon wrote before
    for (const action of ['a', 'b', 'c']) {
      await old.append({ actor: 'cli', action, target: 'hello', result: 'ok' });
    }
    await old.close();
  });
  afterEach(async () => {
    await rm(plainDir, { recursive: true, force: true });
  });
  const plainLines = async () => (await readFile(auditLogPath(plainDir), 'utf8')).split('\n').filter(Boolean);

  it('is sealed at the first open with a key: the old entries are then covered too', async () => {
    expect(await verifyAuditLog(plainDir, { key })).toMatchObject({
      ok: false,
      problem: /no entry is sealed/,
    });
    const log = new AuditLog(plainDir, { chainKey: key });
    expect(await log.head()).toMatchObject({ seq: 4, anchorFrozen: false });
    await log.append({ actor: 'cli', action: 'd', target: 'hello', result: 'ok' });
    await log.close();
    const after = (await plainLines()).map((l) => JSON.parse(l) as AuditEntry);
    expect(after[3]).toMatchObject({
      seq: 4,
      actor: 'system',
      action: 'audit.keyed',
      seal: 'hmac-sha256',
      prev: after[2]!.hash,
      params: { entriesBefore: 3, checkBefore: expect.stringMatching(/^audit log OK: 3 entries/) },
    });
    const ok = await verifyAuditLog(plainDir, { key });
    expect(ok).toMatchObject({ ok: true, entries: 5, keyedFrom: 4 });
    expect(formatAuditVerification(ok)).toMatch(
      /^audit log OK: 5 entries, sealed with the node key from entry 4/,
    );

    // An old entry rewritten with a recomputed plain chain breaks the first sealed entry's link.
    const text = await plainLines();
    const forged: string[] = [];
    let prev = GENESIS_HASH;
    for (let i = 0; i < 3; i++) {
      forged.push(unseal(JSON.parse(text[i]!) as AuditEntry, { prev, result: 'error: forged' }));
      prev = (JSON.parse(forged[i]!) as AuditEntry).hash;
    }
    await writeFile(auditLogPath(plainDir), [...forged, ...text.slice(3)].map((l) => `${l}\n`).join(''));
    expect(await verifyAuditLog(plainDir, { key })).toMatchObject({
      ok: false,
      line: 4,
      problem: /prev does not match/,
    });
  });

  it('records, when sealing, that the old log was already tampered with', async () => {
    const text = await plainLines();
    await writeFile(auditLogPath(plainDir), [text[0], text[2]].map((l) => `${l}\n`).join(''));
    const log = new AuditLog(plainDir, { chainKey: key });
    await log.head();
    await log.close();
    const sealedEntry = JSON.parse((await plainLines()).at(-1)!) as AuditEntry;
    expect(sealedEntry.params.checkBefore).toMatch(/^audit log TAMPERED at line 2/);
    expect(await verifyAuditLog(plainDir, { key })).toMatchObject({ ok: false, line: 2 });
  });
});
