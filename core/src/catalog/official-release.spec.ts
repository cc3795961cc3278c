import { describe, expect, it } from 'vitest';
import { keySourceUrl, parseAppRelease, parseVersionRelease } from './official-release.js';
import { parseCatalogApps } from './catalog-schema.js';

const FP_A = '152812300785C96444D3334D17565732E08E5E41';
const FP_B = 'E777299FC265DD04793070EB944D35F9AC3DB76A';
const HASH = 'b80d9c3e04da78fb6f0569685673418cf686fadba9042d926d13fb87ff503f9e';

const defaults = {
  implementation: 'core',
  sources: ['https://bitcoincore.org/bin'],
  keySources: ['https://keys.example/{fingerprint}'],
  builders: [
    { name: 'a', fingerprint: FP_A.toLowerCase().replace(/(.{4})/g, '$1 ') },
    { name: 'b', fingerprint: FP_B },
  ],
  threshold: 2,
};
const files = { 'x86_64-linux-gnu': { name: 'bitcoin-31.1-x86_64-linux-gnu.tar.gz', sha256: HASH } };

const appDefaults = () => {
  const parsed = parseAppRelease(defaults);
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.value;
};

describe('a version’s official release', () => {
  it('merges over the app’s defaults, normalising fingerprints and source folders', () => {
    const parsed = parseVersionRelease('31.1', appDefaults(), { files });
    expect(parsed).toEqual({
      ok: true,
      value: {
        implementation: 'core',
        files,
        sources: ['https://bitcoincore.org/bin/'],
        keySources: ['https://keys.example/{fingerprint}'],
        builders: [
          { name: 'a', fingerprint: FP_A },
          { name: 'b', fingerprint: FP_B },
        ],
        threshold: 2,
      },
    });
  });

  it('lets a version override an app-wide field', () => {
    const parsed = parseVersionRelease('31.1', appDefaults(), { files, threshold: 1 });
    expect(parsed.ok && parsed.value.threshold).toBe(1);
  });

  it.each([
    [
      'a file name that is not upstream’s',
      { files: { 'x86_64-linux-gnu': { name: '../../evil.tar.gz', sha256: HASH } } },
      "files.x86_64-linux-gnu.name is '../../evil.tar.gz', upstream names it 'bitcoin-31.1-x86_64-linux-gnu.tar.gz'",
    ],
    ['an unreachable threshold', { files, threshold: 3 }, 'threshold 3 is more than the 2 pinned builders'],
    [
      'a short hash',
      { files: { 'x86_64-linux-gnu': { ...files['x86_64-linux-gnu'], sha256: 'abc' } } },
      '64 lowercase hex',
    ],
    ['no files', { files: {} }, 'files lists no CPU'],
    [
      'a bad fingerprint',
      { files, builders: [{ name: 'a', fingerprint: 'ABC' }], threshold: 1 },
      '40-hex-digit',
    ],
  ])('refuses %s', (_what, raw, reason) => {
    const parsed = parseVersionRelease('31.1', appDefaults(), raw);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.reason).toContain(reason);
  });

  it('names what neither the version nor the app sets', () => {
    const parsed = parseVersionRelease('31.1', {}, { files });
    expect(!parsed.ok && parsed.reason).toBe(
      'release: implementation, sources, keySources, builders, threshold missing (neither the version nor the app sets it)',
    );
  });

  it('fills key source templates', () => {
    expect(
      keySourceUrl('https://k.example/{name}.gpg?fp={fingerprint}', { name: 'a b', fingerprint: FP_A }),
    ).toBe(`https://k.example/a%20b.gpg?fp=${FP_A}`);
  });

  it('drops only the version whose release is unusable, keeping the app', () => {
    const { catalog, dropped } = parseCatalogApps({
      'bitcoin-core': {
        version: '31.1',
        image: 'localhost/archipelago/bitcoin-core:31.1',
        release: defaults,
        versions: [
          { version: '31.1', image: 'localhost/archipelago/bitcoin-core:31.1', release: { files } },
          { version: '30.3', image: 'localhost/archipelago/bitcoin-core:30.3', release: { files } },
        ],
      },
    });
    expect(catalog.apps['bitcoin-core']!.versions.map((v) => v.version)).toEqual(['31.1']);
    expect(dropped).toEqual([
      {
        app: 'bitcoin-core',
        version: '30.3',
        reason:
          "release: files.x86_64-linux-gnu.name is 'bitcoin-31.1-x86_64-linux-gnu.tar.gz', upstream names it 'bitcoin-30.3-x86_64-linux-gnu.tar.gz'",
      },
    ]);
  });
});
