import { describe, expect, it } from 'vitest';
import { needsAccountFiles, resolveImageUser, type ImageAccountFiles } from './image-user.js';

const PASSWD = [
  'root:x:0:0:root:/root:/bin/sh',
  'toor:x:0:0:another root:/root:/bin/sh',
  'zeros:x:0000:1000::/:/bin/sh',
  'wheeled:x:1001:0::/:/bin/sh',
  'app:x:1000:1000::/home/app:/bin/sh',
  'svc:x:100:101::/:/bin/false',
  'nobody:x:65534:65534:nobody:/:/bin/false',
  'dup:x:1002:1002::/:/bin/sh',
  'dup:x:0:0::/:/bin/sh',
  'same:x:1003:1003::/:/bin/sh',
  'same:x:1003:1003::/:/bin/sh',
  'signed:x:+0:1000::/:/bin/sh',
  'short:x:1004',
  '',
  '# a comment line',
].join('\n');
const GROUP = ['root:x:0:app', 'wheel:x:0:', 'app:x:1000:', 'svcgrp:x:101:', 'zerog:x:00:', 'bad:x:-1:'].join(
  '\n',
);
const files: ImageAccountFiles = { passwd: PASSWD, group: GROUP };

const ids = (user: string, from: ImageAccountFiles = files) => {
  const verdict = resolveImageUser(user, from);
  if (!verdict.ok) throw new Error(`refused: ${verdict.reason}`);
  return verdict.ids;
};
const refusal = (user: string, from: ImageAccountFiles = files) => {
  const verdict = resolveImageUser(user, from);
  return verdict.ok ? `accepted as ${JSON.stringify(verdict.ids)}` : verdict.reason;
};

describe('resolveImageUser', () => {
  it('an image that names no user gets the default (undefined ids)', () => {
    expect(resolveImageUser('', {})).toEqual({ ok: true, ids: undefined });
    expect(resolveImageUser('  ', {})).toEqual({ ok: true, ids: undefined });
  });

  it('resolves names and bare uids the way the runtime would, always with a group', () => {
    expect(ids('app')).toEqual({ uid: 1000, gid: 1000 });
    expect(ids('svc')).toEqual({ uid: 100, gid: 101 });
    expect(ids('100')).toEqual({ uid: 100, gid: 101 }); // its passwd entry's gid
    expect(ids('app:svcgrp')).toEqual({ uid: 1000, gid: 101 });
    expect(ids('1000:101')).toEqual({ uid: 1000, gid: 101 });
    expect(ids('nobody')).toEqual({ uid: 65534, gid: 65534 });
    expect(ids('same')).toEqual({ uid: 1003, gid: 1003 }); // duplicates that agree
    // A uid with no passwd entry: its own number as gid, where Podman would have used gid 0.
    expect(ids('1234')).toEqual({ uid: 1234, gid: 1234 });
    expect(ids('1234', {})).toEqual({ uid: 1234, gid: 1234 });
  });

  it.each([
    ['0', /'0' is uid 0 and runs the app as root/],
    ['00', /'00' is uid 0 and runs the app as root/],
    ['0000', /runs the app as root/],
    ['root', /'root' is uid 0 and runs the app as root/],
    ['toor', /'toor' is uid 0 and runs the app as root/], // a name mapping to uid 0
    ['zeros', /'zeros' is uid 0 and runs the app as root/], // "0000" in /etc/passwd is uid 0
    ['root:1000', /is uid 0 and runs the app as root/],
    ['wheeled', /is 1001:0 and runs the app in root's group/], // primary gid 0
    ['1001', /is 1001:0 and runs the app in root's group/],
    ['1000:0', /'1000:0' is 1000:0 and runs the app in root's group/],
    ['1000:00', /in root's group/],
    ['app:root', /is 1000:0 and runs the app in root's group/],
    ['app:wheel', /in root's group/], // a group name mapping to gid 0
    ['app:zerog', /in root's group/], // "00" in /etc/group is gid 0
    ['root:app', /runs the app as root/],
    ['0:1000', /runs the app as root/],
  ])('refuses root by any route: %s', (user, expected) => {
    expect(refusal(user)).toMatch(expected);
  });

  it.each([
    ['ghost', /'ghost' is not in the image's \/etc\/passwd/],
    ['dup', /several entries with different ids/], // one entry says 1002, another 0
    ['signed', /ids are not plain numbers/],
    ['app:nogroup', /names a group that is not in the image's \/etc\/group/],
    ['app:bad', /ids are not plain numbers/],
    ['+0', /neither a number nor a name/],
    ['-1', /neither a number nor a name/],
    ['0x0', /neither a number nor a name/],
    ['1000:+0', /neither a number nor a name/],
    ['4294967295', /beyond 4294967294/],
    ['4294967296', /beyond 4294967294/], // would wrap to 0
    ['1000:4294967296', /beyond 4294967294/],
    ['a:b:c', /has 3 parts/],
  ])('refuses what it cannot resolve to one plain answer: %s', (user, expected) => {
    expect(refusal(user)).toMatch(expected);
  });

  it('refuses a name when the image has no account files to resolve it', () => {
    expect(refusal('app', {})).toMatch(/is a name, and the image has no \/etc\/passwd/);
    expect(refusal('1000:app', { passwd: PASSWD })).toMatch(/no \/etc\/group/);
  });

  it('refuses on one line, whatever the image holds', () => {
    expect(refusal('ro\not', files)).not.toContain('\n');
  });
});

describe('needsAccountFiles', () => {
  it('only a numeric uid:gid is resolved without the image', () => {
    expect(needsAccountFiles('1000:1000')).toBe(false);
    expect(needsAccountFiles('')).toBe(false);
    for (const user of ['1000', 'app', 'app:1000', '1000:app', '0'])
      expect(needsAccountFiles(user), user).toBe(true);
  });
});
