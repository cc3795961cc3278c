// The test image `archy parmanode run` runs scripts in during tests: busybox-static with a
// /bin/bash that is busybox's sh (a TEST STAND-IN for the pinned bash image, which no test may
// pull), and one setuid-root copy of busybox's `id` (/suid/id) so a test can try to gain root
// through it. Content-addressed like the other test images: rebuilt only when what it holds changes.

import { createHash } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { REGISTRY_HOST, TEST_IMAGE_NAMESPACE } from '../support/constants.js';
import { podman } from '../support/podman-cli.js';
import { CONTENT_LABEL, hasImageContent, writeReproducibleTar } from '../support/test-images.js';

export const runnerTestImage = (): string =>
  `${REGISTRY_HOST}/${TEST_IMAGE_NAMESPACE}/parmanode-runner:1.0.0`;

const APPLETS = [
  'sh',
  'cat',
  'echo',
  'ls',
  'id',
  'ps',
  'nc',
  'sleep',
  'touch',
  'mkdir',
  'grep',
  'chown',
  'chmod',
  'rm',
  'wc',
  'true',
  'false',
  'test',
  'printf',
  'head',
];
const BASH_STANDIN = '#!/bin/sh\n# TEST STAND-IN for bash: busybox sh runs the script.\nexec /bin/sh "$@"\n';

export async function buildRunnerTestImage(workDir: string): Promise<string> {
  const ref = runnerTestImage();
  const busybox = readFileSync('/bin/busybox');
  const content = createHash('sha256')
    .update(busybox)
    .update(JSON.stringify([APPLETS, BASH_STANDIN, 'suid-id']))
    .digest('hex')
    .slice(0, 32);
  if (await hasImageContent(ref, content)) return ref;
  const dir = mkdtempSync(join(workDir, 'runner-image-'));
  try {
    const rootfs = join(dir, 'rootfs');
    for (const sub of ['bin', 'etc', 'tmp', 'data', 'suid', 'parmanode'])
      mkdirSync(join(rootfs, sub), { recursive: true });
    chmodSync(join(rootfs, 'tmp'), 0o1777);
    copyFileSync('/bin/busybox', join(rootfs, 'bin/busybox'));
    chmodSync(join(rootfs, 'bin/busybox'), 0o755);
    for (const applet of APPLETS) symlinkSync('busybox', join(rootfs, 'bin', applet));
    writeFileSync(join(rootfs, 'bin/bash'), BASH_STANDIN, { mode: 0o755 });
    // busybox picks the applet from its name: a copy named `id`, owned by root in the image (the
    // tar says uid 0), setuid. Without no-new-privileges it would report euid 0.
    copyFileSync('/bin/busybox', join(rootfs, 'suid/id'));
    chmodSync(join(rootfs, 'suid/id'), 0o4755);
    writeFileSync(
      join(rootfs, 'etc/passwd'),
      'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n',
    );
    writeFileSync(join(rootfs, 'etc/group'), 'root:x:0:\nnobody:x:65534:\n');
    const tarball = join(dir, 'rootfs.tar');
    await writeReproducibleTar(rootfs, tarball);
    await podman([
      'import',
      '--change',
      'CMD ["/bin/sh"]',
      '--change',
      `LABEL ${CONTENT_LABEL}=${content}`,
      '--change',
      'LABEL org.opencontainers.image.title=parmanode-runner TEST STAND-IN (busybox sh as bash)',
      tarball,
      ref,
    ]);
    return ref;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
