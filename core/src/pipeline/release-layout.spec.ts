import { describe, expect, it } from 'vitest';
import { refusedStep } from './pipeline-error.js';
import { parseReleaseVersion, releaseUrls } from './release-layout.js';

const ARCH = 'x86_64-linux-gnu';

describe('releaseUrls', () => {
  it('follows bitcoincore.org/bin for Core', () => {
    const urls = releaseUrls('https://bitcoincore.org/bin/', parseReleaseVersion('core', '28.1'), ARCH);
    expect(urls).toEqual({
      folder: 'https://bitcoincore.org/bin/bitcoin-core-28.1/',
      tarball: 'https://bitcoincore.org/bin/bitcoin-core-28.1/bitcoin-28.1-x86_64-linux-gnu.tar.gz',
      sha256sums: 'https://bitcoincore.org/bin/bitcoin-core-28.1/SHA256SUMS',
      signatures: 'https://bitcoincore.org/bin/bitcoin-core-28.1/SHA256SUMS.asc',
      tarballName: 'bitcoin-28.1-x86_64-linux-gnu.tar.gz',
    });
  });

  it('puts Core release candidates in test.rcN/', () => {
    const urls = releaseUrls('https://bitcoincore.org/bin/', parseReleaseVersion('core', '30.0rc2'), ARCH);
    expect(urls.tarball).toBe(
      'https://bitcoincore.org/bin/bitcoin-core-30.0/test.rc2/bitcoin-30.0rc2-x86_64-linux-gnu.tar.gz',
    );
  });

  it('follows bitcoinknots.org/files/<major>.x/<version>/ for Knots', () => {
    const urls = releaseUrls(
      'https://bitcoinknots.org/files/',
      parseReleaseVersion('knots', '29.3.knots20260508'),
      ARCH,
    );
    expect(urls.tarball).toBe(
      'https://bitcoinknots.org/files/29.x/29.3.knots20260508/bitcoin-29.3.knots20260508-x86_64-linux-gnu.tar.gz',
    );
    expect(urls.signatures).toBe('https://bitcoinknots.org/files/29.x/29.3.knots20260508/SHA256SUMS.asc');
  });

  it('keeps a source’s own path prefix', () => {
    const urls = releaseUrls(
      'http://127.0.0.1:8080/mirror/bin/',
      parseReleaseVersion('core', '27.2'),
      'aarch64-linux-gnu',
    );
    expect(urls.sha256sums).toBe('http://127.0.0.1:8080/mirror/bin/bitcoin-core-27.2/SHA256SUMS');
  });
});

describe('parseReleaseVersion', () => {
  it.each([
    ['core', '28.1', 28],
    ['core', '0.21.2', 0],
    ['core', '30.0rc1', 30],
    ['knots', '29.3.knots20260508', 29],
    ['knots', '28.1.knots20250305', 28],
  ] as const)('%s %s has major %d', (implementation, version, major) => {
    expect(parseReleaseVersion(implementation, version).major).toBe(major);
  });

  it.each([
    ['core', '../../etc/passwd'],
    ['core', '28.1/x'],
    ['core', 'latest'],
    ['core', '29.3.knots20260508'],
    ['knots', '29.3'],
    ['knots', '29.3.knots2026'],
  ] as const)('refuses %s %s before it reaches a URL', (implementation, version) => {
    let error: unknown;
    try {
      parseReleaseVersion(implementation, version);
    } catch (caught) {
      error = caught;
    }
    expect(refusedStep(error)).toBe('config');
    expect((error as Error).message).toMatch(/is not a Bitcoin (Core|Knots) version \(e\.g\./);
  });
});
