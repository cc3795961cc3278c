// The records of images this node built, on real files: the SBOM is written before the
// provenance that names it, a record is found by app version and by image ID, and a record that
// doesn't read back whole counts as absent (the image is then rebuilt, never trusted by name).

import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sha256Hex, tempFolder } from '../pipeline/spec-release-fixture.js';
import { LocalImages, normaliseImageId, SBOM_FILE, type ImageProvenance } from './local-images.js';

const HEX = 'ab'.repeat(32);
const IMAGE_ID = `sha256:${HEX}`;

let dir: string;
let images: LocalImages;

beforeEach(async () => {
  dir = await tempFolder('local-images');
  images = new LocalImages(join(dir, 'images'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const releaseRecord = (
  fields: Partial<ImageProvenance> = {},
): Omit<ImageProvenance, 'schemaVersion' | 'sbom'> => ({
  appId: 'bitcoin-core',
  version: '31.1',
  reference: 'localhost/archipelago/bitcoin-core:31.1',
  imageId: IMAGE_ID,
  builtAt: '2026-05-01T00:00:00.000Z',
  origin: {
    kind: 'release',
    implementation: 'core',
    arch: 'x86_64-linux-gnu',
    tarball: 'bitcoin-31.1-x86_64-linux-gnu.tar.gz',
    sha256: 'cd'.repeat(32),
    source: 'file:///media/usb/bitcoin-31.1-x86_64-linux-gnu.tar.gz',
    signers: [{ fingerprint: 'A'.repeat(40), userId: 'alice <alice@builders.test>' }],
    threshold: 3,
  },
  ...fields,
});

const sbomJson = '{"bomFormat":"CycloneDX","components":[]}\n';
const sbom = { json: sbomJson, sha256: sha256Hex(Buffer.from(sbomJson)), format: 'CycloneDX 1.6 JSON' };
const folder = (appId = 'bitcoin-core', version = '31.1') => join(dir, 'images', appId, version);

describe('LocalImages', () => {
  it('saves the SBOM and a provenance naming it, and finds them again', async () => {
    const saved = await images.save(releaseRecord(), sbom);
    expect(saved).toEqual({
      schemaVersion: 1,
      ...releaseRecord(),
      sbom: { file: SBOM_FILE, sha256: sbom.sha256, format: sbom.format },
    });
    expect((await readdir(folder())).sort()).toEqual([SBOM_FILE, 'provenance.json'].sort());
    expect(await readFile(join(folder(), SBOM_FILE), 'utf8')).toBe(sbomJson);
    expect(await images.find('bitcoin-core', '31.1')).toEqual(saved);
    expect(await images.sbom('bitcoin-core', '31.1')).toBe(sbomJson);
    expect(await images.find('bitcoin-core', '31.0')).toBeUndefined();
    expect(await images.sbom('bitcoin-core', '31.0')).toBeUndefined();
  });

  it('keeps a recipe origin as it was given', async () => {
    const origin = {
      kind: 'recipe' as const,
      manifestFile: '/apps/demo/manifest.yml',
      inputsSha256: 'ef'.repeat(32),
    };
    await images.save(
      releaseRecord({ appId: 'demo', version: '1.0.0', reference: 'localhost/apps/demo:1.0.0', origin }),
      sbom,
    );
    expect((await images.find('demo', '1.0.0'))?.origin).toEqual(origin);
  });

  it('writes no provenance when the SBOM could not be written', async () => {
    // A folder where the SBOM file goes: its rename fails, so save must stop before the provenance.
    await mkdir(join(folder(), SBOM_FILE), { recursive: true });
    await writeFile(join(folder(), SBOM_FILE, 'occupied'), '');
    await expect(images.save(releaseRecord(), sbom)).rejects.toThrow();
    // (writeFileAtomic leaves its .tmp beside a failed rename; only the provenance matters here.)
    expect(await readdir(folder())).not.toContain('provenance.json');
    expect(await images.find('bitcoin-core', '31.1')).toBeUndefined();
  });

  it('has the SBOM in place before the provenance is written', async () => {
    // The provenance can't be written (a folder is in its place): the SBOM is already there.
    await mkdir(join(folder(), 'provenance.json', 'occupied'), { recursive: true });
    await expect(images.save(releaseRecord(), sbom)).rejects.toThrow();
    expect(await images.sbom('bitcoin-core', '31.1')).toBe(sbomJson);
    expect(await images.find('bitcoin-core', '31.1')).toBeUndefined();
  });

  it('finds a record by image ID, bare hex or prefixed, and only that one', async () => {
    const saved = await images.save(releaseRecord(), sbom);
    expect(await images.findByImageId('bitcoin-core', '31.1', IMAGE_ID)).toEqual(saved);
    expect(await images.findByImageId('bitcoin-core', '31.1', HEX)).toEqual(saved);
    expect(await images.findByImageId('bitcoin-core', '31.1', 'ef'.repeat(32))).toBeUndefined();
    expect(await images.findByImageId('bitcoin-core', '31.0', IMAGE_ID)).toBeUndefined();
  });

  it('reads a broken provenance file as absent', async () => {
    await images.save(releaseRecord(), sbom);
    const file = join(folder(), 'provenance.json');
    const good = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;

    await writeFile(file, '{ "schemaVersion": 1, "appId": ');
    expect(await images.find('bitcoin-core', '31.1')).toBeUndefined();

    await writeFile(file, JSON.stringify({ ...good, imageId: 'bitcoin-core:31.1' }));
    expect(await images.find('bitcoin-core', '31.1')).toBeUndefined();
    expect(await images.findByImageId('bitcoin-core', '31.1', 'bitcoin-core:31.1')).toBeUndefined();

    await writeFile(file, JSON.stringify({ ...good, schemaVersion: 2 }));
    expect(await images.find('bitcoin-core', '31.1')).toBeUndefined();

    await writeFile(file, JSON.stringify({ ...good, origin: { kind: 'registry' } }));
    expect(await images.find('bitcoin-core', '31.1')).toBeUndefined();

    await writeFile(file, JSON.stringify(good));
    expect(await images.find('bitcoin-core', '31.1')).toBeDefined();
  });

  it('forgets an app version entirely', async () => {
    await images.save(releaseRecord(), sbom);
    await images.save(releaseRecord({ version: '31.0' }), sbom);
    await images.forget('bitcoin-core', '31.1');
    expect(await images.find('bitcoin-core', '31.1')).toBeUndefined();
    expect(await images.sbom('bitcoin-core', '31.1')).toBeUndefined();
    expect(await images.find('bitcoin-core', '31.0')).toBeDefined();
  });
});

describe('normaliseImageId', () => {
  it('prefixes bare hex and leaves a prefixed ID as it is', () => {
    expect(normaliseImageId(HEX)).toBe(IMAGE_ID);
    expect(normaliseImageId(IMAGE_ID)).toBe(IMAGE_ID);
  });
});
