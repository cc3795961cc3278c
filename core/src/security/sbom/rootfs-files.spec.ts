import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listRootfsFiles } from './rootfs-files.js';

const run = promisify(execFile);
const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'archy-spec-rootfs-'));
});
afterEach(() => rm(root, { recursive: true, force: true }));

describe('listRootfsFiles', () => {
  it('lists every regular file with its image path, size and SHA-256, and records links without following them', async () => {
    await mkdir(join(root, 'bin'));
    await mkdir(join(root, 'usr/local/bin'), { recursive: true });
    await mkdir(join(root, 'empty'));
    const big = Buffer.alloc(3 * 1024 * 1024 + 7, 0x5a); // several read chunks
    await writeFile(join(root, 'bin/busybox'), 'busybox bytes');
    await writeFile(join(root, 'usr/local/bin/bitcoind'), big);
    await writeFile(join(root, 'etc-passwd'), '');
    await symlink('busybox', join(root, 'bin/sh'));
    // A link leaving the tree, and one to a directory: recorded as links, never read or walked.
    await symlink('/etc/passwd', join(root, 'bin/outside'));
    await symlink('/usr', join(root, 'usr-link'));

    const listing = await listRootfsFiles(root);
    expect(listing.files).toEqual([
      { path: '/bin/busybox', size: 13, sha256: sha256('busybox bytes') },
      { path: '/etc-passwd', size: 0, sha256: sha256('') },
      { path: '/usr/local/bin/bitcoind', size: big.length, sha256: sha256(big) },
    ]);
    expect(listing.symlinks).toEqual([
      { path: '/bin/outside', target: '/etc/passwd' },
      { path: '/bin/sh', target: 'busybox' },
      { path: '/usr-link', target: '/usr' },
    ]);
  });

  it('refuses what is neither file, directory nor link (a fifo)', async () => {
    await run('mkfifo', [join(root, 'pipe')]);
    await expect(listRootfsFiles(root)).rejects.toThrow(
      /\/pipe in .* is neither a file, a directory nor a symlink/,
    );
  });

  it('fails on a tree that does not exist', async () => {
    await expect(listRootfsFiles(join(root, 'missing'))).rejects.toThrow(/ENOENT/);
  });
});
