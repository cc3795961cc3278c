import { describe, expect, it } from 'vitest';
import { catalogEntry, versionInfo } from '../test/fixtures';
import { formatBytes } from './format';
import { displayVersion, optionText, preselectedVersion, versionOptions } from './versions';

describe('version labels', () => {
  it('shows Knots with its release date, Core and others as written', () => {
    expect(displayVersion('29.3.knots20260508')).toBe('29.3 (2026-05-08)');
    expect(displayVersion('28.4')).toBe('28.4');
    expect(displayVersion('28.0rc1')).toBe('28.0rc1');
    expect(displayVersion('1.0.0')).toBe('1.0.0');
  });

  it('offers the only version when the catalog has one', () => {
    const options = versionOptions(catalogEntry('hello').versions);
    expect(options.map((option) => option.version)).toEqual(['1.0.0']);
    expect(preselectedVersion(options)).toBe('1.0.0');
  });

  it('keeps the newest-first order, preselects the default, badges deprecated and EOL versions', () => {
    // In the daemon's order (newest first): the UI keeps it.
    const versions = [
      versionInfo('31.0'),
      versionInfo('30.2', { default: true, eol: '2027-04-01' }),
      versionInfo('28.4', { deprecated: true, eol: '2026-01-01' }),
    ];
    const options = versionOptions(versions, new Date('2026-06-01'));
    expect(options.map((option) => option.version)).toEqual(['31.0', '30.2', '28.4']);
    expect(preselectedVersion(options)).toBe('30.2');
    expect(options.map(optionText)).toEqual([
      '31.0',
      '30.2 · recommended, EOL 2027-04-01',
      '28.4 · deprecated, end of life',
    ]);
  });

  it('formats byte counts', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(12_345_678)).toBe('12.3 MB');
    expect(formatBytes(4_000_000_000)).toBe('4.0 GB');
  });
});
