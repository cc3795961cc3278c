import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { canonicalEntryJson, entryHash, type AuditEntry } from './audit-entry.js';
import { auditAnchorPath, auditLogPath } from './audit-files.js';
import { AuditLog } from './audit-log.js';
import { formatAuditVerification } from './format.js';
import { verifyAuditLog } from './verify.js';

let dataDir: string;
let lines: string[];

/** A log of six entries; `lines` holds them without newlines. */
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'archy-audit-verify-'));
  const log = new AuditLog(dataDir);
  for (const action of [
    'container-install',
    'container-start',
    'container-stop',
    'package.update',
    'x',
    'y',
  ]) {
    await log.append({ actor: 'cli', action, target: 'hello', params: { id: 'hello' }, result: 'ok' });
  }
  await log.close();
  lines = (await readFile(auditLogPath(dataDir), 'utf8')).split('\n').filter(Boolean);
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

const writeLog = (next: string[]): Promise<void> =>
  writeFile(auditLogPath(dataDir), next.map((l) => `${l}\n`).join(''));
const entry = (i: number): AuditEntry => JSON.parse(lines[i]!) as AuditEntry;
/** An entry rewritten with `change` and its own hash recomputed (a careful forger). */
const reseal = (e: AuditEntry, change: Partial<AuditEntry>): string => {
  const { hash: _old, ...rest } = { ...e, ...change };
  return canonicalEntryJson({ ...rest, hash: entryHash(rest)! });
};

describe('verifyAuditLog on a log from before keyed chains (plain hashes)', () => {
  it('accepts an untouched log, and an empty one', async () => {
    const ok = await verifyAuditLog(dataDir);
    expect(ok).toEqual({ ok: true, entries: 6, head: entry(5).hash, keyedFrom: null });
    expect(formatAuditVerification(ok)).toBe(
      `audit log OK: 6 entries, not sealed with a key, head ${entry(5).hash.slice(0, 12)}`,
    );
    const empty = await mkdtemp(join(tmpdir(), 'archy-audit-empty-'));
    expect(await verifyAuditLog(empty)).toEqual({ ok: true, entries: 0, head: null, keyedFrom: null });
    expect(formatAuditVerification({ ok: true, entries: 0, head: null, keyedFrom: null })).toBe(
      'audit log OK: 0 entries, head none',
    );
    await rm(empty, { recursive: true });
  });

  it('detects an edited entry', async () => {
    await writeLog(lines.map((l, i) => (i === 2 ? l.replace('"result":"ok"', '"result":"error: no"') : l)));
    const result = await verifyAuditLog(dataDir);
    expect(result).toEqual({
      ok: false,
      line: 3,
      problem: 'entry was edited (its hash does not match its content)',
    });
    expect(formatAuditVerification(result)).toBe(
      'audit log TAMPERED at line 3: entry was edited (its hash does not match its content)',
    );
  });

  it('detects an edit that only changes formatting', async () => {
    await writeLog(lines.map((l, i) => (i === 1 ? l.replace('"seq":2,', '"seq": 2,') : l)));
    expect(await verifyAuditLog(dataDir)).toMatchObject({ ok: false, line: 2, problem: /not in the form/ });
  });

  it('detects an edited entry whose own hash was recomputed, at the next link', async () => {
    await writeLog(lines.map((l, i) => (i === 2 ? reseal(entry(2), { actor: 'monitor' }) : l)));
    expect(await verifyAuditLog(dataDir)).toMatchObject({
      ok: false,
      line: 4,
      problem: /prev does not match/,
    });
  });

  it('detects a rewritten tail whose whole chain was recomputed, against the anchor', async () => {
    const forged = [...lines];
    let prev = entry(3).hash;
    for (const i of [4, 5]) {
      forged[i] = reseal(entry(i), { prev, result: 'error: forged' });
      prev = (JSON.parse(forged[i]!) as AuditEntry).hash;
    }
    await writeLog(forged);
    expect(await verifyAuditLog(dataDir)).toMatchObject({
      ok: false,
      line: 6,
      problem: /not the one head.json records/,
    });
  });

  it('detects a deleted middle entry', async () => {
    await writeLog(lines.filter((_, i) => i !== 2));
    expect(await verifyAuditLog(dataDir)).toEqual({
      ok: false,
      line: 3,
      problem: 'expected seq 3 but found 4: entries before it were deleted or moved',
    });
  });

  it('detects a deleted middle entry even when later seqs were renumbered', async () => {
    const without = lines
      .filter((_, i) => i !== 2)
      .map((l, i) => (i >= 2 ? reseal(JSON.parse(l), { seq: i + 1 }) : l));
    await writeLog(without);
    expect(await verifyAuditLog(dataDir)).toMatchObject({
      ok: false,
      line: 3,
      problem: /prev does not match/,
    });
  });

  it('detects reordered entries', async () => {
    const swapped = [...lines];
    [swapped[1], swapped[2]] = [swapped[2]!, swapped[1]!];
    await writeLog(swapped);
    expect(await verifyAuditLog(dataDir)).toMatchObject({
      ok: false,
      line: 2,
      problem: /expected seq 2 but found 3/,
    });
  });

  it('detects a truncated tail against the anchor', async () => {
    await writeLog(lines.slice(0, 4));
    const result = await verifyAuditLog(dataDir);
    expect(result).toEqual({
      ok: false,
      line: 5,
      problem: 'the log ends at seq 4 but head.json records seq 6: entries were cut from the end',
    });
    await writeLog([]);
    expect(await verifyAuditLog(dataDir)).toMatchObject({ ok: false, line: 1, problem: /cut from the end/ });
  });

  it('detects a garbled line, an empty line and a malformed entry', async () => {
    await writeLog(lines.map((l, i) => (i === 3 ? l.slice(0, 40) + '\u0000garbage' : l)));
    expect(await verifyAuditLog(dataDir)).toEqual({
      ok: false,
      line: 4,
      problem: 'line is not valid JSON (garbled)',
    });
    await writeLog(lines.map((l, i) => (i === 3 ? '' : l)));
    expect(await verifyAuditLog(dataDir)).toMatchObject({ ok: false, line: 4, problem: /empty line/ });
    await writeLog(lines.map((l, i) => (i === 0 ? l.replace('"actor":"cli"', '"actor":"root"') : l)));
    expect(await verifyAuditLog(dataDir)).toMatchObject({
      ok: false,
      line: 1,
      problem: /actor is not a known kind/,
    });
  });

  it('refuses a log whose anchor is missing or damaged, and entries appended by hand', async () => {
    await rm(auditAnchorPath(dataDir));
    expect(await verifyAuditLog(dataDir)).toMatchObject({
      ok: false,
      line: 6,
      problem: /head.json is missing/,
    });
    await writeFile(auditAnchorPath(dataDir), 'nonsense');
    expect(await verifyAuditLog(dataDir)).toMatchObject({ ok: false, problem: /head.json is damaged/ });
    await writeFile(auditAnchorPath(dataDir), JSON.stringify({ seq: 4, hash: entry(3).hash }));
    expect(await verifyAuditLog(dataDir)).toMatchObject({
      ok: false,
      line: 6,
      problem: /entries were added after/,
    });
  });
});
