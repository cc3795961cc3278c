import { appendFile, mkdtemp, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Redactor } from '../secrets/redact.js';
import { GENESIS_HASH, type AuditEntry, type AuditRecord } from './audit-entry.js';
import { auditAnchorPath, auditLogPath } from './audit-files.js';
import { AuditLog, auditResultOf } from './audit-log.js';
import { verifyAuditLog } from './verify.js';

let dataDir: string;
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'archy-audit-'));
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

const install = (target: string): AuditRecord => ({
  actor: 'cli',
  action: 'container-install',
  target,
  params: { id: target, version: '1.0.0' },
  result: 'ok',
});

const readEntries = async (): Promise<AuditEntry[]> =>
  (await readFile(auditLogPath(dataDir), 'utf8'))
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as AuditEntry);

describe('AuditLog', () => {
  it('appends chained entries, anchors the head, and keeps its files private', async () => {
    const log = new AuditLog(dataDir, { now: () => new Date('2025-01-02T03:04:05.000Z') });
    const first = await log.append(install('hello'));
    const second = await log.append({
      actor: 'web:alice',
      action: 'container-stop',
      target: 'hello',
      result: 'ok',
    });
    const third = await log.append({
      actor: 'monitor',
      action: 'container-restart',
      target: 'hello',
      result: 'error: boom',
    });
    await log.close();

    expect(first).toMatchObject({
      seq: 1,
      prev: GENESIS_HASH,
      time: '2025-01-02T03:04:05.000Z',
      actor: 'cli',
    });
    expect(second).toMatchObject({ seq: 2, prev: first.hash, params: {} });
    expect(third).toMatchObject({ seq: 3, prev: second.hash, result: 'error: boom' });
    expect(await readEntries()).toEqual([first, second, third]);
    expect(JSON.parse(await readFile(auditAnchorPath(dataDir), 'utf8'))).toEqual({
      seq: 3,
      hash: third.hash,
      schemaVersion: 1,
    });
    expect((await stat(auditLogPath(dataDir))).mode & 0o777).toBe(0o600);
    expect((await stat(join(dataDir, 'audit'))).mode & 0o777).toBe(0o700);
    expect(await verifyAuditLog(dataDir)).toEqual({
      ok: true,
      entries: 3,
      head: third.hash,
      keyedFrom: null,
    });
  });

  it('continues the chain after a restart', async () => {
    const before = new AuditLog(dataDir);
    await before.append(install('a'));
    const last = await before.append(install('b'));
    await before.close();
    const after = new AuditLog(dataDir);
    expect(await after.head()).toEqual({ seq: 2, hash: last.hash, anchorFrozen: false });
    expect(await after.append(install('c'))).toMatchObject({ seq: 3, prev: last.hash });
    await after.close();
    expect(await verifyAuditLog(dataDir)).toMatchObject({ ok: true, entries: 3 });
  });

  it('keeps a valid chain under 100 parallel appends', async () => {
    const log = new AuditLog(dataDir);
    const entries = await Promise.all(Array.from({ length: 100 }, (_, i) => log.append(install(`app-${i}`))));
    await log.close();
    expect(entries.map((e) => e.seq).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 100 }, (_, i) => i + 1),
    );
    // Appends are recorded in call order.
    expect(entries.map((e) => e.target)).toEqual(Array.from({ length: 100 }, (_, i) => `app-${i}`));
    expect(await verifyAuditLog(dataDir)).toMatchObject({ ok: true, entries: 100, head: entries[99]!.hash });
  });

  it('redacts secrets from params and results, and canonicalises params', async () => {
    const redactor = new Redactor();
    const secret = 'Zm9vYmFyLXNlY3JldC12YWx1ZQ';
    redactor.add(secret);
    const log = new AuditLog(dataDir, { redactor });
    const entry = await log.append({
      actor: 'cli',
      action: 'package.set-config',
      target: 'lnd',
      params: { z: 1, a: { note: `uses ${secret}` }, password: 'typed', skip: undefined },
      result: `error: bitcoind refused ${secret}`,
    });
    await log.close();
    const text = await readFile(auditLogPath(dataDir), 'utf8');
    expect(redactor.containsSecret(text)).toBe(false);
    expect(text).not.toContain('typed');
    expect(Object.keys(entry.params)).toEqual(['a', 'password', 'z']);
    expect(entry.result).toBe('error: bitcoind refused [redacted]');
    expect(await verifyAuditLog(dataDir)).toMatchObject({ ok: true });
  });

  it('records an operation with its outcome and passes the outcome through', async () => {
    const log = new AuditLog(dataDir);
    const what = { actor: 'system' as const, action: 'auto-update', target: 'mempool' };
    await expect(log.record(what, async () => 42)).resolves.toBe(42);
    await expect(
      log.record(what, async () => {
        throw new Error('image unavailable\nsecond line');
      }),
    ).rejects.toThrow('image unavailable');
    await log.close();
    expect((await readEntries()).map((e) => e.result)).toEqual(['ok', 'error: image unavailable']);
  });

  it('refuses unknown actors', async () => {
    const log = new AuditLog(dataDir);
    await expect(log.append({ ...install('x'), actor: 'root' as 'cli' })).rejects.toThrow(
      /not cli, monitor, system or web/,
    );
  });

  it('repairs a torn last line left by a crash mid-write, and an anchor one entry behind', async () => {
    const log = new AuditLog(dataDir);
    await log.append(install('a'));
    const b = await log.append(install('b'));
    await log.close();
    // Crash between the line and the anchor: anchor one behind. Then a torn next line.
    await writeFile(auditAnchorPath(dataDir), JSON.stringify({ seq: 1, hash: b.prev }));
    expect(await verifyAuditLog(dataDir)).toMatchObject({ ok: true, entries: 2 });
    await appendFile(auditLogPath(dataDir), '{"seq":3,"time":"2025-01-0');
    expect(await verifyAuditLog(dataDir)).toMatchObject({ ok: false, line: 3, problem: /incomplete/ });

    const reopened = new AuditLog(dataDir);
    expect(await reopened.head()).toEqual({ seq: 2, hash: b.hash, anchorFrozen: false });
    await reopened.append(install('c'));
    await reopened.close();
    expect(await verifyAuditLog(dataDir)).toMatchObject({ ok: true, entries: 3 });
    expect(JSON.parse(await readFile(auditAnchorPath(dataDir), 'utf8'))).toMatchObject({ seq: 3 });
  });

  it('does not move the anchor past a cut tail, so the cut stays visible after more appends', async () => {
    const log = new AuditLog(dataDir);
    for (let i = 0; i < 5; i++) await log.append(install(`a${i}`));
    await log.close();
    const text = await readFile(auditLogPath(dataDir), 'utf8');
    const keep = text.split('\n').slice(0, 3).join('\n') + '\n';
    await truncate(auditLogPath(dataDir), Buffer.byteLength(keep));

    const after = new AuditLog(dataDir);
    expect(await after.head()).toMatchObject({ seq: 3, anchorFrozen: true });
    for (let i = 0; i < 4; i++) await after.append(install(`b${i}`));
    await after.close();
    expect(JSON.parse(await readFile(auditAnchorPath(dataDir), 'utf8'))).toMatchObject({ seq: 5 });
    expect(await verifyAuditLog(dataDir)).toMatchObject({ ok: false, line: 5, problem: /rewritten/ });
  });
});

describe('auditResultOf', () => {
  it("gives 'ok' or the error's first line", () => {
    expect(auditResultOf()).toBe('ok');
    expect(auditResultOf(new Error('no space left\nat ...'))).toBe('error: no space left');
    expect(auditResultOf('plain')).toBe('error: plain');
    expect(auditResultOf(new Error(''))).toBe('error: unknown error');
  });
});
