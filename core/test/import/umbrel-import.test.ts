// `archy import umbrel`, run as the built CLI with no daemon: one app folder to a manifest the
// daemon's own parser accepts, a refused app with its reasons and exit 1, and --report over the
// fixture store (text, --json, --out DIR).

import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
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

/** An Umbrel app (written here) whose data folder ships a config and an entrypoint script. */
function writeShippingApp(store: string): string {
  const app = join(store, 'shipping');
  mkdirSync(join(app, 'data', 'bin'), { recursive: true });
  writeFileSync(join(app, 'umbrel-app.yml'), 'id: shipping\nname: Shipping\nversion: "1.0"\nport: 8490\n');
  writeFileSync(
    join(app, 'docker-compose.yml'),
    [
      'services:',
      '  app_proxy:',
      '    environment: { APP_HOST: shipping_web_1, APP_PORT: 8080 }',
      '  web:',
      `    image: registry.example.org/shipping:1.0@sha256:${'2'.repeat(64)}`,
      '    user: "1000:1000"',
      '    entrypoint: /data/bin/entry.sh',
      '    volumes:',
      '      - ${APP_DATA_DIR}/data:/data',
      '',
    ].join('\n'),
  );
  writeFileSync(join(app, 'data', 'settings.yml'), 'listen: 8080\n');
  writeFileSync(join(app, 'data', 'bin', 'entry.sh'), '#!/bin/sh\nexec serve\n', { mode: 0o755 });
  writeFileSync(join(app, 'data', '.gitkeep'), '');
  return app;
}

describe('archy import umbrel: an app that ships files in a mounted folder', () => {
  const store = join(out, 'shipping-store');
  const app = writeShippingApp(store);

  it('is refused on stdout, with what to do instead', async () => {
    const result = await archy(['import', 'umbrel', app]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(
      `shipping ships files its volumes start with (data in ${app}); write it with --out FILE, which copies them beside the manifest (seed/<volume>/)`,
    );
  });

  it('--out FILE writes the manifest with seed: and the files beside it', async () => {
    const file = join(out, 'shipping', 'manifest.yml');
    mkdirSync(join(out, 'shipping'));
    const result = await archy(['import', 'umbrel', app, '--out', file]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(
      /^warning app-files: service web mounts data at \/data, which the Umbrel app ships with files/m,
    );
    expect(parseManifest(readFileSync(file, 'utf8'), file).volumes).toEqual([
      { mount: '/data', name: 'data', readOnly: false, seed: 'seed/data' },
    ]);
    const seed = join(out, 'shipping', 'seed', 'data');
    expect(readdirSync(seed, { recursive: true }).sort()).toEqual(['bin', 'bin/entry.sh', 'settings.yml']);
    expect(readFileSync(join(seed, 'settings.yml'), 'utf8')).toBe('listen: 8080\n');
    expect(statSync(join(seed, 'bin', 'entry.sh')).mode & 0o777).toBe(0o755);
  });

  it('--report --out DIR writes DIR/<id>/seed/<volume>/ too', async () => {
    const dir = join(out, 'shipping-converted');
    const result = await archy(['import', 'umbrel', store, '--report', '--out', dir]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('1 apps: 0 converted, 1 converted with warnings, 0 refused');
    expect(readFileSync(join(dir, 'shipping', 'seed', 'data', 'settings.yml'), 'utf8')).toBe(
      'listen: 8080\n',
    );
    expect(readFileSync(join(dir, 'shipping', 'manifest.yml'), 'utf8')).toContain('seed: seed/data');
  });
});
