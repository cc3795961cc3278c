import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { execInContainer, findInContainer } from './container-exec.js';
import { mapInside } from './container-target.js';

// findInContainer looks through /proc/PID/root; for this process that is the host's own root, so
// a temp tree here stands in for an image's filesystem.
describe('findInContainer', () => {
  const root = mkdtempSync(join(tmpdir(), 'archy-find-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(join(root, 'usr/bin'), { recursive: true });
  writeFileSync(join(root, 'usr/bin/tool'), '#!/bin/sh\n', { mode: 0o755 });
  symlinkSync('tool', join(root, 'usr/bin/tool-link'));
  // An absolute link to a folder: followed within the same root, as in the image.
  symlinkSync(join(root, 'usr/bin'), join(root, 'bin'));

  it('finds a bare name on the PATH, as execvp would', async () => {
    const path = `/nowhere:${root}/bin:${root}/usr/bin`;
    expect(await findInContainer(process.pid, 'tool', path)).toBe(`${root}/bin/tool`);
    expect(await findInContainer(process.pid, 'tool-link', `${root}/usr/bin`)).toBe(
      `${root}/usr/bin/tool-link`,
    );
    expect(await findInContainer(process.pid, 'missing', path)).toBeUndefined();
    // A folder is not a program.
    expect(await findInContainer(process.pid, 'bin', root)).toBeUndefined();
  });

  it('takes a path as given', async () => {
    expect(await findInContainer(process.pid, '/bin/sh', '')).toBe('/bin/sh');
  });
});

describe('execInContainer', () => {
  it("says a program is not on the container's PATH the way Podman does, without starting anything", async () => {
    const outcome = await execInContainer(
      { pid: process.pid, uid: 1000, gid: 1000, env: ['PATH=/nowhere'] },
      ['no-such-program'],
      1000,
    );
    expect(outcome).toEqual({
      exitCode: 127,
      output: 'exec: "no-such-program": executable file not found in $PATH',
    });
  });

  it('never runs a command as root of the namespace', async () => {
    const outcome = await execInContainer({ pid: process.pid, uid: 0, gid: 0, env: [] }, ['/bin/true'], 1000);
    expect(outcome.exitCode).toBe(126);
  });
});

describe('mapInside', () => {
  const map = '         0       1002          1\n         1     165536      65536\n';
  it('turns a host id back into the id inside the user namespace', () => {
    expect(mapInside(1002, map)).toBe(0);
    expect(mapInside(166535, map)).toBe(1000);
    expect(mapInside(1000, map)).toBeUndefined();
    expect(mapInside(undefined, map)).toBeUndefined();
  });
});
