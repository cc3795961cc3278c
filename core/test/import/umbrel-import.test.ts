// `archy import umbrel`, run as the built CLI with no daemon: one app folder to a manifest the
// daemon's own parser accepts, a refused app with its reasons and exit 1, and --report over the
// fixture store (text, --json, --out DIR).

import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parseManifest } from '../../src/manifest/index.js';
import { runCli } from '../support/daemon-harness.js';

const STORE = fileURLToPath(new URL('../fixtures/umbrel/', import.meta.url));
const out = mkdtempSync(join(tmpdir(), 'archy-umbrel-import-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

// No daemon, and none to be found: the command must not look for one.
const archy = (args: string[]) => runCli(args, { ...process.env, ARCHY_URL: 'http://127.0.0.1:9' });

describe('archy import umbrel <app-dir>', () => {
  it('prints the manifest on stdout and the warnings on stderr', async () => {
    const result = await archy(['import', 'umbrel', join(STORE, 'pay-hub')]);
    expect(result.code, result.stderr).toBe(0);
    const manifest = parseManifest(result.stdout, 'stdout');
    expect(manifest.id).toBe('pay-hub');
    expect(manifest.origin).toEqual({
      kind: 'umbrel',
      app: 'pay-hub',
      upstreamVersion: '0.9.2-beta',
      source: 'getumbrel/umbrel-apps',
    });
    expect(manifest.dependencies.map((dependency) => dependency.id)).toEqual([
      'bitcoin-node',
      'lightning-node',
    ]);
    expect(result.stderr).toMatch(/^warning tor: /m);
    expect(result.stderr).toMatch(/^warning lightning-files: /m);
  });

  it('writes --out FILE and says how to install it', async () => {
    const file = join(out, 'notes.yml');
    const result = await archy(['import', 'umbrel', join(STORE, 'notes'), '--out', file]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(`archy install ${file} --accept-imported`);
    expect(parseManifest(readFileSync(file, 'utf8'), file).webLogin).toEqual({
      username: 'umbrel',
      password: '${ARCHY_APP_PASSWORD}',
    });
  });

  it('refuses an app with every reason, exit 1, nothing on stdout', async () => {
    const result = await archy(['import', 'umbrel', join(STORE, 'host-tools')]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^archy: host-tools is not converted:$/m);
    expect(result.stderr).toMatch(/^ {2}privileged: /m);
    expect(result.stderr).toMatch(/^ {2}host-network: /m);
    expect(result.stderr).toMatch(/^ {2}docker-socket: /m);
  });

  it('says so when the folder does not exist', async () => {
    const result = await archy(['import', 'umbrel', join(out, 'nowhere')]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^archy: .*nowhere does not exist/);
  });
});

describe('archy import umbrel <store-dir> --report', () => {
  it('prints the table and the counts per reason', async () => {
    const result = await archy(['import', 'umbrel', STORE, '--report']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^broken\s+refused\s+invalid: docker-compose.yml is not readable YAML/m);
    expect(result.stdout).toContain('5 apps: 0 converted, 3 converted with warnings, 2 refused');
  });

  it('--json has the contract shape; --out DIR writes every converted manifest', async () => {
    const dir = join(out, 'converted');
    const result = await archy(['import', 'umbrel', STORE, '--report', '--json', '--out', dir]);
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as {
      apps: Array<{ id: string; status: string; reasons: unknown[]; warnings: Array<{ code: string }> }>;
      counts: Record<string, number>;
      reasons: Record<string, number>;
    };
    expect(report.counts).toEqual({ converted: 0, warnings: 3, refused: 2 });
    expect(report.reasons).toEqual({ invalid: 1, privileged: 1, 'host-network': 1, 'docker-socket': 1 });
    expect(report.apps.find((app) => app.id === 'notes')).toMatchObject({ status: 'warnings', reasons: [] });
    expect(readdirSync(dir).sort()).toEqual(['ledger-db', 'notes', 'pay-hub']);
    for (const id of ['ledger-db', 'notes', 'pay-hub'])
      expect(parseManifest(readFileSync(join(dir, id, 'manifest.yml'), 'utf8'), id).id).toBe(id);
  });
});
