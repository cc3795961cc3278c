// An upstream-shaped Bitcoin Core release for the benchmarks, made here: the bitcoind TEST DOUBLE
// (core/test/support/bitcoind-double, compiled on the spot) as bitcoind and bitcoin-cli, plus
// incompressible filler for a realistic tarball size; SHA256SUMS signed by builder keys made here;
// all served from loopback HTTP, optionally paced to a link speed. bench/ compiles on its own and
// cannot import test code, so this is the benchmarks' own copy of that fixture.
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { appendFile, copyFile, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createMessage, generateKey, sign, type PrivateKey } from 'openpgp';
import { REPO } from './support.js';

const run = promisify(execFile);
export const ARCH = 'x86_64-linux-gnu';

export const sha256Hex = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

/**
 * The double, compiled with an empty rules table (the benchmarks never change versions). With
 * `defaultVersion` it claims that version without a version file, as a binary from a release
 * tarball must.
 */
export async function compileBitcoindDouble(dir: string, defaultVersion?: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  await copyFile(
    join(REPO, 'core/test/support/bitcoind-double/bitcoind-double.c'),
    join(dir, 'bitcoind-double.c'),
  );
  await writeFile(join(dir, 'rules.generated.h'), 'static const struct rule RULES[] = {\n};\n');
  const define = defaultVersion ? [`-DBITCOIND_DOUBLE_DEFAULT_VERSION="${defaultVersion}"`] : [];
  await run('gcc', ['-static', '-O2', '-std=gnu11', ...define, '-o', 'bitcoind', 'bitcoind-double.c'], {
    cwd: dir,
  });
  return join(dir, 'bitcoind');
}

export interface Builder {
  name: string;
  fingerprint: string;
  privateKey: PrivateKey;
  armoredPublicKey: string;
}

export async function makeBuilders(names: readonly string[]): Promise<Builder[]> {
  return Promise.all(
    names.map(async (name) => {
      const { privateKey, publicKey } = await generateKey({
        type: 'curve25519',
        userIDs: [{ name, email: `${name}@bench.test` }],
        format: 'object',
      });
      return {
        name,
        fingerprint: privateKey.getFingerprint().toUpperCase(),
        privateKey,
        armoredPublicKey: publicKey.armor(),
      };
    }),
  );
}

/** SHA256SUMS.asc as upstream writes it: one detached signature block per builder, concatenated. */
export async function signatureFile(sums: Buffer, builders: readonly Builder[]): Promise<string> {
  const blocks = await Promise.all(
    builders.map(async ({ privateKey }) =>
      sign({ message: await createMessage({ binary: sums }), signingKeys: privateKey, detached: true }),
    ),
  );
  return blocks.join('');
}

export interface Release {
  version: string;
  tarballName: string;
  tarballPath: string;
  tarball: Buffer;
  /** Upstream's layout below `/bin/`: tarball, SHA256SUMS, SHA256SUMS.asc. */
  files: Map<string, Buffer>;
}

/**
 * Release binaries of a real size: the double with incompressible bytes after its last section
 * (the kernel loads only what the ELF program headers name, so it still runs).
 */
async function paddedCopy(double: string, destination: string, mib: number): Promise<void> {
  await copyFile(double, destination);
  const missing = mib * 2 ** 20 - (await stat(destination)).size;
  if (missing > 0) await appendFile(destination, randomBytes(missing));
}

export async function makeRelease(
  dir: string,
  version: string,
  double: string,
  builders: readonly Builder[],
  fillerMb: number,
  sizes: { bitcoindMib?: number; cliMib?: number } = {},
): Promise<Release> {
  const top = join(dir, `bitcoin-${version}`);
  await mkdir(join(top, 'bin'), { recursive: true });
  await mkdir(join(top, 'lib'), { recursive: true });
  await paddedCopy(double, join(top, 'bin/bitcoind'), sizes.bitcoindMib ?? 0);
  await paddedCopy(double, join(top, 'bin/bitcoin-cli'), sizes.cliMib ?? 0);
  await writeFile(join(top, 'lib/libbitcoinkernel.so'), randomBytes(fillerMb * 1024 * 1024));
  const tarballName = `bitcoin-${version}-${ARCH}.tar.gz`;
  const tarballPath = join(dir, tarballName);
  await run('tar', [
    '--sort=name',
    '--mtime=@0',
    '--owner=0',
    '--group=0',
    '-C',
    dir,
    '-czf',
    tarballPath,
    `bitcoin-${version}`,
  ]);
  const tarball = await readFile(tarballPath);
  const sums = Buffer.from(`${sha256Hex(tarball)}  ${tarballName}\n`);
  const folder = `/bin/bitcoin-core-${version}/`;
  return {
    version,
    tarballName,
    tarballPath,
    tarball,
    files: new Map<string, Buffer>([
      [`${folder}${tarballName}`, tarball],
      [`${folder}SHA256SUMS`, sums],
      [`${folder}SHA256SUMS.asc`, Buffer.from(await signatureFile(sums, builders))],
    ]),
  };
}

export interface FileServer {
  url: string;
  routes: Map<string, Buffer>;
  /** Bytes per second per response; 0 serves as fast as loopback goes. */
  pace: { bytesPerSecond: number };
  close(): Promise<void>;
}

/** Serves `routes` on 127.0.0.1, each body paced to `pace.bytesPerSecond` when set. */
export async function serveFiles(): Promise<FileServer> {
  const routes = new Map<string, Buffer>();
  const pace = { bytesPerSecond: 0 };
  const server: Server = createServer((req, res) => {
    const body = routes.get(new URL(req.url ?? '/', 'http://x').pathname);
    if (!body) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-length': body.length });
    if (!pace.bytesPerSecond) return void res.end(body);
    // 20 slices a second at the set rate, so the client sees a link, not a burst.
    const slice = Math.max(1, Math.floor(pace.bytesPerSecond / 20));
    let offset = 0;
    const started = Date.now();
    const next = (): void => {
      if (offset >= body.length) return void res.end();
      const end = Math.min(body.length, offset + slice);
      res.write(body.subarray(offset, end));
      offset = end;
      const due = started + (offset / pace.bytesPerSecond) * 1000;
      setTimeout(next, Math.max(0, due - Date.now()));
    };
    next();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}/`,
    routes,
    pace,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A unique enough id for names this run creates. */
export const runId = (): string => `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
