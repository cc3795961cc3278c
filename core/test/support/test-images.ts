import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
  copyFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PRODUCTION_IMAGE_NAMESPACES, REGISTRY_HOST, TEST_IMAGE_NAMESPACE } from './constants.js';
import { podman, podmanJson } from './podman-cli.js';

const run = promisify(execFile);

/** Applets linked into every test image; tests and the example manifests rely on these. */
const APPLETS = [
  'sh',
  'httpd',
  'wget',
  'nc',
  'sleep',
  'cat',
  'echo',
  'id',
  'ls',
  'mkdir',
  'kill',
  'env',
  'true',
  'false',
  'test',
  '[',
  'grep',
  'head',
  'tail',
  'touch',
  'rm',
  'date',
  'hostname',
  'nslookup',
  'ping',
  'printf',
  'seq',
  'sed',
  'ps',
  'timeout',
  'wc',
  'tee',
  'stat',
  'chmod',
  'dd',
  'sync',
  'uname',
  'whoami',
];

interface TestImage {
  ref: string;
  /** File path inside the image → contents. */
  files: Record<string, string>;
  cmd: string[];
  labels: Record<string, string>;
}

const HELLO_VERSIONS = ['1.0.0', '1.1.0', '2.0.0'];

/** The hello test image's repository in the test registry (tests copy its blobs from there). */
export const HELLO_REPOSITORY = `${TEST_IMAGE_NAMESPACE}/hello`;
export const helloImage = (version: string): string => `${REGISTRY_HOST}/${HELLO_REPOSITORY}:${version}`;
export const crashImage = (): string => `${REGISTRY_HOST}/${TEST_IMAGE_NAMESPACE}/crash:1.0.0`;

function definitions(): TestImage[] {
  const hello = HELLO_VERSIONS.map((version) => ({
    ref: helloImage(version),
    files: { 'www/index.html': `hello from ${version}\n` },
    cmd: ['/bin/sh', '-c', 'exec httpd -f -p 8080 -h /www'],
    labels: { 'org.opencontainers.image.version': version },
  }));
  const crash: TestImage = {
    ref: crashImage(),
    files: {},
    cmd: ['/bin/sh', '-c', 'echo "crash: exiting with status 3 on purpose" >&2; exit 3'],
    labels: { 'org.opencontainers.image.version': '1.0.0' },
  };
  return [...hello, crash];
}

/** Every image the test setup builds from busybox (the bitcoind double's images are listed apart). */
export const testImageRefs = (): string[] => definitions().map((image) => image.ref);

// Not under io.archipelago.*: image labels are copied onto every container made from the image.
// The bitcoind double's images carry it too: it marks every image the test setup built.
export const CONTENT_LABEL = 'test.archipelago.image-content';

/** Whether the local image `ref` was built from `content` (its content label): then it is not rebuilt. */
export async function hasImageContent(ref: string, content: string): Promise<boolean> {
  const current = await podman([
    'image',
    'inspect',
    '--format',
    `{{index .Labels "${CONTENT_LABEL}"}}`,
    ref,
  ]).catch(() => '');
  return current.trim() === content;
}

/**
 * Builds the test images from busybox-static with `podman import` and pushes them to the test
 * registry. Content-addressed: an image whose content label matches is not rebuilt, and a tag
 * the registry already holds with the same config is not pushed again.
 */
export async function buildAndPushTestImages(workDir: string): Promise<string[]> {
  const busybox = readFileSync('/bin/busybox');
  const busyboxHash = createHash('sha256').update(busybox).digest('hex');
  const images = definitions();
  await Promise.all(
    images.map(async (image) => {
      const content = createHash('sha256')
        .update(busyboxHash)
        .update(JSON.stringify([APPLETS, image.files, image.cmd, image.labels]))
        .digest('hex')
        .slice(0, 32);
      if (!(await hasImageContent(image.ref, content))) await buildImage(image, content, workDir);
      await pushIfMissing(image.ref);
    }),
  );
  return images.map((i) => i.ref);
}

async function buildImage(image: TestImage, content: string, workDir: string): Promise<void> {
  const dir = mkdtempSync(join(workDir, 'image-'));
  const rootfs = join(dir, 'rootfs');
  for (const sub of ['bin', 'etc', 'www', 'tmp', 'run', 'data', 'var/tmp'])
    mkdirSync(join(rootfs, sub), { recursive: true });
  chmodSync(join(rootfs, 'tmp'), 0o1777);
  copyFileSync('/bin/busybox', join(rootfs, 'bin/busybox'));
  chmodSync(join(rootfs, 'bin/busybox'), 0o755);
  for (const applet of APPLETS) symlinkSync('busybox', join(rootfs, 'bin', applet));
  writeFileSync(
    join(rootfs, 'etc/passwd'),
    'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n',
  );
  writeFileSync(join(rootfs, 'etc/group'), 'root:x:0:\nnobody:x:65534:\n');
  for (const [path, text] of Object.entries(image.files)) writeFileSync(join(rootfs, path), text);
  const tarball = join(dir, 'rootfs.tar');
  await writeReproducibleTar(rootfs, tarball);
  const changes = [
    `CMD ${JSON.stringify(image.cmd)}`,
    ...Object.entries({ ...image.labels, [CONTENT_LABEL]: content }).map(([k, v]) => `LABEL ${k}=${v}`),
  ].flatMap((c) => ['--change', c]);
  await podman(['import', ...changes, tarball, image.ref]);
  rmSync(dir, { recursive: true, force: true });
}

/**
 * Tars a folder reproducibly: the same content gives the same bytes (so the same layer digest,
 * and pushes dedupe). `entry` is what to take from the folder (all of it by default); `gzip`
 * compresses, as release tarballs are.
 */
export async function writeReproducibleTar(
  folder: string,
  tarball: string,
  options: { entry?: string; gzip?: boolean } = {},
): Promise<void> {
  await run('tar', [
    '--sort=name',
    '--mtime=@0',
    '--owner=0',
    '--group=0',
    '--numeric-owner',
    '-C',
    folder,
    options.gzip ? '-czf' : '-cf',
    tarball,
    options.entry ?? '.',
  ]);
}

/** Pushes a local image unless the registry already holds a manifest with the same config. */
export async function pushIfMissing(ref: string): Promise<void> {
  const localId = (await podman(['image', 'inspect', '--format', '{{.Id}}', ref])).trim();
  const slash = ref.indexOf('/');
  const colon = ref.lastIndexOf(':');
  const [host, repoPath, tag] = [ref.slice(0, slash), ref.slice(slash + 1, colon), ref.slice(colon + 1)];
  try {
    const res = await fetch(`http://${host}/v2/${repoPath}/manifests/${tag}`, {
      headers: {
        accept:
          'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json',
      },
      signal: AbortSignal.timeout(5000),
    });
    if (res.ok) {
      const manifest = (await res.json()) as { config?: { digest?: string } };
      if (manifest.config?.digest === `sha256:${localId}`) return;
    }
  } catch {
    // Unknown state: push.
  }
  await podman(['push', '--quiet', '--tls-verify=false', ref]);
}

/**
 * Whether an image name is in a namespace the product uses, on any registry:
 * `127.0.0.1:5000/archipelago/...`, `localhost/archipelago/...`, `127.0.0.1:5000/apps/...`.
 */
export function isProductionImageName(name: string): boolean {
  const first = name.split('/')[0]!;
  // A first component with a dot or a port, or localhost, is a registry host (as Docker reads it).
  const hasHost = name.includes('/') && (/[.:]/.test(first) || first === 'localhost');
  const path = hasHost ? name.slice(first.length + 1) : name;
  return PRODUCTION_IMAGE_NAMESPACES.some((namespace) => path.startsWith(`${namespace}/`));
}

/**
 * Takes production names off images an earlier test run built (they carry CONTENT_LABEL): before
 * the tests had a namespace of their own, the bitcoind TEST DOUBLE was tagged
 * 127.0.0.1:5000/archipelago/bitcoin-core:<v>, and a node sharing this storage ran it as Bitcoin
 * Core. Only labelled images are touched; the image itself stays when a container still uses it.
 */
export async function untagTestImagesUnderProductionNames(): Promise<string[]> {
  const images = await podmanJson<{ Id: string; Names?: string[] | null }[]>([
    'images',
    '--filter',
    `label=${CONTENT_LABEL}`,
    '--format',
    'json',
  ]);
  const untagged: string[] = [];
  for (const image of images) {
    const names = image.Names ?? [];
    const production = names.filter(isProductionImageName);
    for (const name of production) {
      await podman(['untag', image.Id, name]).catch((error: Error) => {
        if (!/image not known|no such image/i.test(error.message)) throw error;
      });
      untagged.push(name);
    }
    // Left with no name at all: remove it unless a container still uses it.
    if (production.length > 0 && production.length === names.length)
      await podman(['rmi', image.Id]).catch(() => undefined);
  }
  return untagged;
}
