import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatUserIds, MAX_ID, parseUserIds, quoteUser } from './user-ids.js';

const manifestUser = (text: string) => parseUserIds(text, { bareUid: 'uid' });
const reason = (text: string) => {
  const verdict = manifestUser(text);
  return verdict.ok ? undefined : verdict.reason;
};

describe('parseUserIds', () => {
  it('reads uid:gid and a bare uid (same gid) as integers', () => {
    expect(manifestUser('1000:1000')).toEqual({ ok: true, ids: { uid: 1000, gid: 1000 } });
    expect(manifestUser('1000')).toEqual({ ok: true, ids: { uid: 1000, gid: 1000 } });
    expect(manifestUser('1:2')).toEqual({ ok: true, ids: { uid: 1, gid: 2 } });
    expect(manifestUser('65534:65534')).toEqual({ ok: true, ids: { uid: 65534, gid: 65534 } });
    expect(manifestUser(`${MAX_ID}:${MAX_ID}`)).toEqual({ ok: true, ids: { uid: MAX_ID, gid: MAX_ID } });
  });

  it.each([
    ['0', /'0' runs the app as root \(uid 0\)/],
    ['00', /'00' runs the app as root/],
    ['0000', /'0000' runs the app as root/],
    ['0:0', /runs the app as root/],
    ['0:1000', /runs the app as root/],
    ['1000:0', /'1000:0' runs the app in root's group \(gid 0\)/],
    ['1000:00', /'1000:00' runs the app in root's group/],
    ['1000:0000000000', /in root's group/],
  ])('refuses root by any spelling: %s', (text, expected) => {
    expect(reason(text)).toMatch(expected);
  });

  it.each([
    ['root', /'root' is a name; use numbers/],
    ['toor', /'toor' is a name; use numbers/],
    ['bitcoin', /is a name; use numbers \(uid:gid such as "1000:1000"\)/],
    ['1000:root', /'root' is a name/],
    ['1000:wheel', /'wheel' is a name/],
    ['root:1000', /'root' is a name/],
    ['nobody', /is a name/],
    ['_apt', /is a name/],
    ['user$', /is a name/],
  ])('refuses names, which mean whatever the image says: %s', (text, expected) => {
    expect(reason(text)).toMatch(expected);
  });

  it.each([
    ['+0', /not a number/],
    ['+1000', /not a number/],
    ['-1', /not a number/],
    ['-0', /not a number/],
    ['0x0', /not a number/],
    ['0x3e8', /not a number/],
    [' 0', /not a number/],
    ['0 ', /not a number/],
    ['1000 ', /not a number/],
    ['\t1000', /not a number/],
    ['1000\n', /not a number/],
    ['1e3', /not a number/],
    ['1_000', /not a number/],
    ['1,000', /not a number/],
    ['1000.0', /not a number/],
    ['١٠٠٠', /not a number/], // Arabic-Indic digits
    ['１０００', /not a number/], // full-width digits
    ['', /the uid is empty/],
    [':', /the uid is empty/],
    ['1000:', /the gid is empty/],
    [':1000', /the uid is empty/],
    ['1000:1000:1000', /has 3 parts/],
    ['0:0:0', /has 3 parts/],
    ['01000', /leading zero; write 1000/],
    ['1000:01000', /leading zero; write 1000/],
    ['010', /leading zero; write 10/],
  ])('refuses what is not a plain number: %j', (text, expected) => {
    expect(reason(text)).toMatch(expected);
  });

  it.each([
    '4294967295', // (uid_t)-1
    '4294967296', // 2^32, which wraps to 0 in a uid_t
    '8589934592', // 2^33, also 0 modulo 2^32
    '99999999999',
    '1'.repeat(400),
    '1000:4294967296',
  ])('refuses ids beyond 2^32-2, some of which wrap to 0: %s', (text) => {
    expect(reason(text)).toMatch(/beyond 4294967294/);
  });

  it('asks for a group where one is required (a created container)', () => {
    expect(parseUserIds('1000', { bareUid: 'refuse' })).toMatchObject({
      ok: false,
      reason: /names no group/,
    });
    expect(parseUserIds('1000:1001', { bareUid: 'refuse' })).toEqual({
      ok: true,
      ids: { uid: 1000, gid: 1001 },
    });
    expect(parseUserIds('', { bareUid: 'refuse' }).ok).toBe(false);
  });

  it('quotes hostile values on one line, cut short', () => {
    expect(reason('ro\not')).not.toContain('\n');
    expect(quoteUser('a\nb')).toBe("'a\\nb'");
    expect(quoteUser('x'.repeat(100))).toHaveLength(40 + 3);
  });

  it('accepts exactly the canonical spellings of ids from 1 to 2^32-2 (property)', () => {
    const id = fc.integer({ min: 1, max: MAX_ID });
    fc.assert(
      fc.property(id, id, (uid, gid) => {
        expect(manifestUser(formatUserIds({ uid, gid }))).toEqual({ ok: true, ids: { uid, gid } });
      }),
    );
    // Whatever string it is given, what it accepts is never root's and round-trips to itself.
    fc.assert(
      fc.property(fc.string({ maxLength: 24 }), (text) => {
        const verdict = manifestUser(text);
        if (!verdict.ok) return;
        expect(verdict.ids.uid).toBeGreaterThanOrEqual(1);
        expect(verdict.ids.gid).toBeGreaterThanOrEqual(1);
        expect([formatUserIds(verdict.ids), String(verdict.ids.uid)]).toContain(text);
      }),
      { numRuns: 5000 },
    );
  });
});
