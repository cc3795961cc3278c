import { createHash } from 'node:crypto';
import { JsonStrictValidator } from '@cyclonedx/cyclonedx-library/Validation';
import { Version } from '@cyclonedx/cyclonedx-library/Spec';
import { describe, expect, it } from 'vitest';
import { buildSbom, SBOM_PROPERTY } from './build-sbom.js';
import type { SbomFile, SbomInput } from './sbom-input.js';

const hex = (text: string) => createHash('sha256').update(text).digest('hex');
const TARBALL_SHA = hex('tarball');
const SIGNERS = ['E777299FC265DD04793070EB944D35F9AC3DB76A', '0CCBAAFD76A2ECE2CCD3141DE2FFD5B1D88CA97D'];

const release = (path: string, member: string): SbomFile => ({
  path,
  sha256: hex(path),
  size: 1000 + path.length,
  origin: {
    kind: 'release',
    implementation: 'core',
    version: '31.1',
    tarball: 'bitcoin-31.1-x86_64-linux-gnu.tar.gz',
    tarballSha256: TARBALL_SHA,
    url: 'https://bitcoincore.org/bin/bitcoin-core-31.1/bitcoin-31.1-x86_64-linux-gnu.tar.gz',
    member,
    signers: SIGNERS,
  },
});
const debian = (path: string, pkg: string, version: string, hostPath = path): SbomFile => ({
  path,
  sha256: hex(path),
  size: 2000,
  origin: {
    kind: 'debian',
    package: pkg,
    version,
    architecture: 'amd64',
    hostPath,
    distro: 'debian-12',
    ...(pkg === 'libc6' ? { sourcePackage: 'glibc' } : {}),
  },
});

function fixture(): SbomInput {
  return {
    subject: { name: 'localhost/archipelago/bitcoin-core', version: '31.1', imageId: `sha256:${hex('id')}` },
    createdAt: new Date('2026-05-01T12:00:00Z'),
    generatorVersion: '0.1.0',
    files: [
      release('/usr/local/bin/bitcoind', 'bitcoin-31.1/bin/bitcoind'),
      release('/usr/local/bin/bitcoin-cli', 'bitcoin-31.1/bin/bitcoin-cli'),
      debian('/bin/busybox', 'busybox-static', '1:1.35.0-4+deb12u1+b1'),
      debian('/lib/x86_64-linux-gnu/libc.so.6', 'libc6', '2.36-9+deb12u14'),
      debian(
        '/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2',
        'libc6',
        '2.36-9+deb12u14',
        '/lib64/ld-linux-x86-64.so.2',
      ),
      {
        path: '/www/index.html',
        sha256: hex('index'),
        size: 12,
        origin: { kind: 'app', appId: 'hello', source: 'www/index.html' },
      },
      {
        path: '/etc/passwd',
        sha256: hex('passwd'),
        size: 80,
        origin: { kind: 'generated', by: 'archipelago image builder' },
      },
    ],
    symlinks: [
      { path: '/bin/sh', target: 'busybox' },
      { path: '/lib64/ld-linux-x86-64.so.2', target: '/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2' },
    ],
  };
}

interface CdxComponent {
  type: string;
  name: string;
  version?: string;
  'bom-ref': string;
  purl?: string;
  hashes?: { alg: string; content: string }[];
  externalReferences?: { url: string; type: string; hashes?: { alg: string; content: string }[] }[];
  properties?: { name: string; value: string }[];
  components?: CdxComponent[];
  licenses?: { license: { id: string } }[];
}
interface CdxBom {
  bomFormat: string;
  specVersion: string;
  serialNumber: string;
  metadata: { timestamp: string; component: CdxComponent; tools: { components: CdxComponent[] } };
  components: CdxComponent[];
  dependencies: { ref: string; dependsOn?: string[] }[];
}

const props = (c: CdxComponent, name: string) =>
  (c.properties ?? []).filter((p) => p.name === name).map((p) => p.value);

describe('buildSbom', () => {
  it('is deterministic: the same input, in any order, gives the same bytes', async () => {
    const first = await buildSbom(fixture());
    const again = await buildSbom(fixture());
    const shuffled = fixture();
    shuffled.files.reverse();
    shuffled.symlinks!.reverse();
    const third = await buildSbom(shuffled);
    expect(again.json).toBe(first.json);
    expect(third.json).toBe(first.json);
    expect(first.sha256).toBe(createHash('sha256').update(first.json).digest('hex'));

    // …and different content gets a different serial number.
    const changed = fixture();
    changed.files[0]!.sha256 = hex('other bitcoind');
    const other = await buildSbom(changed);
    const serial = (json: string) => (JSON.parse(json) as CdxBom).serialNumber;
    expect(serial(other.json)).not.toBe(serial(first.json));
    expect(serial(first.json)).toMatch(
      /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
  });

  it('is valid CycloneDX 1.6 JSON by the official schema (strict)', async () => {
    const { json } = await buildSbom(fixture());
    const errors = await new JsonStrictValidator(Version.v1dot6).validate(json);
    expect(errors).toBeNull();
    // The validator does catch a broken document (so the check above can fail).
    const broken = JSON.parse(json) as CdxBom;
    broken.components[0]!.type = 'package';
    expect(await new JsonStrictValidator(Version.v1dot6).validate(JSON.stringify(broken))).not.toBeNull();
  });

  it('names the image, the time, and the tool', async () => {
    const bom = JSON.parse((await buildSbom(fixture())).json) as CdxBom;
    expect(bom).toMatchObject({ bomFormat: 'CycloneDX', specVersion: '1.6' });
    expect(bom.metadata.timestamp).toBe('2026-05-01T12:00:00.000Z');
    expect(bom.metadata.component).toMatchObject({
      type: 'container',
      name: 'localhost/archipelago/bitcoin-core',
      version: '31.1',
    });
    expect(props(bom.metadata.component, SBOM_PROPERTY.imageId)).toEqual([`sha256:${hex('id')}`]);
    expect(props(bom.metadata.component, SBOM_PROPERTY.symlink)).toEqual([
      '/bin/sh -> busybox',
      '/lib64/ld-linux-x86-64.so.2 -> /lib/x86_64-linux-gnu/ld-linux-x86-64.so.2',
    ]);
    expect(bom.metadata.tools.components).toEqual([
      expect.objectContaining({ name: 'archipelago', version: '0.1.0' }),
    ]);
  });

  it('models the release tarball: purl, verified hash, official download, signers, and its files', async () => {
    const bom = JSON.parse((await buildSbom(fixture())).json) as CdxBom;
    const tarball = bom.components.find((c) => c.name === 'bitcoin-core')!;
    expect(tarball).toMatchObject({ type: 'application', version: '31.1' });
    expect(tarball.purl).toBe(
      `pkg:generic/bitcoin-core@31.1?checksum=sha256:${TARBALL_SHA}` +
        '&download_url=https://bitcoincore.org/bin/bitcoin-core-31.1/bitcoin-31.1-x86_64-linux-gnu.tar.gz',
    );
    expect(tarball.hashes).toEqual([{ alg: 'SHA-256', content: TARBALL_SHA }]);
    expect(tarball.externalReferences).toEqual([
      expect.objectContaining({
        type: 'distribution',
        url: 'https://bitcoincore.org/bin/bitcoin-core-31.1/bitcoin-31.1-x86_64-linux-gnu.tar.gz',
        hashes: [{ alg: 'SHA-256', content: TARBALL_SHA }],
      }),
    ]);
    expect(tarball.licenses).toEqual([{ license: { id: 'MIT' } }]);
    expect(props(tarball, SBOM_PROPERTY.releaseTarball)).toEqual(['bitcoin-31.1-x86_64-linux-gnu.tar.gz']);
    expect(props(tarball, SBOM_PROPERTY.releaseSigner).sort()).toEqual([...SIGNERS].sort());
    expect(tarball.components!.map((f) => f.name)).toEqual([
      '/usr/local/bin/bitcoin-cli',
      '/usr/local/bin/bitcoind',
    ]);
    const bitcoind = tarball.components!.find((f) => f.name === '/usr/local/bin/bitcoind')!;
    expect(bitcoind).toMatchObject({ type: 'file', 'bom-ref': 'file:/usr/local/bin/bitcoind' });
    expect(bitcoind.hashes).toEqual([{ alg: 'SHA-256', content: hex('/usr/local/bin/bitcoind') }]);
    expect(props(bitcoind, SBOM_PROPERTY.releaseMember)).toEqual(['bitcoin-31.1/bin/bitcoind']);
    expect(props(bitcoind, SBOM_PROPERTY.origin)).toEqual(['release']);
  });

  it('a release brought on a USB stick keeps its path as a property, not as a download reference', async () => {
    const input = fixture();
    for (const file of input.files)
      if (file.origin.kind === 'release')
        file.origin.url = 'file:///media/usb/bitcoin-31.1-x86_64-linux-gnu.tar.gz';
    const bom = JSON.parse((await buildSbom(input)).json) as CdxBom;
    const tarball = bom.components.find((c) => c.name === 'bitcoin-core')!;
    expect(tarball.purl).toBe(`pkg:generic/bitcoin-core@31.1?checksum=sha256:${TARBALL_SHA}`);
    expect(tarball.externalReferences).toBeUndefined();
    expect(props(tarball, SBOM_PROPERTY.releaseUrl)).toEqual([
      'file:///media/usb/bitcoin-31.1-x86_64-linux-gnu.tar.gz',
    ]);
  });

  it('models each Debian package with its purl, and the files copied from it', async () => {
    const bom = JSON.parse((await buildSbom(fixture())).json) as CdxBom;
    const libc = bom.components.find((c) => c.name === 'libc6')!;
    expect(libc).toMatchObject({
      type: 'library',
      version: '2.36-9+deb12u14',
      purl: 'pkg:deb/debian/libc6@2.36-9%2Bdeb12u14?arch=amd64&distro=debian-12',
    });
    expect(libc['bom-ref']).toBe(libc.purl);
    expect(props(libc, SBOM_PROPERTY.debianSource)).toEqual(['glibc']);
    expect(libc.components!.map((f) => [f.name, props(f, SBOM_PROPERTY.debianHostPath)[0]])).toEqual([
      ['/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2', '/lib64/ld-linux-x86-64.so.2'],
      ['/lib/x86_64-linux-gnu/libc.so.6', '/lib/x86_64-linux-gnu/libc.so.6'],
    ]);
    const busybox = bom.components.find((c) => c.name === 'busybox-static')!;
    expect(busybox.purl).toBe(
      'pkg:deb/debian/busybox-static@1:1.35.0-4%2Bdeb12u1%2Bb1?arch=amd64&distro=debian-12',
    );
    expect(props(busybox, SBOM_PROPERTY.debianSource)).toEqual([]);
  });

  it('models app files under the app, and generated files on their own; the image depends on each', async () => {
    const bom = JSON.parse((await buildSbom(fixture())).json) as CdxBom;
    const app = bom.components.find((c) => c['bom-ref'] === 'app:hello')!;
    expect(app.type).toBe('application');
    expect(app.components).toEqual([
      expect.objectContaining({
        type: 'file',
        name: '/www/index.html',
        hashes: [{ alg: 'SHA-256', content: hex('index') }],
      }),
    ]);
    expect(props(app.components![0]!, SBOM_PROPERTY.appSource)).toEqual(['www/index.html']);
    const passwd = bom.components.find((c) => c.name === '/etc/passwd')!;
    expect(passwd.type).toBe('file');
    expect(props(passwd, SBOM_PROPERTY.generatedBy)).toEqual(['archipelago image builder']);

    const image = bom.dependencies.find((d) => d.ref === bom.metadata.component['bom-ref'])!;
    expect(image.dependsOn!.sort()).toEqual(bom.components.map((c) => c['bom-ref']).sort());
    // Every file of the input is in the SBOM exactly once.
    const files = bom.components.flatMap((c) => (c.type === 'file' ? [c] : (c.components ?? [])));
    expect(files.map((f) => f.name).sort()).toEqual(
      fixture()
        .files.map((f) => f.path)
        .sort(),
    );
  });

  it('refuses input that would make a false SBOM', async () => {
    const twice = fixture();
    twice.files.push({ ...twice.files[0]! });
    await expect(buildSbom(twice)).rejects.toThrow(/'\/usr\/local\/bin\/bitcoind' is listed twice/);
    const badHash = fixture();
    badHash.files[0]!.sha256 = 'ABC';
    await expect(buildSbom(badHash)).rejects.toThrow(/SHA-256 of \/usr\/local\/bin\/bitcoind is not 64/);
    const relative = fixture();
    relative.files[0]!.path = 'usr/../bin';
    await expect(buildSbom(relative)).rejects.toThrow(/not an absolute, normalised path/);
    const twoTarballs = fixture();
    const origin = twoTarballs.files[1]!.origin;
    if (origin.kind === 'release') origin.tarballSha256 = hex('another tarball');
    await expect(buildSbom(twoTarballs)).rejects.toThrow(/described differently by two files/);
    const twoVersions = fixture();
    const libc = twoVersions.files[4]!.origin;
    if (libc.kind === 'debian') libc.version = '2.36-9+deb12u13';
    await expect(buildSbom(twoVersions)).rejects.toThrow(
      /libc6:amd64 is described with two different versions/,
    );
  });
});
