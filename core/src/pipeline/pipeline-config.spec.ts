import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  loadPipelineConfig,
  parsePipelineConfig,
  registryIsLoopback,
  requirePublishingConfig,
} from './pipeline-config.js';
import { tempFolder } from './spec-release-fixture.js';

let dir: string;
beforeAll(async () => {
  dir = await tempFolder('config');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const minimal = {
  sources: ['https://bitcoincore.org/bin/'],
  builderKeys: './keys/core',
  registry: '127.0.0.1:5000/archipelago',
};

describe('parsePipelineConfig', () => {
  it('fills the defaults and resolves builderKeys against the config’s folder', () => {
    expect(parsePipelineConfig(minimal, '/etc/archy')).toEqual({
      sources: ['https://bitcoincore.org/bin/'],
      builderKeys: '/etc/archy/keys/core',
      threshold: 3,
      registry: '127.0.0.1:5000/archipelago',
      arch: 'x86_64-linux-gnu',
    });
  });

  it('keeps an absolute builderKeys and adds the trailing slash a source folder needs', () => {
    const config = parsePipelineConfig(
      {
        ...minimal,
        builderKeys: '/keys',
        sources: ['https://bitcoinknots.org/files', 'http://127.0.0.1:9/m/'],
      },
      '/x',
    );
    expect(config.builderKeys).toBe('/keys');
    expect(config.sources).toEqual(['https://bitcoinknots.org/files/', 'http://127.0.0.1:9/m/']);
  });

  it.each([
    [{ ...minimal, sources: [] }, /sources: list at least one source URL/],
    [{ ...minimal, sources: ['ftp://x/'] }, /sources\.0: a source must be an http/],
    [{ ...minimal, threshold: 0 }, /threshold: threshold must be at least 1/],
    [{ ...minimal, registry: 'not a registry!' }, /registry: registry must look like host/],
    [{ ...minimal, arch: 'x86 64' }, /arch: arch must be a target triplet/],
    [{ ...minimal, treshold: 2 }, /Unrecognized key.*treshold/],
    [{ ...minimal, curatedSet: { core: { versions: [31.0] } } }, /quote every version \('31.0', not 31.0\)/],
  ])('refuses %j', (raw, message) => {
    expect(() => parsePipelineConfig(raw, '/x', 'pipeline.yml')).toThrow(message);
  });
});

describe('loadPipelineConfig', () => {
  it('reads the contract’s example file', async () => {
    await mkdir(join(dir, 'conf'), { recursive: true });
    const file = join(dir, 'conf', 'core.yml');
    await writeFile(
      file,
      [
        'sources: [https://bitcoincore.org/bin/, https://mirror.example/bin/]  # tried in order',
        'builderKeys: ./keys/core',
        'threshold: 3',
        'registry: 127.0.0.1:5000/archipelago',
        'arch: x86_64-linux-gnu',
        'curatedSet:',
        '  core: { versions: ["31.0", "30.2"], majors: 4 }',
      ].join('\n'),
    );
    const config = await loadPipelineConfig(file);
    expect(config.builderKeys).toBe(join(dir, 'conf', 'keys', 'core'));
    expect(config.sources).toHaveLength(2);
    expect(config.curatedSet?.core?.versions).toEqual(['31.0', '30.2']);
    expect(config.file).toBe(file);
  });

  it('says which file is missing or broken', async () => {
    await expect(loadPipelineConfig(join(dir, 'nope.yml'))).rejects.toThrow(
      /cannot read pipeline config .*nope.yml/,
    );
    const broken = join(dir, 'broken.yml');
    await writeFile(broken, 'sources: [unclosed');
    await expect(loadPipelineConfig(broken)).rejects.toThrow(/broken.yml is not valid YAML/);
  });
});

describe('publishing fields', () => {
  it('resolves signingKey, catalog and catalogKey against the config’s folder', () => {
    const config = parsePipelineConfig(
      {
        ...minimal,
        signingKey: 'keys/cosign.key',
        catalog: '/srv/catalog.json',
        catalogKey: './keys/catalog.key',
      },
      '/etc/archy',
    );
    expect(config).toMatchObject({
      signingKey: '/etc/archy/keys/cosign.key',
      catalog: '/srv/catalog.json',
      catalogKey: '/etc/archy/keys/catalog.key',
    });
    expect(requirePublishingConfig(config)).toBe(config);
  });

  it('a build without them says which are missing', () => {
    const config = parsePipelineConfig({ ...minimal, catalog: 'c.json' }, '/x', '/x/p.yml');
    expect(() => requirePublishingConfig(config)).toThrow(/\/x\/p\.yml lacks signingKey, catalogKey/);
  });

  it('an empty path is refused with what the field is for', () => {
    expect(() => parsePipelineConfig({ ...minimal, signingKey: '' }, '/x')).toThrow(
      /signingKey: name the cosign/,
    );
  });

  it('speaks plain HTTP to loopback registries only', () => {
    expect(registryIsLoopback('127.0.0.1:5000/archipelago')).toBe(true);
    expect(registryIsLoopback('localhost:5000')).toBe(true);
    expect(registryIsLoopback('registry.example.org/archipelago')).toBe(false);
    expect(registryIsLoopback('127.0.0.1.example.org:5000/x')).toBe(false);
  });
});
