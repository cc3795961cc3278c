// A recipe's root filesystem from a real app folder in a temp dir and this host's
// /bin/busybox (busybox-static): what is copied and recorded, what is refused (links, paths
// outside the app's folder, too many bytes), and when the inputs' hash changes.

import { chmod, mkdir, readFile, readlink, rm, stat, symlink, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ArchyError, RpcErrorCode } from '../kernel/index.js';
import type { BuildSpec } from '../manifest/index.js';
import { tempFolder } from '../pipeline/spec-release-fixture.js';
import { buildRecipeRootfs } from './recipe-rootfs.js';

let dir: string;
let appDir: string;
let work = 0;

beforeEach(async () => {
  dir = await tempFolder('recipe');
  appDir = join(dir, 'app');
  await mkdir(join(appDir, 'www', 'css'), { recursive: true });
  await writeFile(join(appDir, 'www', 'index.html'), '<h1>hello</h1>\n');
  await writeFile(join(appDir, 'www', 'css', 'site.css'), 'h1 { color: orange }\n');
  await writeFile(join(appDir, 'app.conf'), 'port=8080\n');
  await writeFile(join(appDir, 'manifest.yml'), 'id: demo\n');
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const spec = (files: BuildSpec['files'], applets = ['sh', 'httpd']): BuildSpec => ({
  base: 'busybox',
  applets,
  files,
});

/** Each build gets its own work folder, as the builder gives it (mkdtemp). */
async function build(files: BuildSpec['files'], applets?: string[]) {
  const workDir = join(dir, `work-${(work += 1)}`);
  await mkdir(workDir);
  return buildRecipeRootfs({ appId: 'demo', appDir, spec: spec(files, applets), workDir });
}

async function refusal(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error, 'the recipe should have been refused').toBeInstanceOf(ArchyError);
  expect((error as ArchyError).code).toBe(RpcErrorCode.InvalidManifest);
  return (error as Error).message;
}

const WWW_AND_CONF = [
  { from: 'www', to: '/srv/www' },
  { from: 'app.conf', to: '/etc/app.conf' },
];

describe('buildRecipeRootfs', () => {
  it('copies files and folders, recording each one’s app-relative source', async () => {
    const rootfs = await build(WWW_AND_CONF);
    const { rootDir, sources } = rootfs;
    expect(await readFile(join(rootDir, 'srv/www/index.html'), 'utf8')).toBe('<h1>hello</h1>\n');
    expect(await readFile(join(rootDir, 'srv/www/css/site.css'), 'utf8')).toBe('h1 { color: orange }\n');
    expect(await readFile(join(rootDir, 'etc/app.conf'), 'utf8')).toBe('port=8080\n');
    expect(sources.get('/srv/www/index.html')).toEqual({ kind: 'app', source: 'www/index.html' });
    expect(sources.get('/srv/www/css/site.css')).toEqual({ kind: 'app', source: 'www/css/site.css' });
    expect(sources.get('/etc/app.conf')).toEqual({ kind: 'app', source: 'app.conf' });
    // The base: busybox from this host, one link per applet, a /tmp anyone may write.
    expect(sources.get('/bin/busybox')).toEqual({ kind: 'host', hostPath: '/bin/busybox' });
    expect(await readlink(join(rootDir, 'bin/sh'))).toBe('busybox');
    expect(await readlink(join(rootDir, 'bin/httpd'))).toBe('busybox');
    expect((await stat(join(rootDir, 'tmp'))).isDirectory()).toBe(true);
    // Only what the recipe names: not the manifest beside it.
    expect([...sources.values()].filter((s) => s.kind === 'app')).toHaveLength(3);
    expect(rootfs.inputsSha256).toMatch(/^[a-f0-9]{64}$/);
  });

  it('copies the whole app folder with from: .', async () => {
    const { rootDir, sources } = await build([{ from: '.', to: '/app' }]);
    expect(await readFile(join(rootDir, 'app/manifest.yml'), 'utf8')).toBe('id: demo\n');
    expect(sources.get('/app/www/css/site.css')).toEqual({ kind: 'app', source: 'www/css/site.css' });
  });

  it('takes a file whose name starts with two dots (it is inside the app folder)', async () => {
    await writeFile(join(appDir, '..hidden'), 'still inside\n');
    await writeFile(join(appDir, 'www', '..notes'), 'also inside\n');
    const { rootDir, sources } = await build([
      { from: '..hidden', to: '/etc/hidden' },
      { from: 'www', to: '/srv/www' },
    ]);
    expect(await readFile(join(rootDir, 'etc/hidden'), 'utf8')).toBe('still inside\n');
    expect(sources.get('/srv/www/..notes')).toEqual({ kind: 'app', source: 'www/..notes' });
  });

  it('refuses a symbolic link in the app folder, named or found in a folder', async () => {
    await writeFile(join(dir, 'host-secret'), 'not for the image\n');
    await symlink(join(dir, 'host-secret'), join(appDir, 'secret'));
    expect(await refusal(build([{ from: 'secret', to: '/etc/secret' }]))).toContain(
      `${join(appDir, 'secret')} is a symbolic link`,
    );

    await symlink(join(dir, 'host-secret'), join(appDir, 'www', 'leak.txt'));
    expect(await refusal(build([{ from: 'www', to: '/srv/www' }]))).toContain(
      `${join(appDir, 'www', 'leak.txt')} is a symbolic link`,
    );
  });

  it('refuses a path that goes through a linked folder', async () => {
    const hostDir = join(dir, 'host-etc');
    await mkdir(hostDir);
    await writeFile(join(hostDir, 'passwd'), 'root:x:0:0\n');
    await symlink(hostDir, join(appDir, 'linked'));
    const message = await refusal(build([{ from: 'linked/passwd', to: '/etc/passwd' }]));
    expect(message).toContain(`${join(appDir, 'linked')} is a symbolic link`);
  });

  it('refuses a from outside the app folder, and one that is not there', async () => {
    await writeFile(join(dir, 'beside-the-app'), 'outside\n');
    expect(await refusal(build([{ from: '../beside-the-app', to: '/etc/x' }]))).toContain(
      `is outside the app's folder ${appDir}`,
    );
    expect(await refusal(build([{ from: 'missing.txt', to: '/etc/x' }]))).toContain(
      `build.files names missing.txt, which is not in the app's folder ${appDir}`,
    );
  });

  it('gives the same inputs hash for the same inputs, another when a file, a path or the applets change', async () => {
    const first = await build(WWW_AND_CONF);
    const same = await build(WWW_AND_CONF);
    expect(same.inputsSha256).toBe(first.inputsSha256);

    await writeFile(join(appDir, 'www', 'css', 'site.css'), 'h1 { color: blue }\n');
    const edited = await build(WWW_AND_CONF);
    expect(edited.inputsSha256).not.toBe(first.inputsSha256);

    const moved = await build([
      { from: 'www', to: '/srv/html' },
      { from: 'app.conf', to: '/etc/app.conf' },
    ]);
    expect(moved.inputsSha256).not.toBe(edited.inputsSha256);

    const moreApplets = await build(WWW_AND_CONF, ['sh', 'httpd', 'wget']);
    expect(moreApplets.inputsSha256).not.toBe(edited.inputsSha256);
  });

  it('gives another inputs hash when a copied file’s mode changes (the image keeps the mode)', async () => {
    await chmod(join(appDir, 'app.conf'), 0o644);
    const before = await build(WWW_AND_CONF);
    await chmod(join(appDir, 'app.conf'), 0o755);
    const after = await build(WWW_AND_CONF);
    expect((await stat(join(after.rootDir, 'etc/app.conf'))).mode & 0o777).toBe(0o755);
    expect(after.inputsSha256).not.toBe(before.inputsSha256);
  });

  it('refuses a recipe that copies more than 256 MiB in all, before copying the file over the cap', async () => {
    // Sparse: its size is real to lstat, but nothing is written to the disk.
    const big = join(appDir, 'big.bin');
    await writeFile(big, '');
    await truncate(big, 256 * 1024 * 1024 - 10);
    await writeFile(join(appDir, 'small.txt'), '11 bytes..\n'); // with the big file, one byte over
    const workDir = join(dir, 'over-cap');
    await mkdir(workDir);
    const message = await refusal(
      buildRecipeRootfs({
        appId: 'demo',
        appDir,
        spec: spec([
          { from: 'small.txt', to: '/small.txt' },
          { from: 'big.bin', to: '/big.bin' },
        ]),
        workDir,
      }),
    );
    expect(message).toContain(`build.files of 'demo' copy more than ${256 * 1024 * 1024} bytes`);
    expect(await readFile(join(workDir, 'rootfs/small.txt'), 'utf8')).toBe('11 bytes..\n');
    await expect(stat(join(workDir, 'rootfs/big.bin'))).rejects.toThrow(/ENOENT/);
  });
});
