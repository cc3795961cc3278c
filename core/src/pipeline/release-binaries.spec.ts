import { execFile } from 'node:child_process';
import { mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refusedStep } from './pipeline-error.js';
import { extractReleaseBinaries, findBinary } from './release-binaries.js';
import { tempFolder } from './spec-release-fixture.js';

const run = promisify(execFile);
let dir: string;
beforeAll(async () => {
  dir = await tempFolder('binaries');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const entry = (path: string, type = '-') => ({ path, type });

describe('findBinary', () => {
  it('finds bin/<name> whatever folder the release puts it under', () => {
    for (const path of ['bitcoin-28.1/bin/bitcoind', './bitcoin-0.21.0/bin/bitcoind', 'bin/bitcoind'])
      expect(findBinary([entry('bitcoin-28.1/bin/'), entry(path)], 'bitcoind', 't.tar.gz')).toBe(path);
  });

  it('refuses none, two, or one that is a link', () => {
    const step = (fn: () => unknown) => {
      try {
        fn();
      } catch (error) {
        return [refusedStep(error), (error as Error).message];
      }
      return undefined;
    };
    expect(step(() => findBinary([entry('bitcoin-28.1/bin/bitcoin-qt')], 'bitcoind', 't'))).toEqual([
      'build',
      expect.stringContaining('holds no bin/bitcoind'),
    ]);
    expect(
      step(() => findBinary([entry('a/bin/bitcoind'), entry('b/bin/bitcoind')], 'bitcoind', 't')),
    ).toEqual(['build', expect.stringContaining('refusing to guess')]);
    expect(step(() => findBinary([entry('a/bin/bitcoind', 'l')], 'bitcoind', 't'))).toEqual([
      'build',
      expect.stringContaining('not a regular file'),
    ]);
    // A file merely named like it, outside bin/, is not it.
    expect(step(() => findBinary([entry('a/share/bitcoind')], 'bitcoind', 't'))?.[0]).toBe('build');
  });
});

describe('extractReleaseBinaries', () => {
  async function tarball(name: string, files: Record<string, string>, links: Record<string, string> = {}) {
    const src = join(dir, `${name}-src`);
    for (const [path, text] of Object.entries(files)) {
      await mkdir(join(src, path, '..'), { recursive: true });
      await writeFile(join(src, path), text);
    }
    for (const [path, target] of Object.entries(links)) await symlink(target, join(src, path));
    const file = join(dir, `${name}.tar.gz`);
    await run('tar', ['-C', src, '-czf', file, '.']);
    return file;
  }

  it('takes exactly bitcoind and bitcoin-cli, executable, and says where they were', async () => {
    const file = await tarball('good', {
      'bitcoin-28.1/bin/bitcoind': 'daemon',
      'bitcoin-28.1/bin/bitcoin-cli': 'client',
      'bitcoin-28.1/bin/bitcoin-qt': 'gui',
    });
    const out = join(dir, 'out-good');
    await mkdir(out);
    const members = await extractReleaseBinaries(file, 'good.tar.gz', out);
    expect(members).toEqual({
      bitcoind: './bitcoin-28.1/bin/bitcoind',
      'bitcoin-cli': './bitcoin-28.1/bin/bitcoin-cli',
    });
    expect(await readFile(join(out, 'bitcoind'), 'utf8')).toBe('daemon');
    expect(await readFile(join(out, 'bitcoin-cli'), 'utf8')).toBe('client');
    await expect(readFile(join(out, 'bitcoin-qt'))).rejects.toThrow();
  });

  it('refuses a bitcoin-cli that is a symlink out of the archive', async () => {
    const file = await tarball(
      'link',
      { 'bitcoin-28.1/bin/bitcoind': 'daemon' },
      { 'bitcoin-28.1/bin/bitcoin-cli': '/etc/shadow' },
    );
    const out = join(dir, 'out-link');
    await mkdir(out);
    await expect(extractReleaseBinaries(file, 'link.tar.gz', out)).rejects.toThrow(/not a regular file/);
  });

  it('refuses a file that is not a gzip tar', async () => {
    const file = join(dir, 'junk.tar.gz');
    await writeFile(file, 'not an archive');
    await expect(extractReleaseBinaries(file, 'junk.tar.gz', dir)).rejects.toThrow(
      /cannot read .* as a gzip tar/,
    );
  });
});
