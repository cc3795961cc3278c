import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { firstTarFile } from './tar-file.js';

// Archives made by the system's tar (GNU tar), as real as the parser's input gets without Podman;
// the integration tests read libpod's own archives.
const dir = mkdtempSync(join(tmpdir(), 'tar-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const tarOf = (name: string, ...flags: string[]): Buffer =>
  execFileSync('tar', ['-C', dir, ...flags, '-cf', '-', name]);

describe('firstTarFile', () => {
  it('reads a regular file', () => {
    writeFileSync(join(dir, 'passwd'), 'root:x:0:0::/:/bin/sh\n');
    expect(firstTarFile(tarOf('passwd'))).toEqual({
      kind: 'file',
      name: 'passwd',
      content: Buffer.from('root:x:0:0::/:/bin/sh\n'),
    });
  });

  it('skips PAX and GNU long-name records to the entry', () => {
    const long = `${'n'.repeat(150)}`;
    writeFileSync(join(dir, long), 'x');
    expect(firstTarFile(tarOf(long, '--format=pax'))).toMatchObject({
      kind: 'file',
      content: Buffer.from('x'),
    });
    expect(firstTarFile(tarOf(long, '--format=gnu'))).toMatchObject({
      kind: 'file',
      content: Buffer.from('x'),
    });
  });

  it('a link or a directory is not a file', () => {
    symlinkSync('/etc/shadow', join(dir, 'link'));
    expect(firstTarFile(tarOf('link'))).toMatchObject({ kind: 'other', type: '2' });
    expect(firstTarFile(tarOf('.', '--no-recursion'))).toMatchObject({ kind: 'other', type: '5' });
  });

  it('refuses truncated and empty archives', () => {
    writeFileSync(join(dir, 'big'), 'y'.repeat(2000));
    const tar = tarOf('big');
    expect(firstTarFile(tar.subarray(0, 1000))).toMatchObject({ kind: 'malformed', reason: /ends inside/ });
    expect(firstTarFile(Buffer.alloc(1024))).toMatchObject({ kind: 'malformed', reason: /no entry/ });
    expect(firstTarFile(Buffer.alloc(100))).toMatchObject({ kind: 'malformed' });
  });
});
