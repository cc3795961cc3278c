// The converter on the two fixture modules written for it (core/test/fixtures/parmanode/): what
// it finds, the skeleton it writes, whether our parser accepts it, and what it leaves to a person.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { parseManifest } from '../../manifest/index.js';
import { convertModule, convertModuleFiles, ModuleReadError } from './index.js';

const fixture = (name: string): string =>
  new URL(`../../../test/fixtures/parmanode/${name}`, import.meta.url).pathname;
const keys = (decisions: { key: string }[]): string[] => decisions.map((d) => d.key);

describe('a docker-based module (relaybox)', () => {
  it('gives a skeleton our parser accepts: pinned-by-tag image, ports, volumes, command, env', async () => {
    const result = await convertModule(fixture('relaybox'));
    expect(result.problems).toEqual([]);
    expect(result.valid).toBe(true);
    const manifest = parseManifest(result.manifestYaml, 'relaybox.yml');
    expect(manifest.id).toBe('relaybox');
    expect(manifest.version).toBe('0.9.2');
    expect(manifest.image).toBe('docker.io/example/relaybox:v0.9.2');
    expect(manifest.command).toEqual(['relaybox', '--config', '/app/config/relay.toml']);
    // The Mac branch's -p (the Linux branch uses the host network and publishes none).
    expect(manifest.ports).toEqual([
      { container: 7777, host: 7777, protocol: 'tcp', expose: 'lan' },
      { container: 7778, host: 7778, protocol: 'tcp', expose: 'local' },
    ]);
    expect(manifest.volumes).toEqual([
      { mount: '/app/db', name: 'relaybox-db', readOnly: false },
      { mount: '/app/config', name: 'relaybox', readOnly: false },
    ]);
    expect(manifest.dependencies.map((d) => d.id)).toEqual(['bitcoin-node']);
    // Where each value came from is in the text, for the person who decides.
    expect(result.manifestYaml).toContain('# Parmanode kept it at ~/.relaybox_db (docker_run_relaybox.sh:4)');
  });

  it('says what a person must decide: digest, host network, volumes, user, config, bitcoind, health', async () => {
    const { decisions, manifestYaml } = await convertModule(fixture('relaybox'));
    expect(keys(decisions)).toEqual([
      'image.digest',
      'network',
      'volumes.relaybox-db',
      'volumes.relaybox',
      'user',
      'config:~/.relaybox/relay.toml',
      'dependencies',
      'health',
    ]);
    expect(decisions.find((d) => d.key === 'network')!.why).toMatch(
      /--network host, docker_run_relaybox\.sh:4/,
    );
    expect(decisions.find((d) => d.key === 'config:~/.relaybox/relay.toml')!.why).toMatch(
      /keys listen, metrics, db_path, bitcoind_user/,
    );
    expect(manifestYaml).toMatch(/^image: .*# DECIDE: pin by digest/m);
  });

  it('finds the pull, both docker runs and the folders it makes', async () => {
    const { found } = await convertModule(fixture('relaybox'));
    expect(found.pulls.map((p) => p.image)).toEqual(['docker.io/example/relaybox:v0.9.2']);
    expect(found.runs.map((r) => r.network ?? 'bridge')).toEqual(['host', 'bridge']);
    expect(found.dataDirs.map((d) => d.path)).toEqual(['~/.relaybox', '~/.relaybox_db']);
    expect(found.downloads).toEqual([]);
  });
});

describe('a tarball-based module (chainindex)', () => {
  it('finds the release, its signature and sha256, the config, the systemd ExecStart and the data folders', async () => {
    const { found } = await convertModule(fixture('chainindex'));
    expect(found.runs).toEqual([]);
    expect(found.downloads.map((d) => [d.kind, d.url.split('/').at(-1)])).toEqual([
      ['archive', 'chainindex-2.1.0-x86_64-linux.tar.gz'],
      ['signature', 'chainindex-2.1.0-x86_64-linux.tar.gz.asc'],
      ['archive', 'chainindex-2.1.0-arm64-linux.tar.gz'],
      ['signature', 'chainindex-2.1.0-arm64-linux.tar.gz.asc'],
    ]);
    expect(found.sha256.map((s) => s.hash)).toEqual([
      '9f2c4b7a61d0e3f5a8c2b1d4e6f70819a2b3c4d5e6f708192a3b4c5d6e7f8091',
    ]);
    expect(found.services).toEqual([
      expect.objectContaining({
        execStart: '/usr/local/bin/chainindex ~/.chainindex/chainindex.conf',
        file: 'make_chainindex_service.sh',
      }),
    ]);
    expect(found.configFiles[0]).toMatchObject({
      path: '~/.chainindex/chainindex.conf',
      entries: { tcp: '0.0.0.0:50001', ssl: '0.0.0.0:50002' },
    });
    expect(found.dataDirs.map((d) => d.path)).toEqual(['~/.chainindex', '~/.chainindex_db']);
  });

  it('writes valid YAML that our parser refuses only for the image it cannot know, and says so', async () => {
    const result = await convertModule(fixture('chainindex'));
    expect(result.valid).toBe(false);
    expect(result.problems).toHaveLength(1);
    expect(result.problems[0]).toMatch(/image: is required/);
    const doc = parseYaml(result.manifestYaml) as Record<string, unknown>;
    expect(doc).toMatchObject({
      id: 'chainindex',
      version: '2.1.0',
      ports: [
        { container: 50001, host: 50001 },
        { container: 50002, host: 50002 },
      ],
    });
    expect(result.manifestYaml).toMatch(/^# DECIDE: image — the module installs a release download/m);
    expect(keys(result.decisions)).toEqual([
      'image',
      'release.verify',
      'command',
      'user',
      'ports',
      'volumes.chainindex',
      'volumes.chainindex-db',
      'config:~/.chainindex/chainindex.conf',
      'dependencies',
      'health',
    ]);
    // With the image written in, the rest of the skeleton is a manifest.
    const completed = result.manifestYaml.replace(
      '# image: <registry>/<name>:<version>@sha256:<digest>',
      'image: registry.example/chainindex:2.1.0',
    );
    expect(parseManifest(completed, 'chainindex.yml').ports).toHaveLength(2);
  });
});

describe('rules', () => {
  const convert = (text: string, name = 'x.sh') => convertModuleFiles('/src/thing', [{ name, text }]);

  it('never runs the module: a script that would leave a mark leaves none', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'parmanode-convert-'));
    try {
      const mark = join(dir, 'ran');
      writeFileSync(
        join(dir, 'install_thing.sh'),
        `touch ${mark}\n$(touch ${mark})\ndocker run -d -p 80:80 example/thing:1.0\n`,
      );
      const result = await convertModule(dir);
      expect(result.found.runs).toHaveLength(1);
      const { existsSync } = await import('node:fs');
      expect(existsSync(mark)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('an image the module builds itself needs a recipe; a floating tag is refused by the parser and named', () => {
    const built = convert('docker build -t thing .\ndocker run -d --name thing thing\n');
    expect(built.decisions.find((d) => d.key === 'image')!.why).toMatch(/builds thing itself/);
    const floating = convert('docker run -d example/thing:latest\n');
    expect(floating.valid).toBe(false);
    expect(floating.decisions.find((d) => d.key === 'image')!.why).toMatch(/floating tag 'latest'/);
  });

  it('an image pinned by digest needs no digest decision; the docker socket, --privileged and devices are named', () => {
    const digest = 'sha256:' + 'a'.repeat(64);
    const result = convert(
      `docker run -d --privileged --device /dev/sda -v /var/run/docker.sock:/var/run/docker.sock -v $HOME/.thing:/data -p 8080:80 example/thing:1.0@${digest}\n`,
    );
    expect(keys(result.decisions)).not.toContain('image.digest');
    expect(result.decisions.filter((d) => d.key === 'volumes')[0]!.why).toMatch(/docker\.sock/);
    expect(keys(result.decisions)).toContain('security');
    expect(result.manifestYaml).not.toContain('docker.sock"');
    expect(result.valid).toBe(true);
  });

  it('reads compose files and `$var` versions; says when nothing names a version', () => {
    const compose = convertModuleFiles('/src/web', [
      {
        name: 'docker-compose.yml',
        text: 'services:\n  web:\n    image: example/web:2.0.1\n    ports: ["3000:3000"]\n',
      },
    ]);
    expect(compose.valid).toBe(true);
    expect(compose.found.runs[0]).toMatchObject({
      image: 'example/web:2.0.1',
      file: 'docker-compose.yml',
      line: 2,
    });
    const vars = convert('v="1.4.0"\ncurl -LO https://example.org/thing-$v.tar.gz\n');
    expect(vars.found.downloads[0]!.url).toBe('https://example.org/thing-1.4.0.tar.gz');
    expect(keys(vars.decisions)).toContain('release.verify');
    expect(keys(convert('echo nothing here\n').decisions)).toContain('version');
  });

  it("drops redirections from commands; no decision for Parmanode's own $var files or logs", () => {
    const result = convert(
      [
        'docker run -d --name thing -p 80:80 example/thing:1.0 thing --serve >$dn 2>&1',
        'echo "enabled=true" | sudo tee -a $pc >$dn',
        'echo "started" | tee ~/.thing/thing.log',
        'curl -LO https://example.org/runtime-22.04.deb',
      ].join('\n'),
    );
    expect(result.found.runs[0]!.command).toEqual(['thing', '--serve']);
    expect(result.found.configFiles.map((c) => c.path)).toEqual(['$pc', '~/.thing/thing.log']);
    expect(keys(result.decisions).filter((k) => k.startsWith('config'))).toEqual([]);
    // A download not named after the app (a runtime's package) says nothing of its version.
    expect(result.manifestYaml).toMatch(/^version: "1.0"/m);
    expect(convert('curl -LO https://example.org/runtime-22.04.deb\n').manifestYaml).toMatch(
      /^version: "0.0.0"/m,
    );
  });

  it('refuses a path that is not a module folder, with what to give instead', async () => {
    await expect(convertModule('/nonexistent/parmanode/src/x')).rejects.toThrow(ModuleReadError);
    await expect(convertModule('/nonexistent/parmanode/src/x')).rejects.toThrow(/Parmanode module folder/);
  });
});
