import { describe, expect, it } from 'vitest';
import { debianPurl, releasePurl } from './purl.js';

describe('purl', () => {
  it('Debian: version percent-encoded (epoch colon kept), qualifiers sorted', () => {
    expect(
      debianPurl({
        package: 'busybox-static',
        version: '1:1.35.0-4+deb12u1+b1',
        architecture: 'amd64',
        distro: 'debian-12',
      }),
    ).toBe('pkg:deb/debian/busybox-static@1:1.35.0-4%2Bdeb12u1%2Bb1?arch=amd64&distro=debian-12');
    expect(debianPurl({ package: 'libc6', version: '2.36-9', architecture: 'arm64' })).toBe(
      'pkg:deb/debian/libc6@2.36-9?arch=arm64',
    );
    expect(
      debianPurl({
        package: 'libc6',
        version: '2.39-0ubuntu8',
        architecture: 'amd64',
        distro: 'ubuntu-24.04',
      }),
    ).toBe('pkg:deb/ubuntu/libc6@2.39-0ubuntu8?arch=amd64&distro=ubuntu-24.04');
  });

  it('release: generic purl pinned by checksum, with the download URL when there is one', () => {
    const sha = 'ab'.repeat(32);
    expect(
      releasePurl({
        name: 'bitcoin-knots',
        version: '29.1.knots20250903',
        sha256: sha,
        downloadUrl: 'https://bitcoinknots.org/files/29.x/a b.tar.gz',
      }),
    ).toBe(
      `pkg:generic/bitcoin-knots@29.1.knots20250903?checksum=sha256:${sha}&download_url=https://bitcoinknots.org/files/29.x/a%20b.tar.gz`,
    );
    expect(releasePurl({ name: 'bitcoin-core', version: '31.1', sha256: sha })).toBe(
      `pkg:generic/bitcoin-core@31.1?checksum=sha256:${sha}`,
    );
  });
});
