import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppRecordStore } from '../orchestrator/app-record.js';
import { DataLayout } from '../layout/index.js';
import { auditChainKey, AuditLog, auditLogPath, type AuditEntry } from '../security/audit/index.js';
import { auditObserver } from './audit-observer.js';
import { bearerTokenCheck, matchAuthCheck, type NamedAuthCheck } from './auth.js';

let dataDir: string;
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'archy-audit-observer-'));
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

const token = 'a'.repeat(64);
const checks: NamedAuthCheck<{ headers: Record<string, string> }>[] = [
  { name: 'bearer-token', check: bearerTokenCheck(token) },
  { name: 'web-session', check: (request) => request.headers.cookie === 'session=ok' },
];
const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
const entries = async (): Promise<AuditEntry[]> =>
  (await readFile(auditLogPath(dataDir), 'utf8'))
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as AuditEntry);

describe('auditObserver', () => {
  it('records the auth check that let the call in, not which headers it carried', async () => {
    const audit = new AuditLog(dataDir, { chainKey: auditChainKey(randomBytes(32)) });
    const observe = auditObserver(audit);
    // A web session that also sends a (wrong) bearer header: the session let it in.
    const web = { headers: { cookie: 'session=ok', authorization: 'Bearer wrong' } };
    const cli = { headers: { authorization: `Bearer ${token}` } };
    expect(matchAuthCheck(web, checks)).toBe('web-session');
    expect(matchAuthCheck(cli, checks)).toBe('bearer-token');
    expect(matchAuthCheck({ headers: {} }, checks)).toBeUndefined();
    const stop = {
      method: 'container-stop',
      params: { id: 'hello' },
      outcome: { ok: true as const, result: {} },
    };
    await observe(stop, web);
    await observe(stop, cli);
    await observe({ method: 'container-list', params: {}, outcome: { ok: true as const, result: [] } }, cli);
    await audit.close();
    expect((await entries()).map((e) => [e.actor, e.auth])).toEqual([
      ['web:admin', 'web-session'],
      ['cli', 'bearer-token'],
    ]);
  });

  it('records a reveal of connection details and every rotation, never a plain look', async () => {
    const audit = new AuditLog(dataDir, { chainKey: auditChainKey(randomBytes(32)) });
    const observe = auditObserver(audit);
    const cli = { headers: { authorization: `Bearer ${token}` } };
    matchAuthCheck(cli, checks);
    const ok = { ok: true as const, result: { id: 'lnd' } };
    await observe({ method: 'package.connection-info', params: { id: 'lnd' }, outcome: ok }, cli);
    await observe(
      { method: 'package.connection-info', params: { id: 'lnd', reveal: true }, outcome: ok },
      cli,
    );
    await observe({ method: 'package.rotate-credentials', params: { id: 'lnd' }, outcome: ok }, cli);
    await audit.close();
    expect((await entries()).map((e) => [e.action, e.target])).toEqual([
      ['package.connection-info', 'lnd'],
      ['package.rotate-credentials', 'lnd'],
    ]);
  });

  it("records the SHA-256 of an installed manifest's text, sent or from the catalog, never the text", async () => {
    const audit = new AuditLog(dataDir);
    const observe = auditObserver(audit);
    const request = { headers: { authorization: `Bearer ${token}` } };
    matchAuthCheck(request, checks);
    const sent = 'id: hello\nname: Hello\nversion: "1.0.0"\nimage: x\n';
    await observe(
      {
        method: 'container-install',
        params: { manifest: sent, manifestFile: 'hello.yml' },
        outcome: { ok: false, code: -32000, message: 'refused' },
      },
      request,
    );
    // By id: the digest of the manifest the app now runs, from its record.
    const bundled = 'id: mempool\nname: Mempool\n';
    await new AppRecordStore(new DataLayout(dataDir)).save({
      id: 'mempool',
      manifestYaml: bundled,
      manifestFile: '/apps/mempool/manifest.yml',
      version: '3.0.0',
      image: 'x',
      phase: 'installed',
      desired: 'running',
      installedAt: new Date().toISOString(),
      createdDataDir: true,
    });
    await observe(
      {
        method: 'package.install',
        params: { id: 'mempool', choices: { 'bitcoin-node': 'bitcoin-knots' } },
        outcome: { ok: true as const, result: {} },
      },
      request,
    );
    await audit.close();
    const [install, catalog] = await entries();
    expect(install!.params).toEqual({ manifestFile: 'hello.yml', manifestSha256: sha256(sent) });
    expect(install!.result).toBe('error: refused');
    // The provider the user chose is part of what was asked.
    expect(catalog!.params).toEqual({
      id: 'mempool',
      choices: { 'bitcoin-node': 'bitcoin-knots' },
      manifestSha256: sha256(bundled),
    });
    expect(await readFile(auditLogPath(dataDir), 'utf8')).not.toContain('Hello');
  });
});
