import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rpcParamSchemas } from '../../src/api/rpc-params.js';
import { freePort, tempDataDir, uniqueAppId } from '../support/index.js';
import { runCli, startDaemon, type TestDaemon } from '../support/daemon-harness.js';
import { writeHelloManifest } from './manifests.js';

describe('audit log and authentication against a real daemon', () => {
  let daemon: TestDaemon;
  let dir: string;

  beforeAll(async () => {
    dir = tempDataDir('audit');
    daemon = await startDaemon({ dataDir: dir });
  });
  afterAll(async () => {
    await daemon?.stop();
  });

  it('refuses every RPC method without the token, and /ws too', async () => {
    for (const method of Object.keys(rpcParamSchemas)) {
      const response = await fetch(`${daemon.url}/rpc/v1`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params: {} }),
      });
      expect(response.status, method).toBe(401);
      const wrong = await fetch(`${daemon.url}/rpc/v1`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${'0'.repeat(64)}` },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params: {} }),
      });
      expect(wrong.status, method).toBe(401);
    }
    // fetch() may not send upgrade headers; a raw request can.
    const wsStatus = await new Promise<number>((resolve, reject) => {
      const req = request(`${daemon.url}/ws`, {
        headers: {
          connection: 'Upgrade',
          upgrade: 'websocket',
          'sec-websocket-version': '13',
          'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
        },
      });
      req.on('response', (res) => resolve(res.statusCode ?? 0));
      req.on('upgrade', () => resolve(101));
      req.on('error', reject);
      req.end();
    });
    expect(wsStatus).toBe(401);
  });

  it('records each state-changing call, who made it and how it ended; archy audit verify finds tampering', async () => {
    const id = uniqueAppId('audited');
    const manifestPath = writeHelloManifest(dir, { id, hostPort: await freePort() });
    await daemon.cliJson(['install', manifestPath]);
    await daemon.cli(['stop', id]);
    await daemon.cli(['start', uniqueAppId('ghost')]); // refused: recorded as an error
    await daemon.cli(['remove', id, '--purge', '--yes']);

    const log = readFileSync(join(dir, 'audit', 'audit.log'), 'utf8')
      .trim()
      .split('\n');
    const entries = log.map(
      (line) =>
        JSON.parse(line) as {
          actor: string;
          auth?: string;
          action: string;
          target: string;
          result: string;
          params: Record<string, unknown>;
        },
    );
    expect(entries.map((e) => [e.action, e.target === id ? 'app' : 'other', e.result.slice(0, 5)])).toEqual([
      ['container-install', 'app', 'ok'],
      ['container-stop', 'app', 'ok'],
      ['container-start', 'other', 'error'],
      ['container-remove', 'app', 'ok'],
    ]);
    expect(entries.every((e) => e.actor === 'cli' && e.auth === 'bearer-token')).toBe(true);
    // What was installed, exactly: the digest of the manifest's text.
    expect(entries[0]!.params.manifestSha256).toBe(
      createHash('sha256').update(readFileSync(manifestPath, 'utf8'), 'utf8').digest('hex'),
    );
    // The manifest's text is not kept; its file name is.
    expect(log[0]).not.toContain('httpd');

    const env = { ...process.env, ARCHY_DATA_DIR: dir };
    const ok = await runCli(['audit', 'verify'], env);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^audit log OK: 4 entries/);

    // An edited entry.
    const file = join(dir, 'audit', 'audit.log');
    const original = readFileSync(file, 'utf8');
    writeFileSync(file, original.replace('"container-stop"', '"container-start"'));
    const edited = await runCli(['audit', 'verify'], env);
    expect(edited.code).toBe(1);
    expect(edited.stderr).toMatch(/TAMPERED at line 2/);

    // A truncated tail (the last entry cut off).
    writeFileSync(file, `${original.trim().split('\n').slice(0, 3).join('\n')}\n`);
    const truncated = await runCli(['audit', 'verify'], env);
    expect(truncated.code).toBe(1);
    expect(truncated.stderr).toMatch(/TAMPERED/);
    writeFileSync(file, original);
  });
});
