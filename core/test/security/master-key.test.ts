// The master key kept outside the data dir, the keyed audit log and secret redaction, through a
// real daemon: an existing node's key moved out (archy secrets move-key) and its old plain audit
// log sealed at the next start; a missing or wrong key refusing the start and changing nothing;
// and a Bitcoin node's generated RPC password never reaching the daemon's log or the audit log,
// even when a caller sends it in a request.

import { randomBytes } from 'node:crypto';
import { lstat, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppStatus } from '../../src/api/contract.js';
import { AuditLog } from '../../src/security/audit/index.js';
import { masterKeyPath, SecretStore } from '../../src/security/secrets/index.js';
import { holdBitcoinAppsForFile, writeBitcoinApps } from '../daemon/bitcoin-apps.js';
import { freePort, registry, tempDataDir, testCatalogDir, waitFor } from '../support/index.js';
import { runCli, startDaemon, type CliResult, type TestDaemon } from '../support/daemon-harness.js';

holdBitcoinAppsForFile();

/**
 * Every path under `dir` with its kind, size, mode and mtime (folders the test user cannot read,
 * an app's container-owned data, are listed but not entered): equal snapshots mean nothing changed.
 */
async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (path: string): Promise<void> => {
    const info = await lstat(path);
    out[path] =
      `${info.isDirectory() ? 'dir' : 'file'} ${info.size} ${info.mode.toString(8)} ${info.mtimeMs}`;
    if (!info.isDirectory()) return;
    const names = await readdir(path).catch(() => [] as string[]);
    for (const name of names) await walk(join(path, name));
  };
  await walk(dir);
  return out;
}

/** `archy daemon` expected to refuse: its result, or a failure if it starts serving instead. */
async function refusedDaemon(dataDir: string, env: Record<string, string>): Promise<CliResult> {
  const listen = `127.0.0.1:${await freePort()}`;
  return runCli(
    ['daemon', '--data-dir', dataDir, '--listen', listen],
    {
      ...process.env,
      ARCHY_INSECURE_REGISTRIES: registry(),
      ARCHY_CATALOG_DIR: testCatalogDir(),
      ARCHY_MASTER_KEY_FILE: '',
      ...env,
    },
    30_000,
  );
}

const writeKeyFile = (path: string): Promise<void> =>
  writeFile(path, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });

describe('an existing node moving its master key out of the data dir', () => {
  let daemon: TestDaemon | undefined;
  afterAll(async () => {
    await daemon?.stop();
  });

  it('moves the key, seals the old audit log at the next start, and refuses a start without the key', async () => {
    const dataDir = tempDataDir('key-move');
    const keyFile = join(tempDataDir('key-outside'), 'master.key');
    // The node as an older version left it: a secret under the data dir's key, a plain audit log.
    const value = `${randomBytes(24).toString('base64url')}`;
    await new SecretStore(dataDir).set('lnd', 'rpcpassword', value);
    const oldLog = new AuditLog(dataDir);
    for (const action of ['container-install', 'container-stop']) {
      await oldLog.append({ actor: 'cli', action, target: 'lnd', result: 'ok' });
    }
    await oldLog.close();
    const env = { ...process.env, ARCHY_DATA_DIR: dataDir, ARCHY_MASTER_KEY_FILE: '' };

    const moved = await runCli(['secrets', 'move-key', keyFile], env);
    expect(moved.code, moved.stderr).toBe(0);
    expect(moved.stdout).toContain(`moved the master key to ${keyFile}`);
    expect(moved.stdout).toContain(`--master-key-file ${keyFile}`);
    await expect(lstat(masterKeyPath(dataDir))).rejects.toThrow(/ENOENT/);
    expect((await lstat(keyFile)).mode & 0o777).toBe(0o600);

    // Without the key the daemon refuses, says what to do, and touches nothing.
    const before = await snapshot(dataDir);
    const noKey = await refusedDaemon(dataDir, {});
    expect(noKey.code).not.toBe(0);
    expect(noKey.stderr).toMatch(/master key .*\.master-key is missing; restore it from your backup/);
    expect(await snapshot(dataDir)).toEqual(before);

    daemon = await startDaemon({ dataDir, env: { ARCHY_MASTER_KEY_FILE: keyFile } });
    expect(daemon.log()).not.toContain('a master key file is still at');
    // While it runs, the key cannot be moved again.
    const busy = await runCli(['secrets', 'move-key', `${keyFile}.2`], env);
    expect(busy.stderr).toMatch(/is running .*stop it first/);
    await daemon.stop();
    daemon = undefined;

    const verified = await runCli(['audit', 'verify', '--master-key-file', keyFile], env);
    expect(verified.code, verified.stderr).toBe(0);
    expect(verified.stdout).toMatch(/^audit log OK: 3 entries, sealed with the node key from entry 3/);
    const lines = (await readFile(join(dataDir, 'audit', 'audit.log'), 'utf8')).trim().split('\n');
    expect(JSON.parse(lines[2]!)).toMatchObject({ action: 'audit.keyed', seal: 'hmac-sha256' });
    // Without the key, the seals cannot be checked; with another key they do not hold.
    const unchecked = await runCli(['audit', 'verify'], env);
    expect(unchecked.code).toBe(1);
    expect(unchecked.stderr).toContain('TAMPERED at line 3');
    const otherKey = `${keyFile}.other`;
    await writeKeyFile(otherKey);
    const forged = await runCli(['audit', 'verify', '--master-key-file', otherKey], env);
    expect(forged.stderr).toMatch(/TAMPERED at line 3: .*seal does not match/);

    // A wrong key refuses the start too, and changes nothing.
    const beforeWrong = await snapshot(dataDir);
    const wrong = await refusedDaemon(dataDir, { ARCHY_MASTER_KEY_FILE: otherKey });
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toMatch(/opens none of the 1 stored secret\(s\).*nothing was changed/);
    expect(wrong.stderr).not.toContain(value);
    const missing = await refusedDaemon(dataDir, { ARCHY_MASTER_KEY_FILE: `${keyFile}.gone` });
    expect(missing.stderr).toMatch(/master key .*\.gone \(from --master-key-file .*\) does not exist/);
    expect(await snapshot(dataDir)).toEqual(beforeWrong);

    // An edit to the audit log is found at its line, with the key.
    const file = join(dataDir, 'audit', 'audit.log');
    const text = await readFile(file, 'utf8');
    await writeFile(file, text.replace('"container-stop"', '"container-start"'));
    const edited = await runCli(['audit', 'verify', '--master-key-file', keyFile], env);
    expect(edited.stderr).toContain('TAMPERED at line 2');
  });
});

describe("a Bitcoin node's generated secrets with the key outside the data dir", () => {
  let daemon: TestDaemon;
  let dataDir: string;
  let keyFile: string;
  beforeAll(async () => {
    dataDir = tempDataDir('redaction');
    keyFile = join(tempDataDir('redaction-key'), 'master.key');
    await writeKeyFile(keyFile);
    daemon = await startDaemon({
      dataDir,
      env: { ARCHY_APPS_DIR: await writeBitcoinApps(), ARCHY_MASTER_KEY_FILE: keyFile },
    });
  });
  afterAll(async () => {
    await daemon?.cli(['remove', 'bitcoin-core', '--purge', '--yes']);
    await daemon?.stop();
  });

  it('never writes a secret value to the daemon log or the audit log', async () => {
    const installed = await daemon.cli(['install', 'bitcoin-core', '--network', 'regtest'], {
      timeoutMs: 180_000,
    });
    expect(installed.code, installed.stderr).toBe(0);
    // Healthy means the daemon's own probe logged in over JSON-RPC with the generated password.
    await waitFor(
      async () => {
        const status = await daemon.cliJson<AppStatus>(['status', 'bitcoin-core']);
        return status.health === 'healthy';
      },
      { what: 'bitcoin-core healthy', timeoutMs: 120_000, intervalMs: 500 },
    );
    const store = new SecretStore(dataDir, { masterKey: { path: keyFile, origin: 'option' } });
    const names = await store.list('bitcoin-core');
    expect(names.length).toBeGreaterThan(0);
    const values = await Promise.all(names.map(async (name) => (await store.get('bitcoin-core', name))!));

    // A caller sends the password where the daemon records and logs what it was sent: as an app
    // id (audited as params.id and target) and inside a manifest it refuses (the refusal's reason
    // goes to the debug log and the audit entry's result).
    const token = (await readFile(join(dataDir, '.cookie'), 'utf8')).trim();
    const call = (method: string, params: object) =>
      fetch(`${daemon.url}/rpc/v1`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
      }).then((response) => response.json() as Promise<{ error?: { message: string } }>);
    for (const value of values) {
      expect((await call('container-stop', { id: value })).error).toBeDefined();
      const refused = await call('container-install', {
        manifest: `id: leak\nname: Leak\nversion: "1.0.0"\nimage: ${registry()}/x:1\n${value}: 1\n`,
      });
      expect(refused.error?.message).toBeDefined();
    }
    await daemon.cli(['restart', 'bitcoin-core'], { timeoutMs: 120_000 });

    const daemonLog = daemon.log();
    const auditLog = await readFile(join(dataDir, 'audit', 'audit.log'), 'utf8');
    const otherFiles = await Promise.all(
      ['state', 'app-configs', 'run', 'audit'].map((dir) => readAll(join(dataDir, dir))),
    );
    for (const value of values) {
      expect(daemonLog.includes(value), 'daemon log holds a secret').toBe(false);
      expect(auditLog.includes(value), 'audit log holds a secret').toBe(false);
      expect(otherFiles.join('\n').includes(value), "the daemon's files hold a secret").toBe(false);
    }
    // The values were there to leak: each became [redacted] where it would have been.
    expect(auditLog).toContain('"target":"[redacted]"');
    expect(daemonLog).toContain('[redacted]');
    await expect(lstat(masterKeyPath(dataDir))).rejects.toThrow(/ENOENT/);
    expect(
      (
        await runCli(['audit', 'verify', '--master-key-file', keyFile], {
          ...process.env,
          ARCHY_DATA_DIR: dataDir,
        })
      ).stdout,
    ).toMatch(/^audit log OK: \d+ entries, all sealed with the node key/);
  }, 400_000);
});

/** The text of every file under `dir` the test user can read. */
async function readAll(dir: string): Promise<string> {
  const texts: string[] = [];
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    if (entry.isFile())
      texts.push(await readFile(join(entry.parentPath, entry.name), 'utf8').catch(() => ''));
  }
  return texts.join('\n');
}
