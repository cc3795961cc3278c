import { describe, expect, it } from 'vitest';
import { evaluateVersionChange, VERSION_CHANGE_RULES, type VersionChangeContext } from './downgrade-rules.js';
import { parseBitcoinVersion } from './version.js';

const change = (from: string, to: string, extra: Partial<VersionChangeContext> = {}) =>
  evaluateVersionChange({
    from: parseBitcoinVersion(from)!,
    to: parseBitcoinVersion(to)!,
    xorKey: 'absent',
    coinstatsIndex: false,
    ...extra,
  });
const summary = (from: string, to: string, extra: Partial<VersionChangeContext> = {}) => {
  const verdict = change(from, to, extra);
  return {
    direction: verdict.direction,
    effect: verdict.effect,
    rules: verdict.rules.map((rule) => rule.id),
  };
};

describe('the version change rules table', () => {
  it('says how each row is known', () => {
    expect(VERSION_CHANGE_RULES.map((rule) => [rule.id, rule.effect, rule.basis])).toEqual([
      ['upgrade', 'safe', 'documented'],
      ['same-version', 'safe', 'observed'],
      ['xor-key-from-28', 'refused', 'observed'],
      ['xor-key-zero', 'safe', 'observed'],
      ['chainstate-0.15', 'needs-reindex-chainstate', 'documented'],
      ['older-release-series', 'needs-reindex-chainstate', 'assumption'],
      ['same-release-series', 'safe', 'assumption'],
      ['coinstatsindex-from-30', 'safe', 'assumption'],
    ]);
  });

  it('lets upgrades and the same version through', () => {
    expect(summary('28.4', '31.0')).toEqual({ direction: 'upgrade', effect: 'safe', rules: ['upgrade'] });
    expect(summary('28.4', 'v28.4.0')).toEqual({
      direction: 'same',
      effect: 'safe',
      rules: ['same-version'],
    });
  });

  it('lets a point-release downgrade through and asks a chainstate reindex across majors', () => {
    expect(summary('28.4', '28.1')).toEqual({
      direction: 'downgrade',
      effect: 'safe',
      rules: ['same-release-series'],
    });
    expect(summary('30.0', '29.3')).toEqual({
      direction: 'downgrade',
      effect: 'needs-reindex-chainstate',
      rules: ['older-release-series'],
    });
  });

  it('refuses going below 28 on a datadir 28+ created (non-zero xor key)', () => {
    expect(summary('29.3', '27.2', { xorKey: 'non-zero' })).toEqual({
      direction: 'downgrade',
      effect: 'refused',
      rules: ['xor-key-from-28', 'older-release-series'],
    });
    expect(change('29.3', '27.2', { xorKey: 'unreadable' }).effect).toBe('refused');
  });

  it('allows going below 28 when the key is all zero (a pre-28 datadir), with a chainstate reindex', () => {
    expect(summary('28.4', '27.2', { xorKey: 'zero' })).toEqual({
      direction: 'downgrade',
      effect: 'needs-reindex-chainstate',
      rules: ['older-release-series', 'xor-key-zero'],
    });
  });

  it('keeps the 0.15 chainstate change and notes the 30+ coinstats index', () => {
    expect(change('0.21.2', '0.14.3').rules.map((rule) => rule.id)).toContain('chainstate-0.15');
    expect(summary('30.0', '29.3', { coinstatsIndex: true }).rules).toEqual([
      'older-release-series',
      'coinstatsindex-from-30',
    ]);
  });

  it('compares Knots by its Core base, and two Knots builds of one base by date', () => {
    expect(summary('29.3.knots20260508', '29.3')).toEqual({
      direction: 'same',
      effect: 'safe',
      rules: ['same-version'],
    });
    expect(summary('29.3.knots20260601', '29.3.knots20260508')).toEqual({
      direction: 'downgrade',
      effect: 'safe',
      rules: ['same-release-series'],
    });
    expect(summary('29.3.knots20260508', '28.4', { xorKey: 'non-zero' }).effect).toBe(
      'needs-reindex-chainstate',
    );
  });

  it('takes the most severe of the rows given', () => {
    const strict = [
      ...VERSION_CHANGE_RULES,
      {
        id: 'test-only',
        when: { direction: 'downgrade' as const },
        effect: 'needs-reindex' as const,
        reason: 'test',
        basis: 'assumption' as const,
      },
    ];
    const verdict = evaluateVersionChange(
      {
        from: parseBitcoinVersion('30.0')!,
        to: parseBitcoinVersion('29.3')!,
        xorKey: 'zero',
        coinstatsIndex: false,
      },
      strict,
    );
    expect(verdict.effect).toBe('needs-reindex');
  });
});
