import { describe, expect, it } from 'vitest';
import {
  compareBitcoinVersions,
  compareCoreBase,
  displayBitcoinVersion,
  formatBitcoinVersion,
  parseBitcoinVersion,
  releaseSeries,
  requireBitcoinVersion,
  sameBitcoinVersion,
  type BitcoinVersion,
} from './version.js';

const v = (raw: string): BitcoinVersion => parseBitcoinVersion(raw)!;

describe('parseBitcoinVersion', () => {
  it('reads Core versions of two and three parts and release candidates', () => {
    expect(parseBitcoinVersion('28.4')).toEqual({
      raw: '28.4',
      implementation: 'core',
      major: 28,
      minor: 4,
      patch: 0,
    });
    expect(parseBitcoinVersion('0.21.2')).toMatchObject({ major: 0, minor: 21, patch: 2 });
    expect(parseBitcoinVersion('28.0rc1')).toMatchObject({ major: 28, minor: 0, rc: 1 });
    expect(parseBitcoinVersion('28.0-rc2')).toMatchObject({ rc: 2 });
  });

  it('reads a Knots version and its release date', () => {
    expect(parseBitcoinVersion('29.3.knots20260508')).toEqual({
      raw: '29.3.knots20260508',
      implementation: 'knots',
      major: 29,
      minor: 3,
      patch: 0,
      knotsDate: '20260508',
    });
  });

  it('reads the forms debug.log banners print', () => {
    expect(parseBitcoinVersion('v28.1.0')).toMatchObject({ implementation: 'core', major: 28, minor: 1 });
    expect(parseBitcoinVersion('v29.99.0-4b1d48a6866b')).toMatchObject({ major: 29, minor: 99 });
    expect(parseBitcoinVersion('v29.1.knots20250903')).toMatchObject({
      implementation: 'knots',
      knotsDate: '20250903',
    });
  });

  it('refuses what is not a version, floating tags and impossible Knots dates', () => {
    for (const text of ['latest', 'stable', '29.3.knots', '29.3.knots20261340', '', ' 28.4', '28.4.x']) {
      expect(parseBitcoinVersion(text)).toBeUndefined();
    }
  });

  it('refuses the other implementation when one is asked for', () => {
    expect(parseBitcoinVersion('29.3.knots20260508', 'core')).toBeUndefined();
    expect(parseBitcoinVersion('29.3', 'knots')).toBeUndefined();
    expect(() => requireBitcoinVersion('29.3', 'knots')).toThrow(
      `'29.3' is not a Bitcoin Knots version; write one such as "29.3.knots20260508"`,
    );
    expect(() => requireBitcoinVersion('latest', 'core')).toThrow(
      `'latest' is not a Bitcoin Core version; write one such as "28.4", "31.0" or "28.0rc1"`,
    );
  });
});

describe('ordering', () => {
  const sorted = (versions: string[]) =>
    versions
      .map(v)
      .sort(compareBitcoinVersions)
      .map((version) => version.raw);

  it('orders Core numerically, release candidates before their release', () => {
    expect(sorted(['31.0', '0.21.2', '28.10', '28.4', '28.0rc1', '28.0', '27.2'])).toEqual([
      '0.21.2',
      '27.2',
      '28.0rc1',
      '28.0',
      '28.4',
      '28.10',
      '31.0',
    ]);
  });

  it('orders Knots by numeric base, then by release date', () => {
    expect(
      sorted(['29.3.knots20260601', '28.1.knots20250305', '29.3.knots20260508', '29.1.knots20250903']),
    ).toEqual(['28.1.knots20250305', '29.1.knots20250903', '29.3.knots20260508', '29.3.knots20260601']);
  });

  it('treats 28.1 and a banner v28.1.0 as the same release', () => {
    expect(sameBitcoinVersion(v('28.1'), v('v28.1.0'))).toBe(true);
    expect(sameBitcoinVersion(v('28.1'), v('28.1rc1'))).toBe(false);
  });

  it('refuses to order Core against Knots, but compares their numeric base', () => {
    expect(() => compareBitcoinVersions(v('29.3'), v('29.3.knots20260508'))).toThrow(
      'cannot order Bitcoin Core 29.3 against Bitcoin Knots 29.3.knots20260508; compare their numeric Core base instead',
    );
    expect(compareCoreBase(v('29.3'), v('29.3.knots20260508'))).toBe(0);
    expect(compareCoreBase(v('28.4'), v('29.3.knots20260508'))).toBeLessThan(0);
  });
});

describe('display and series', () => {
  it('shows Knots as its base and date, Core as written', () => {
    expect(displayBitcoinVersion(v('29.3.knots20260508'))).toBe('29.3 (2026-05-08)');
    expect(displayBitcoinVersion(v('v28.1.0'))).toBe('28.1');
    expect(displayBitcoinVersion(v('0.21.2'))).toBe('0.21.2');
    expect(displayBitcoinVersion(v('28.0rc1'))).toBe('28.0rc1');
  });

  it('formats the tag form', () => {
    expect(formatBitcoinVersion(v('v29.1.knots20250903'))).toBe('29.1.knots20250903');
    expect(formatBitcoinVersion(v('v30.0.0'))).toBe('30.0');
  });

  it('names the release series: the major since 22, 0.x before', () => {
    expect(releaseSeries(v('28.4'))).toBe('28');
    expect(releaseSeries(v('29.3.knots20260508'))).toBe('29');
    expect(releaseSeries(v('0.21.2'))).toBe('0.21');
  });
});
