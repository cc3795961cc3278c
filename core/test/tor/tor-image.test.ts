// The Tor image built on the node from the host's tor package: one build, reused while the
// package version stays, runnable read-only with every capability dropped, and its SBOM and
// provenance written. (The image is shared by the test user's runs: it is not removed.)
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureTorImage, hostTorVersion, torImageReference } from '../../src/tor/index.js';
import { testRoot } from '../support/index.js';
import { podman } from '../support/podman-cli.js';

describe('the Tor image', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('is built from the host’s tor package, once, and runs tor', async () => {
    const work = await mkdtemp(join(testRoot(), 'tor-image-'));
    dirs.push(work);
    const version = await hostTorVersion();
    const first = await ensureTorImage({ workRoot: join(work, 'build'), imagesDir: join(work, 'images') });
    expect(first.reference).toBe(torImageReference(version));
    expect(first.packageVersion).toBe(version);
    const again = await ensureTorImage({ workRoot: join(work, 'build'), imagesDir: join(work, 'images') });
    expect(again.imageId).toBe(first.imageId);
    const tag = first.reference.split(':').at(-1)!;
    const provenance = JSON.parse(await readFile(join(work, 'images/.tor', tag, 'provenance.json'), 'utf8'));
    expect(provenance).toMatchObject({
      imageId: first.imageId,
      origin: { kind: 'debian', package: 'tor', version },
    });
    const sbom = await readFile(join(work, 'images/.tor', tag, 'sbom.cdx.json'), 'utf8');
    expect(sbom).toMatch(/pkg:deb\/debian\/tor@/);
    expect(sbom).toMatch(/libevent/);

    const binary = (
      await podman(['image', 'inspect', '--format', '{{index .Config.Entrypoint 0}}', first.imageId])
    ).trim();
    expect(binary).toMatch(/^\/usr\/s?bin\/tor$/);
    const out = await podman([
      'run',
      '--rm',
      '--read-only',
      '--cap-drop=ALL',
      '--security-opt=no-new-privileges',
      '--entrypoint',
      JSON.stringify([binary, '--version']),
      first.imageId,
    ]);
    expect(out).toMatch(new RegExp(`Tor version ${version.split('-')[0]!.replace(/\./g, '\\.')}`));
    const labels = await podman(['image', 'inspect', '--format', '{{json .Labels}}', first.imageId]);
    expect(JSON.parse(labels)).toMatchObject({ 'io.archipelago.tor-package-version': version });
  }, 180_000);
});
