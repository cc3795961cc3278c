import {
  chmodSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NoFollowDir, SymlinkRefused } from './no-follow.js';

// A tree like an app's volume beside a "secret" of the daemon's: every link the tree holds points
// at the secret (relative and absolute, to the file and to its folder); nothing may reach it.
let base: string;
let tree: string;
let secretDir: string;
let secret: string;

beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), 'no-follow-'));
  tree = join(base, 'app', 'data');
  secretDir = join(base, 'secrets');
  secret = join(secretDir, '.master-key');
  mkdirSync(join(tree, 'regtest', 'blocks'), { recursive: true });
  mkdirSync(secretDir);
  writeFileSync(secret, 'SECRET', { mode: 0o600 });
  writeFileSync(join(secretDir, 'xor.dat'), 'SECRETXX');
  writeFileSync(join(tree, 'bitcoin.conf'), 'regtest=1\n');
  writeFileSync(join(tree, 'regtest', 'blocks', 'xor.dat'), Buffer.alloc(8));
});
afterEach(() => rmSync(base, { recursive: true, force: true }));

const secretUnchanged = (): void => {
  expect(readFileSync(secret, 'utf8')).toBe('SECRET');
  expect(statSync(secret).mode & 0o777).toBe(0o600);
};

const open = (): NoFollowDir => NoFollowDir.openRoot(tree)!;

describe('NoFollowDir reading', () => {
  it('reads files and walks folders of the tree', () => {
    const root = open();
    try {
      const conf = root.readFile('bitcoin.conf', { maxBytes: 100 });
      expect(conf).toMatchObject({ size: 10 });
      expect((conf as { data: Buffer }).data.toString()).toBe('regtest=1\n');
      const blocks = root.dir('regtest/blocks');
      expect(blocks?.list()).toEqual(['xor.dat']);
      blocks?.close();
      expect(root.readFile('nothing/here', { maxBytes: 10 })).toBeUndefined();
      expect(root.dir('bitcoin.conf')).toBeUndefined();
    } finally {
      root.close();
    }
  });

  it('reads only the tail when asked, and refuses a long file otherwise', () => {
    writeFileSync(join(tree, 'debug.log'), 'a'.repeat(100) + 'END');
    const root = open();
    try {
      const tail = root.readFile('debug.log', { maxBytes: 3, tail: true });
      expect((tail as { data: Buffer }).data.toString()).toBe('END');
      expect(root.readFile('debug.log', { maxBytes: 3 })).toBe('tooLarge');
    } finally {
      root.close();
    }
  });

  it.each([
    ['a relative link to a file outside', 'bitcoin.conf', '../../secrets/.master-key'],
    ['an absolute link to a file outside', 'bitcoin.conf', () => secret],
    ['a link to a folder on the way', 'regtest', '../../secrets'],
    ['an absolute link to a folder on the way', 'regtest/blocks', () => secretDir],
  ])('refuses %s', (_what, at, target) => {
    const path = join(tree, at);
    rmSync(path, { recursive: true });
    symlinkSync(typeof target === 'function' ? target() : target, path);
    const root = open();
    try {
      const read = at === 'bitcoin.conf' ? 'bitcoin.conf' : 'regtest/blocks/xor.dat';
      expect(() => root.readFile(read, { maxBytes: 100 })).toThrow(SymlinkRefused);
      expect(() => root.readFile(read, { maxBytes: 100 })).toThrow(`${at} is a symbolic link`);
    } finally {
      root.close();
    }
    secretUnchanged();
  });

  it('refuses a root that is itself a link, and never waits on a FIFO', () => {
    symlinkSync(secretDir, join(base, 'link'));
    expect(() => NoFollowDir.openRoot(join(base, 'link'))).toThrow(SymlinkRefused);
    expect(NoFollowDir.openRoot(join(base, 'missing'))).toBeUndefined();
    mkfifo(join(tree, 'debug.log'));
    const root = open();
    try {
      expect(root.readFile('debug.log', { maxBytes: 10, tail: true })).toBeUndefined();
      expect(root.kindOf('debug.log')).toBe('other');
    } finally {
      root.close();
    }
  });

  it('keeps reading the folder it opened after the folder was moved and a link put in its place', () => {
    const root = open();
    const regtest = root.dir('regtest')!;
    try {
      renameSync(join(tree, 'regtest'), join(tree, 'moved'));
      symlinkSync(secretDir, join(tree, 'regtest'));
      const xor = regtest.readFile('blocks/xor.dat', { maxBytes: 100 });
      expect((xor as { data: Buffer }).data).toEqual(Buffer.alloc(8));
      expect(() => root.dir('regtest')).toThrow(SymlinkRefused);
    } finally {
      regtest.close();
      root.close();
    }
  });

  it('takes plain names only', () => {
    const root = open();
    try {
      expect(() => root.readFile('../secrets/.master-key', { maxBytes: 100 })).toThrow(
        /not a plain file name/,
      );
      expect(() => root.kindOf('..')).toThrow(/not a plain file name/);
    } finally {
      root.close();
    }
  });
});

describe('NoFollowDir writing', () => {
  it('replaces a link at the target and at the temp name instead of writing through them', () => {
    symlinkSync('../../secrets/.master-key', join(tree, '.marker.json'));
    symlinkSync(secret, join(tree, '..marker.json.tmp'));
    const root = open();
    try {
      root.writeFileAtomic('.marker.json', Buffer.from('{"ok":true}\n'), 0o644);
    } finally {
      root.close();
    }
    const written = lstatSync(join(tree, '.marker.json'));
    expect(written.isFile()).toBe(true);
    expect(written.mode & 0o777).toBe(0o644);
    expect(readFileSync(join(tree, '.marker.json'), 'utf8')).toBe('{"ok":true}\n');
    expect(() => lstatSync(join(tree, '..marker.json.tmp'))).toThrow(/ENOENT/);
    secretUnchanged();
  });

  it('removes a folder planted at the temp name, and fails on a folder at the target', () => {
    mkdirSync(join(tree, '..marker.json.tmp', 'deep'), { recursive: true });
    mkdirSync(join(tree, '.marker.json'));
    const root = open();
    try {
      expect(() => root.writeFileAtomic('.marker.json', Buffer.from('x'), 0o644)).toThrow(
        /EISDIR|ENOTEMPTY|EEXIST/,
      );
    } finally {
      root.close();
    }
    expect(lstatSync(join(tree, '.marker.json')).isDirectory()).toBe(true);
  });
});

describe('NoFollowDir removing', () => {
  it('removes a tree with links in it, and nothing the links point to', () => {
    symlinkSync(secretDir, join(tree, 'regtest', 'to-secrets'));
    symlinkSync('../../../secrets/.master-key', join(tree, 'regtest', 'key'));
    mkdirSync(join(tree, 'locked', 'inner'), { recursive: true });
    writeFileSync(join(tree, 'locked', 'inner', 'f'), 'x');
    chmodSync(join(tree, 'locked', 'inner'), 0o700);
    const root = NoFollowDir.openRoot(join(base, 'app'))!;
    try {
      root.removeEntry('data');
    } finally {
      root.close();
    }
    expect(() => lstatSync(tree)).toThrow(/ENOENT/);
    secretUnchanged();
    expect(readFileSync(join(secretDir, 'xor.dat'), 'utf8')).toBe('SECRETXX');
  });
});

const mkfifo = (path: string): void => {
  execFileSync('mkfifo', [path]);
};

describe('chownTree', () => {
  // Giving ids away needs root (or the user namespace's root, where the daemon's helper runs it).
  const root = process.getuid?.() === 0;

  it.runIf(root)(
    'gives every entry to the new owner, chowning links as links and never what they point at',
    () => {
      symlinkSync(secret, join(tree, 'regtest', 'key-link'));
      symlinkSync(secretDir, join(tree, 'dir-link'));
      const dir = NoFollowDir.openRoot(tree)!;
      let changed: number;
      try {
        changed = dir.chownTree(4321, 4322);
      } finally {
        dir.close();
      }
      // tree, bitcoin.conf, regtest, blocks, xor.dat, key-link, dir-link
      expect(changed).toBe(7);
      for (const path of [
        '',
        'bitcoin.conf',
        'regtest',
        'regtest/blocks',
        'regtest/blocks/xor.dat',
        'regtest/key-link',
        'dir-link',
      ]) {
        const info = lstatSync(join(tree, path));
        expect([path, info.uid, info.gid]).toEqual([path, 4321, 4322]);
      }
      expect(statSync(secret).uid).toBe(0);
      expect(statSync(secretDir).uid).toBe(0);
      // A second pass finds nothing left to change.
      const again = NoFollowDir.openRoot(tree)!;
      try {
        expect(again.chownTree(4321, 4322)).toBe(0);
      } finally {
        again.close();
      }
    },
  );

  it('is a no-op for a tree that already has the owner', () => {
    const { uid, gid } = statSync(tree);
    const dir = NoFollowDir.openRoot(tree)!;
    try {
      expect(dir.chownTree(uid, gid)).toBe(0);
    } finally {
      dir.close();
    }
  });
});
