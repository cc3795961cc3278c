import { describe, expect, it } from 'vitest';
import { formatCuratedSelection, logDroppedVersions, selectCuratedSet } from './curated-set.js';

const CORE = ['31.0', '30.2', '30.1', '30.0', '29.3', '29.2', '28.4', '27.2', '26.2', '25.1', '31.1rc1'];

describe('selectCuratedSet', () => {
  it('keeps the newest release of the current major and the last three by default', () => {
    const selection = selectCuratedSet('core', { versions: CORE });
    expect(selection.kept).toEqual(['31.0', '30.2', '29.3', '28.4']);
    expect(selection.dropped).toEqual([
      { version: '31.1rc1', reason: 'release candidate; only final releases are published' },
      { version: '30.1', reason: 'superseded by 30.2 in the 30.x line' },
      { version: '30.0', reason: 'superseded by 30.2 in the 30.x line' },
      { version: '29.2', reason: 'superseded by 29.3 in the 29.x line' },
      { version: '27.2', reason: 'major 27 is older than the 4 newest majors kept (31, 30, 29, 28)' },
      { version: '26.2', reason: 'major 26 is older than the 4 newest majors kept (31, 30, 29, 28)' },
      { version: '25.1', reason: 'major 25 is older than the 4 newest majors kept (31, 30, 29, 28)' },
    ]);
  });

  it('orders Knots releases by version, then by release date', () => {
    const selection = selectCuratedSet('knots', {
      versions: ['29.3.knots20260508', '29.3.knots20260101', '28.1.knots20250305', '27.1.knots20240801'],
      majors: 2,
    });
    expect(selection.kept).toEqual(['29.3.knots20260508', '28.1.knots20250305']);
    expect(selection.dropped.map((d) => d.version)).toEqual(['29.3.knots20260101', '27.1.knots20240801']);
  });

  it('keeps every patch of a kept major when asked, and included versions whatever the rules', () => {
    const selection = selectCuratedSet('core', {
      versions: CORE,
      majors: 1,
      allPatches: true,
      include: ['27.2'],
    });
    expect(selection.kept).toEqual(['31.0', '27.2']);
    expect(selection.dropped.map((d) => d.version)).not.toContain('27.2');
  });

  it('refuses a version of the wrong implementation instead of dropping it quietly', () => {
    expect(() => selectCuratedSet('knots', { versions: ['29.3'] })).toThrow(
      /'29.3' is not a Bitcoin Knots version/,
    );
  });
});

describe('dropped versions are never silent', () => {
  it('logs each one with its reason', () => {
    const warnings: [object, string][] = [];
    logDroppedVersions(selectCuratedSet('core', { versions: ['31.0', '30.0', '29.0', '28.0', '27.0'] }), {
      warn: (fields, message) => warnings.push([fields, message]),
    });
    expect(warnings).toEqual([
      [
        {
          implementation: 'core',
          version: '27.0',
          reason: 'major 27 is older than the 4 newest majors kept (31, 30, 29, 28)',
        },
        'not publishing core 27.0: major 27 is older than the 4 newest majors kept (31, 30, 29, 28)',
      ],
    ]);
  });

  it('lists them in the text account', () => {
    const text = formatCuratedSelection(selectCuratedSet('core', { versions: ['31.0', '30.1', '30.0'] }));
    expect(text).toBe(
      'Bitcoin Core: publishing 31.0, 30.1\nBitcoin Core: dropped 1:\n  30.0 — superseded by 30.1 in the 30.x line',
    );
  });
});
