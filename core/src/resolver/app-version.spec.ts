import { describe, expect, it } from 'vitest';
import { compareAppVersions, newestSatisfying, parseAppVersion, satisfiesRange } from './app-version.js';

const comparable = (raw: string) => {
  const parsed = parseAppVersion(raw);
  return parsed && { semver: parsed.semver.version, knotsDate: parsed.knotsDate };
};

describe('parseAppVersion', () => {
  it('pads Bitcoin Core versions to three parts', () => {
    expect(comparable('28.4')).toEqual({ semver: '28.4.0', knotsDate: 0 });
    expect(comparable('0.21.2')).toEqual({ semver: '0.21.2', knotsDate: 0 });
    expect(comparable('29')).toEqual({ semver: '29.0.0', knotsDate: 0 });
  });

  it('reads release candidates as pre-releases', () => {
    expect(comparable('28.0rc1')).toEqual({ semver: '28.0.0-rc.1', knotsDate: 0 });
    expect(comparable('28.0-rc2')).toEqual({ semver: '28.0.0-rc.2', knotsDate: 0 });
  });

  it('splits a Knots version into its numeric part and release date', () => {
    expect(comparable('29.3.knots20260508')).toEqual({ semver: '29.3.0', knotsDate: 20260508 });
    expect(comparable('0.21.1.knots20210629')).toEqual({ semver: '0.21.1', knotsDate: 20210629 });
  });

  it('takes strict semver as it is, and rejects what follows no scheme', () => {
    expect(comparable('0.18.3-beta')).toEqual({ semver: '0.18.3-beta', knotsDate: 0 });
    expect(comparable('v1.2.3')).toEqual({ semver: '1.2.3', knotsDate: 0 });
    expect(comparable('latest')).toBeUndefined();
    expect(comparable('29.3.knots')).toBeUndefined();
  });
});

describe('compareAppVersions', () => {
  const sorted = (versions: string[]) => [...versions].sort(compareAppVersions);

  it('orders Core versions numerically, not as text', () => {
    expect(sorted(['29.0', '0.21.2', '28.10', '28.4', '28.0rc1', '28.0'])).toEqual([
      '0.21.2',
      '28.0rc1',
      '28.0',
      '28.4',
      '28.10',
      '29.0',
    ]);
  });

  it('breaks ties between Knots releases of one numeric version by date', () => {
    expect(sorted(['29.3.knots20260601', '29.1.knots20260701', '29.3.knots20260508'])).toEqual([
      '29.1.knots20260701',
      '29.3.knots20260508',
      '29.3.knots20260601',
    ]);
  });

  it('puts versions it cannot read first, so they are never picked as newest', () => {
    expect(sorted(['1.0.0', 'nightly', 'beta'])).toEqual(['beta', 'nightly', '1.0.0']);
  });
});

describe('satisfiesRange', () => {
  it('checks Core and Knots versions by their numeric part', () => {
    expect(satisfiesRange('28.4', '>=29')).toBe(false);
    expect(satisfiesRange('29.3', '>=29')).toBe(true);
    expect(satisfiesRange('29.3.knots20260508', '>=29 <30')).toBe(true);
    expect(satisfiesRange('0.21.2', '^0.21')).toBe(true);
  });

  it('lets pre-releases satisfy a range: lnd tags every release -beta', () => {
    expect(satisfiesRange('0.18.3-beta', '>=0.18.0')).toBe(true);
    expect(satisfiesRange('30.0rc1', '>=29')).toBe(true);
  });

  it('lets a version it cannot read satisfy nothing', () => {
    expect(satisfiesRange('latest', '*')).toBe(false);
  });
});

describe('newestSatisfying', () => {
  it('picks the newest stable version in range', () => {
    expect(newestSatisfying(['28.4', '30.0rc1', '29.3', '29.0'], '>=29')).toBe('29.3');
    expect(newestSatisfying(['28.4', '29.3'])).toBe('29.3');
  });

  it('falls back to a pre-release when nothing stable is in range, and to nothing', () => {
    expect(newestSatisfying(['0.18.2-beta', '0.18.3-beta'], '>=0.18')).toBe('0.18.3-beta');
    expect(newestSatisfying(['28.4'], '>=29')).toBeUndefined();
  });
});
