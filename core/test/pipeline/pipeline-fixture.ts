// Fixtures for the image pipeline's integration tests (bench/pipeline.ts makes its own release: the
// bench compiles on its own and cannot import test code): an upstream-shaped release whose
// bitcoind is the bitcoind TEST DOUBLE (static C, see test/support/bitcoind-double), served from
// loopback HTTP with SHA256SUMS signed by builder keys made here, plus the cosign and catalog keys
// and a pipeline config pointing at all of it. Nothing leaves 127.0.0.1.

import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmod, copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { createKeyFiles } from '../../src/catalog/index.js';
import { generateSigningKeyPair } from '../../src/security/image-signing/index.js';
import { releaseUrls, parseReleaseVersion, type Implementation } from '../../src/pipeline/index.js';
import {
  makeBuilders,
  pinnedNames,
  signatureFile,
  writeBuilderKeys,
  type BuilderKey,
  type BuilderSet,
  type FileServer,
} from '../../src/pipeline/spec-release-fixture.js';
import { compileBitcoindDouble } from '../support/bitcoind-double-images.js';
import { writeReproducibleTar } from '../support/test-images.js';

const run = promisify(execFile);
export const ARCH = 'x86_64-linux-gnu';

export const sha256Hex = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

export interface ReleaseFiles {
  version: string;
  tarballName: string;
  tarball: Buffer;
  sha256sums: Buffer;
}

/**
 * An upstream-shaped tarball: `bitcoin-<v>/bin/{bitcoind,bitcoin-cli,bitcoin-qt}`, a man page and
 * optional filler (incompressible, for realistic sizes). bitcoind and bitcoin-cli are the double.
 */
export async function makeReleaseTarball(
  dir: string,
  version: string,
  options: { fillerBytes?: number; omit?: 'bitcoind'; bitcoind?: string } = {},
): Promise<ReleaseFiles> {
  const double = options.bitcoind ?? (await compileBitcoindDouble());
  const top = join(dir, `bitcoin-${version}`);
  await mkdir(join(top, 'bin'), { recursive: true });
  await mkdir(join(top, 'share/man/man1'), { recursive: true });
  if (options.omit !== 'bitcoind') await copyFile(double, join(top, 'bin/bitcoind'));
  await copyFile(double, join(top, 'bin/bitcoin-cli'));
  await writeFile(join(top, 'bin/bitcoin-qt'), '#!/bin/sh\necho "not in the image"\n');
  for (const name of ['bitcoind', 'bitcoin-cli', 'bitcoin-qt'])
    await chmod(join(top, 'bin', name), 0o755).catch(() => undefined);
  await writeFile(join(top, 'share/man/man1/bitcoind.1'), '.TH BITCOIND 1\n');
  if (options.fillerBytes) {
    await mkdir(join(top, 'lib'), { recursive: true });
    await writeFile(join(top, 'lib/libbitcoinkernel.so'), randomBytes(options.fillerBytes));
  }
  const tarballName = `bitcoin-${version}-${ARCH}.tar.gz`;
  const path = join(dir, tarballName);
  await writeReproducibleTar(dir, path, { entry: `bitcoin-${version}`, gzip: true });
  const tarball = await readFile(path);
  const others = ['aarch64-linux-gnu', 'arm-linux-gnueabihf', 'riscv64-linux-gnu'].map(
    (arch) => `${sha256Hex(randomBytes(32))}  bitcoin-${version}-${arch}.tar.gz`,
  );
  const sha256sums = Buffer.from(
    [...others, `${sha256Hex(tarball)}  ${tarballName}`].sort().join('\n') + '\n',
  );
  return { version, tarballName, tarball, sha256sums };
}

/** Serves a release on `server` under upstream's layout below `/bin/`; any file may be replaced or left out (null). */
export function serveRelease(
  server: FileServer,
  implementation: Implementation,
  release: ReleaseFiles,
  asc: string,
  overrides: Partial<
    Record<'tarball' | 'sums' | 'asc', Buffer | string | { body: Buffer; sendBytes: number } | null>
  > = {},
): void {
  const urls = releaseUrls(`${server.url}bin/`, parseReleaseVersion(implementation, release.version), ARCH);
  const path = (url: string) => new URL(url).pathname;
  const put = (url: string, key: 'tarball' | 'sums' | 'asc', fallback: Buffer | string) => {
    const value = key in overrides ? overrides[key] : fallback;
    if (value === null || value === undefined) server.routes.delete(path(url));
    else server.routes.set(path(url), value);
  };
  put(urls.tarball, 'tarball', release.tarball);
  put(urls.sha256sums, 'sums', release.sha256sums);
  put(urls.signatures, 'asc', asc);
}

export interface PipelineKeys {
  builders: BuilderSet;
  builderKeysDir: string;
  signingKey: string;
  signingPublicKey: string;
  catalogKey: string;
}

/** Builder keys (pinned: alice…frank, see spec-release-fixture), a cosign pair and a catalog key, under `dir`. */
export async function makePipelineKeys(dir: string): Promise<PipelineKeys> {
  const builders = await makeBuilders();
  const builderKeysDir = await writeBuilderKeys(
    join(dir, 'builder-keys'),
    pinnedNames.map((name) => builders[name]),
  );
  const cosign = await generateSigningKeyPair(join(dir, 'cosign'));
  const catalog = await createKeyFiles(join(dir, 'catalog-keys'), 'catalog');
  return {
    builders,
    builderKeysDir,
    signingKey: cosign.privateKeyPath,
    signingPublicKey: cosign.publicKeyPath,
    catalogKey: catalog.privateKeyPath,
  };
}

/** The good signatures: three pinned builders, as upstream's SHA256SUMS.asc concatenates them. */
export const signWith = (data: Buffer, keys: BuilderKey[]): Promise<string> => signatureFile(data, keys);

/** Writes a pipeline config file; returns its path. */
export async function writePipelineConfig(
  file: string,
  fields: {
    sources: string[];
    registry: string;
    keys: PipelineKeys;
    catalog: string;
    threshold?: number;
    curatedSet?: Record<string, unknown>;
  },
): Promise<string> {
  await writeFile(
    file,
    stringify({
      sources: fields.sources,
      builderKeys: fields.keys.builderKeysDir,
      threshold: fields.threshold ?? 3,
      registry: fields.registry,
      arch: ARCH,
      signingKey: fields.keys.signingKey,
      catalog: fields.catalog,
      catalogKey: fields.keys.catalogKey,
      ...(fields.curatedSet ? { curatedSet: fields.curatedSet } : {}),
    }),
  );
  return file;
}

/**
 * A glibc-dynamic executable (libc, libm, libpthread), as official release binaries are, that
 * prints `glibc-dynamic ok` — to show the image's base runs such binaries.
 */
export async function compileDynamicProgram(dir: string): Promise<string> {
  const source = join(dir, 'dynamic.c');
  await writeFile(
    source,
    [
      '#include <math.h>',
      '#include <pthread.h>',
      '#include <stdio.h>',
      'static void *work(void *arg) { return arg; }',
      'int main(int argc, char **argv) {',
      '  pthread_t thread;',
      '  (void)argv;',
      '  if (pthread_create(&thread, 0, work, 0) != 0) return 1;',
      '  pthread_join(thread, 0);',
      '  printf("glibc-dynamic ok %.0f\\n", sqrt(16.0 * argc));',
      '  return 0;',
      '}',
      '',
    ].join('\n'),
  );
  const binary = join(dir, 'dynamic');
  await run('gcc', ['-O2', '-o', binary, source, '-lm', '-lpthread']);
  return binary;
}
