// Test fixtures for the pipeline specs: builder keys generated on the spot (curve25519, fast),
// a fake release with SHA256SUMS and a multi-block SHA256SUMS.asc, and a loopback HTTP server
// that serves files — or misbehaves on purpose (404, cut-short bodies). Nothing leaves 127.0.0.1.

import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { createMessage, generateKey, revokeKey, sign, type PrivateKey, type PublicKey } from 'openpgp';

export interface BuilderKey {
  name: string;
  privateKey: PrivateKey;
  /** What gets pinned: for the revoked builder, its revoked public key. */
  publicKey: PublicKey;
  fingerprint: string;
}

const DAY_MS = 24 * 60 * 60 * 1000;

async function builder(
  name: string,
  options: { date?: Date; keyExpirationTime?: number; signingSubkey?: boolean } = {},
): Promise<BuilderKey> {
  const { privateKey } = await generateKey({
    type: 'curve25519',
    userIDs: [{ name, email: `${name}@builders.test` }],
    format: 'object',
    ...(options.date ? { date: options.date } : {}),
    ...(options.keyExpirationTime ? { keyExpirationTime: options.keyExpirationTime } : {}),
    ...(options.signingSubkey ? { subkeys: [{}, { sign: true }] } : {}),
  });
  return {
    name,
    privateKey,
    publicKey: privateKey.toPublic(),
    fingerprint: privateKey.getFingerprint().toUpperCase(),
  };
}

export interface BuilderSet {
  /** Valid and pinned. */
  alice: BuilderKey;
  bob: BuilderKey;
  carol: BuilderKey;
  /** Valid and pinned; signs with a signing subkey. */
  dave: BuilderKey;
  /** Pinned, expired yesterday (created two days ago, valid one day). */
  erin: BuilderKey;
  /** Pinned, revoked after signing. */
  frank: BuilderKey;
  /** Valid but not pinned. */
  mallory: BuilderKey;
}

export async function makeBuilders(): Promise<BuilderSet> {
  const [alice, bob, carol, dave, erin, frank, mallory] = await Promise.all([
    builder('alice'),
    builder('bob'),
    builder('carol'),
    builder('dave', { signingSubkey: true }),
    builder('erin', { date: new Date(Date.now() - 2 * DAY_MS), keyExpirationTime: 24 * 60 * 60 }),
    builder('frank'),
    builder('mallory'),
  ]);
  const revoked = await revokeKey({ key: frank!.privateKey, format: 'object' });
  return {
    alice: alice!,
    bob: bob!,
    carol: carol!,
    dave: dave!,
    erin: erin!,
    frank: { ...frank!, publicKey: revoked.publicKey },
    mallory: mallory!,
  };
}

/** The builders pinned in the fixtures' builderKeys folder (not mallory). */
export const pinnedNames = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank'] as const;

export async function writeBuilderKeys(folder: string, builders: BuilderKey[]): Promise<string> {
  await mkdir(folder, { recursive: true });
  for (const key of builders) await writeFile(join(folder, `${key.name}.gpg`), key.publicKey.armor());
  return folder;
}

/** A detached, armored signature; erin signs while still valid (yesterday, before it expired). */
export async function signDetached(data: Uint8Array, key: BuilderKey): Promise<string> {
  const date = key.name === 'erin' ? new Date(Date.now() - 1.5 * DAY_MS) : undefined;
  return sign({
    message: await createMessage({ binary: data }),
    signingKeys: key.privateKey,
    detached: true,
    ...(date ? { date } : {}),
  });
}

/** Concatenated like upstream's SHA256SUMS.asc. */
export async function signatureFile(data: Uint8Array, keys: BuilderKey[]): Promise<string> {
  const blocks = await Promise.all(keys.map((key) => signDetached(data, key)));
  return blocks.join('');
}

/** Alters one character inside the signature material of block `index` (0-based). */
export function tamperBlock(asc: string, index: number): string {
  const blocks = asc.split(/(?=-----BEGIN PGP SIGNATURE-----)/);
  const block = blocks[index]!;
  const lines = block.split('\n');
  // The last base64 line before the (optional) =CRC line and the END line carries the signature MPIs.
  let line = lines.findIndex((l) => l.startsWith('-----END')) - 1;
  while (lines[line]!.startsWith('=') || lines[line]!.trim() === '') line -= 1;
  const text = lines[line]!;
  const at = Math.max(0, text.length - 12);
  const swapped = text[at] === 'A' ? 'B' : 'A';
  lines[line] = text.slice(0, at) + swapped + text.slice(at + 1);
  blocks[index] = lines.join('\n');
  return blocks.join('');
}

export const sha256Hex = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

export interface FakeRelease {
  tarballName: string;
  tarball: Buffer;
  sha256sums: Buffer;
}

/** A small gzip "tarball" and a SHA256SUMS listing it among other arches, like upstream's. */
export function makeRelease(version: string, arch = 'x86_64-linux-gnu', size = 256 * 1024): FakeRelease {
  const tarballName = `bitcoin-${version}-${arch}.tar.gz`;
  const tarball = gzipSync(randomBytes(size), { level: 0 });
  const others = ['aarch64-linux-gnu', 'arm-linux-gnueabihf', 'riscv64-linux-gnu'].map(
    (other) => `${sha256Hex(randomBytes(32))}  bitcoin-${version}-${other}.tar.gz`,
  );
  const sha256sums = Buffer.from(
    [...others, `${sha256Hex(tarball)}  ${tarballName}`].sort().join('\n') + '\n',
  );
  return { tarballName, tarball, sha256sums };
}

/** What the server does at a path. */
export type Route =
  | Buffer
  | string
  | { status: number }
  /** Announce the full length, send `sendBytes`, then drop the connection. */
  | { body: Buffer; sendBytes: number };

export interface FileServer {
  /** `http://127.0.0.1:<port>/` */
  url: string;
  routes: Map<string, Route>;
  requests: string[];
  close(): Promise<void>;
}

export async function startFileServer(): Promise<FileServer> {
  const routes = new Map<string, Route>();
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    requests.push(path);
    const route = routes.get(path);
    if (route === undefined) {
      res.writeHead(404).end('not found');
      return;
    }
    if (typeof route === 'string' || Buffer.isBuffer(route)) {
      const body = Buffer.from(route);
      res.writeHead(200, { 'content-length': body.length, 'content-type': 'application/octet-stream' });
      res.end(body);
      return;
    }
    if ('status' in route) {
      res.writeHead(route.status).end();
      return;
    }
    res.writeHead(200, { 'content-length': route.body.length });
    res.write(route.body.subarray(0, route.sendBytes), () => res.socket?.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/`,
    routes,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export const tempFolder = (prefix: string): Promise<string> =>
  mkdtemp(join(tmpdir(), `archy-spec-${prefix}-`));

/** A port nothing listens on: bound, then released. */
export async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}/`;
}
