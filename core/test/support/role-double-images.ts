// Builds the TEST DOUBLES that play an app's neighbours, published like the other test images
// (content-addressed, under 127.0.0.1:5000/archy-test/ only):
// - dependent-double: an app that uses a Bitcoin node (and a Lightning node): it reads the env
//   and secret files a dependent gets, calls the node's RPC with them, subscribes to its ZMQ
//   endpoint and calls the Lightning node's REST, and serves what it learned over HTTP;
// - lightning-double: an LND-shaped provider that writes tls.cert and admin.macaroon into its
//   volume and answers REST GET /v1/getinfo only with the macaroon.
// See role-doubles/*.sh for what each does, and bitcoind-double/README.md for the binary.

import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { compileBitcoindDouble, TEST_DOUBLE_LABEL } from './bitcoind-double-images.js';
import { REGISTRY_HOST, TEST_IMAGE_NAMESPACE } from './constants.js';
import { podman } from './podman-cli.js';
import { CONTENT_LABEL, hasImageContent, pushIfMissing, writeReproducibleTar } from './test-images.js';

const run = promisify(execFile);
const SCRIPTS = fileURLToPath(new URL('./role-doubles/', import.meta.url));
const VERSION = '1.0.0';

/** The dependent double: `127.0.0.1:5000/archy-test/dependent-double:1.0.0`. */
export const dependentDoubleImage = (): string =>
  `${REGISTRY_HOST}/${TEST_IMAGE_NAMESPACE}/dependent-double:${VERSION}`;
/** The Lightning-shaped provider double: `127.0.0.1:5000/archy-test/lightning-double:1.0.0`. */
export const lightningDoubleImage = (): string =>
  `${REGISTRY_HOST}/${TEST_IMAGE_NAMESPACE}/lightning-double:${VERSION}`;

/** Where the dependent double serves what it learned (see role-doubles/dependent-double.sh). */
export const DEPENDENT_DOUBLE_PORT = 8080;
/** The lightning double's REST port and its data folder (LND's: tls.cert, data/chain/...). */
export const LIGHTNING_DOUBLE_REST_PORT = 8080;
export const LIGHTNING_DOUBLE_DATA = '/data';
/** Where in its data folder the lightning double writes the macaroon, per network. */
export const lightningDoubleMacaroonPath = (network = 'regtest'): string =>
  `data/chain/bitcoin/${network}/admin.macaroon`;
/** The unprivileged user both images run as. */
export const ROLE_DOUBLE_UID = 1000;

const APPLETS = [
  'sh',
  'cat',
  'echo',
  'env',
  'grep',
  'sort',
  'head',
  'cut',
  'tr',
  'od',
  'wc',
  'mv',
  'cp',
  'rm',
  'mkdir',
  'chmod',
  'dd',
  'sleep',
  'httpd',
  'nc',
  'sed',
  'sha256sum',
  'printf',
  'ls',
  'ps',
  'kill',
  'true',
  'test',
  '[',
  'nslookup',
  'id',
];

interface RoleDouble {
  ref: string;
  role: string;
  title: string;
  /** Scripts from role-doubles/ → their path in the image. */
  scripts: Record<string, string>;
  /** Symlinks to the bitcoind double's binary (/usr/local/bin/bitcoind-double). */
  tools: string[];
  cmd: string[];
  tls: boolean;
}

function definitions(): RoleDouble[] {
  return [
    {
      ref: dependentDoubleImage(),
      role: 'dependent',
      title: 'dependent-double: a test double of an app using a Bitcoin/Lightning node',
      scripts: { 'dependent-double.sh': 'usr/local/bin/dependent-double' },
      tools: ['zmq-sub', 'bitcoin-cli', 'resolve-host'],
      cmd: ['/usr/local/bin/dependent-double'],
      tls: false,
    },
    {
      ref: lightningDoubleImage(),
      role: 'lightning',
      title: 'lightning-double: a test double of an LND-shaped Lightning node (not Lightning)',
      scripts: {
        'lightning-double.sh': 'usr/local/bin/lightning-double',
        'lightning-double-rest.sh': 'usr/local/bin/lightning-double-rest',
      },
      tools: [],
      cmd: ['/usr/local/bin/lightning-double'],
      tls: true,
    },
  ];
}

/** Every image this module builds. */
export const roleDoubleImageRefs = (): string[] => definitions().map((image) => image.ref);

const sha256 = (...parts: (string | Buffer)[]): string => {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest('hex');
};

/**
 * Builds and pushes the dependent and lightning doubles. An image whose content label matches
 * (scripts, binary, busybox, applets) is neither rebuilt nor pushed again — so the lightning
 * double's certificate, made fresh at each build, stays the same while the image does.
 */
export async function buildAndPushRoleDoubles(workDir: string): Promise<string[]> {
  const binary = await compileBitcoindDouble();
  const binaryHash = sha256(readFileSync(binary));
  const busyboxHash = sha256(readFileSync('/bin/busybox'));
  const images = definitions();
  await Promise.all(
    images.map(async (image) => {
      const scripts = Object.keys(image.scripts).map((name) => readFileSync(join(SCRIPTS, name)));
      const content = sha256(
        binaryHash,
        busyboxHash,
        ...scripts,
        JSON.stringify([image, APPLETS, ROLE_DOUBLE_UID]),
      ).slice(0, 32);
      if (!(await hasImageContent(image.ref, content))) await buildImage(image, binary, content, workDir);
      await pushIfMissing(image.ref);
    }),
  );
  return images.map((image) => image.ref);
}

async function buildImage(
  image: RoleDouble,
  binary: string,
  content: string,
  workDir: string,
): Promise<void> {
  const dir = mkdtempSync(join(workDir, `${image.role}-double-`));
  try {
    const rootfs = join(dir, 'rootfs');
    for (const sub of ['bin', 'usr/local/bin', 'etc', 'tmp', 'data', 'run/secrets', 'home/double'])
      mkdirSync(join(rootfs, sub), { recursive: true });
    for (const sub of ['tmp', 'data', 'home/double']) chmodSync(join(rootfs, sub), 0o1777);
    copyFileSync('/bin/busybox', join(rootfs, 'bin/busybox'));
    chmodSync(join(rootfs, 'bin/busybox'), 0o755);
    for (const applet of APPLETS) symlinkSync('busybox', join(rootfs, 'bin', applet));
    if (image.tools.length) {
      copyFileSync(binary, join(rootfs, 'usr/local/bin/bitcoind-double'));
      chmodSync(join(rootfs, 'usr/local/bin/bitcoind-double'), 0o755);
      for (const tool of image.tools) symlinkSync('bitcoind-double', join(rootfs, 'usr/local/bin', tool));
    }
    for (const [name, path] of Object.entries(image.scripts)) {
      copyFileSync(join(SCRIPTS, name), join(rootfs, path));
      chmodSync(join(rootfs, path), 0o755);
    }
    if (image.tls) await writeTlsPair(join(rootfs, 'etc/lightning-double'));
    writeFileSync(
      join(rootfs, 'etc/passwd'),
      `root:x:0:0:root:/root:/bin/sh\ndouble:x:${ROLE_DOUBLE_UID}:${ROLE_DOUBLE_UID}:double:/home/double:/bin/sh\n`,
    );
    writeFileSync(join(rootfs, 'etc/group'), `root:x:0:\ndouble:x:${ROLE_DOUBLE_UID}:\n`);
    const tarball = join(dir, 'rootfs.tar');
    await writeReproducibleTar(rootfs, tarball);
    const labels: Record<string, string> = {
      'org.opencontainers.image.version': VERSION,
      'org.opencontainers.image.title': image.title,
      [TEST_DOUBLE_LABEL]: image.role,
      [CONTENT_LABEL]: content,
    };
    const changes = [
      `USER ${ROLE_DOUBLE_UID}:${ROLE_DOUBLE_UID}`,
      'ENV PATH=/usr/local/bin:/bin',
      'ENV HOME=/home/double',
      'WORKDIR /home/double',
      `CMD ${JSON.stringify(image.cmd)}`,
      ...Object.entries(labels).map(([key, value]) => `LABEL ${key}=${JSON.stringify(value)}`),
    ].flatMap((change) => ['--change', change]);
    await podman(['import', '--quiet', ...changes, tarball, image.ref]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A real self-signed certificate, as LND makes at its first start (EC P-256, the node's names
 * as SANs), made with the host's openssl when the image is built: the image holds no openssl.
 * Without openssl the tests cannot build the lightning double, and say so.
 */
async function writeTlsPair(dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const key = join(dir, 'tls.key');
  const cert = join(dir, 'tls.cert');
  try {
    await run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '3650',
      '-subj',
      '/O=lnd autogenerated cert (lightning-double)/CN=lightning-double',
      '-addext',
      'subjectAltName=DNS:localhost,DNS:lightning-node,DNS:lnd,IP:127.0.0.1',
    ]);
  } catch (err) {
    throw new Error(
      `building the lightning test double needs openssl on the host to make its TLS certificate: ${(err as Error).message}`,
      { cause: err },
    );
  }
  if (!existsSync(cert)) throw new Error('openssl wrote no certificate for the lightning test double');
  // The container user copies them into its volume at first start.
  chmodSync(key, 0o644);
  chmodSync(cert, 0o644);
}
