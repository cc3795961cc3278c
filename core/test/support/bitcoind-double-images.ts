// Builds the bitcoind TEST DOUBLE (bitcoind-double/, a static C program imitating Bitcoin Core and
// Knots where Archipelago depends on them) and publishes one image per version of the tests' own
// catalog (test-releases.json) to the test registry, under the test namespace only:
// 127.0.0.1:5000/archy-test/bitcoin-core:<version> and .../bitcoin-knots:<version>. Never under a
// production name: a node sharing this container storage must not run the double as Bitcoin Core.
//
// One binary serves every version; each image says which version it is in
// /etc/bitcoind-double/version. The downgrade refusals are compiled from VERSION_CHANGE_RULES, so
// the double refuses what our rules table says bitcoind refuses. Everything is content-addressed:
// the binary is compiled once per source/table/compiler, and an image whose content label matches
// is neither rebuilt nor pushed again.

import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  VERSION_CHANGE_RULES,
  type VersionChangeRule,
  type XorKeyState,
} from '../../src/bitcoin/downgrade-rules.js';
import type { BitcoinImplementation } from '../../src/bitcoin/version.js';
import { testReleaseImage, testReleases } from './test-catalog.js';
import { CONTENT_LABEL, pushIfMissing, writeReproducibleTar } from './test-images.js';
import { podman } from './podman-cli.js';

const run = promisify(execFile);

export const BITCOIND_DOUBLE_SOURCE_DIR = fileURLToPath(new URL('./bitcoind-double/', import.meta.url));
const SOURCE = join(BITCOIND_DOUBLE_SOURCE_DIR, 'bitcoind-double.c');
/** Compiled binaries, one folder per content hash; shared by test runs of the same user. */
const BINARY_CACHE = join(tmpdir(), 'archy-bitcoind-double');
export const TEST_DOUBLE_LABEL = 'test.archipelago.test-double';
/** The unprivileged user the image runs as (the manifests ask for 1000:1000 too). */
export const BITCOIND_DOUBLE_UID = 1000;
const BUSYBOX_APPLETS = ['sh', 'cat', 'ls', 'sleep', 'kill', 'ps'];

export interface BitcoindDoubleVersion {
  implementation: BitcoinImplementation;
  /** As in the catalog and the tag: `28.4`, `29.3.knots20260508`. */
  version: string;
  image: string;
}

const REPOSITORIES: Record<BitcoinImplementation, string> = {
  core: 'bitcoin-core',
  knots: 'bitcoin-knots',
};

/** The image of the double for one version, e.g. 127.0.0.1:5000/archy-test/bitcoin-core:28.4. */
export function bitcoindDoubleImage(implementation: BitcoinImplementation, version: string): string {
  return testReleaseImage(REPOSITORIES[implementation], version);
}

/** Every Core and Knots version of the tests' catalog (test-releases.json): one image of the double each. */
export function bitcoindDoubleVersions(): BitcoindDoubleVersion[] {
  const releases = testReleases();
  return (Object.keys(REPOSITORIES) as BitcoinImplementation[]).flatMap((implementation) =>
    (releases.apps[REPOSITORIES[implementation]]?.versions ?? []).map(({ version }) => ({
      implementation,
      version,
      image: bitcoindDoubleImage(implementation, version),
    })),
  );
}

// ---------------------------------------------------------------------------------------------
// The rules table, as C

const C_DIRECTION = { upgrade: 'DIR_UPGRADE', same: 'DIR_SAME', downgrade: 'DIR_DOWNGRADE' } as const;
const C_EFFECT = {
  safe: 'EFFECT_SAFE',
  'needs-reindex-chainstate': 'EFFECT_REINDEX_CHAINSTATE',
  'needs-reindex': 'EFFECT_REINDEX',
  refused: 'EFFECT_REFUSED',
} as const;
const C_BASIS = {
  observed: 'BASIS_OBSERVED',
  documented: 'BASIS_DOCUMENTED',
  assumption: 'BASIS_ASSUMPTION',
};
const C_XOR: Record<XorKeyState, string> = {
  absent: 'XOR_ABSENT',
  zero: 'XOR_ZERO',
  'non-zero': 'XOR_NONZERO',
  unreadable: 'XOR_UNREADABLE',
};

/** rules.generated.h: VERSION_CHANGE_RULES as the C table bitcoind-double.c evaluates. */
export function rulesHeader(rules: readonly VersionChangeRule[] = VERSION_CHANGE_RULES): string {
  const flag = (value: boolean | undefined): string => (value === undefined ? 'ANY' : value ? '1' : '0');
  const rows = rules.map((rule) => {
    const { when } = rule;
    if (!/^[a-z0-9.-]+$/.test(rule.id)) throw new Error(`rule id ${rule.id} cannot be written into C`);
    const from = when.fromAtLeast ? `${when.fromAtLeast[0]}, ${when.fromAtLeast[1]}` : 'ANY, ANY';
    const to = when.toBelow ? `${when.toBelow[0]}, ${when.toBelow[1]}` : 'ANY, ANY';
    const xor = when.xorKey?.length ? when.xorKey.map((state) => C_XOR[state]).join(' | ') : '0';
    return (
      `    {"${rule.id}", ${C_DIRECTION[when.direction]}, ${from}, ${to}, ${xor}, ` +
      `${flag(when.seriesChange)}, ${flag(when.coinstatsIndex)}, ${C_EFFECT[rule.effect]}, ${C_BASIS[rule.basis]}},`
    );
  });
  return [
    '/* Generated by core/test/support/bitcoind-double-images.ts from VERSION_CHANGE_RULES',
    ' * (core/src/bitcoin/downgrade-rules.ts). Do not edit. */',
    'static const struct rule RULES[] = {',
    ...rows,
    '};',
    '',
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// Compiling

const sha256 = (...parts: (string | Buffer)[]): string => {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest('hex');
};

/**
 * Compiles the double statically (gcc -static -O2; glibc's static libc is enough: it resolves no
 * names) and returns the binary's path. Cached by the hash of source, rules table and compiler.
 */
export function compileBitcoindDouble(options: { defaultVersion?: string } = {}): Promise<string> {
  // The global setup's image builders all want the plain binary at once: compile it once.
  if (options.defaultVersion !== undefined) return compile(options);
  plainBinary ??= compile(options);
  return plainBinary;
}
let plainBinary: Promise<string> | undefined;

async function compile(options: { defaultVersion?: string }): Promise<string> {
  const source = readFileSync(SOURCE);
  // A double inside an image built from a release tarball (as a node builds Bitcoin Core) has no
  // /etc/bitcoind-double/version: it claims the version compiled into it, as a real bitcoind does.
  if (options.defaultVersion !== undefined && !/^[0-9A-Za-z.]+$/.test(options.defaultVersion))
    throw new Error(`'${options.defaultVersion}' is not a version the double can be compiled to claim`);
  const define =
    options.defaultVersion === undefined
      ? []
      : [`-DBITCOIND_DOUBLE_DEFAULT_VERSION="${options.defaultVersion}"`];
  const header = rulesHeader();
  let compiler: string;
  try {
    compiler = (await run('gcc', ['--version'])).stdout;
  } catch {
    throw new Error(
      'gcc is needed to build the bitcoind test double (a static C binary); install gcc and libc6-dev ' +
        '(scripts/host-setup.sh --test does)',
    );
  }
  const hash = sha256(source, header, compiler, define.join(' ')).slice(0, 24);
  const dir = join(BINARY_CACHE, hash);
  const binary = join(dir, 'bitcoind');
  if (existsSync(binary)) return binary;

  mkdirSync(BINARY_CACHE, { recursive: true, mode: 0o700 });
  const work = mkdtempSync(join(BINARY_CACHE, 'build-'));
  try {
    copyFileSync(SOURCE, join(work, 'bitcoind-double.c'));
    writeFileSync(join(work, 'rules.generated.h'), header);
    try {
      await run(
        'gcc',
        ['-static', '-O2', '-std=gnu11', '-Wall', ...define, '-o', 'bitcoind', 'bitcoind-double.c'],
        {
          cwd: work,
          maxBuffer: 8 * 1024 * 1024,
        },
      );
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      throw new Error(`compiling the bitcoind test double failed:\n${e.stderr ?? e.message}`, { cause: err });
    }
    mkdirSync(dir, { recursive: true });
    // Concurrent runs may compile the same hash: the rename makes whichever lands last win whole.
    renameSync(join(work, 'bitcoind'), binary);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return binary;
}

// ---------------------------------------------------------------------------------------------
// Images

/**
 * Builds and pushes one image of the double per Core/Knots version in test-releases.json.
 * Returns the image references.
 */
export async function buildAndPushBitcoindDoubles(workDir: string): Promise<string[]> {
  const binary = await compileBitcoindDouble();
  const binaryHash = sha256(readFileSync(binary));
  const busyboxHash = sha256(readFileSync('/bin/busybox'));
  const versions = bitcoindDoubleVersions();
  await Promise.all(
    versions.map(async (entry) => {
      const content = sha256(
        binaryHash,
        busyboxHash,
        JSON.stringify([entry, BUSYBOX_APPLETS, imageChanges(entry, ''), 'zmq-sub']),
      ).slice(0, 32);
      const current = await podman([
        'image',
        'inspect',
        '--format',
        `{{index .Labels "${CONTENT_LABEL}"}}`,
        entry.image,
      ]).catch(() => '');
      if (current.trim() !== content) await buildImage(entry, binary, content, workDir);
      await pushIfMissing(entry.image);
    }),
  );
  return versions.map((entry) => entry.image);
}

function imageChanges(entry: BitcoindDoubleVersion, content: string): string[] {
  const name = entry.implementation === 'core' ? 'Bitcoin Core' : 'Bitcoin Knots';
  const labels: Record<string, string> = {
    'org.opencontainers.image.version': entry.version,
    'org.opencontainers.image.title': `bitcoind-double: a test double of ${name} (not Bitcoin)`,
    [TEST_DOUBLE_LABEL]: 'bitcoind',
    ...(content && { [CONTENT_LABEL]: content }),
  };
  return [
    `USER ${BITCOIND_DOUBLE_UID}:${BITCOIND_DOUBLE_UID}`,
    'ENV PATH=/usr/local/bin:/usr/bin:/bin',
    'ENV HOME=/home/bitcoin',
    'WORKDIR /home/bitcoin',
    'STOPSIGNAL SIGTERM',
    'CMD ["bitcoind"]',
    ...Object.entries(labels).map(([key, value]) => `LABEL ${key}=${JSON.stringify(value)}`),
  ];
}

async function buildImage(
  entry: BitcoindDoubleVersion,
  binary: string,
  content: string,
  workDir: string,
): Promise<void> {
  const dir = mkdtempSync(join(workDir, 'bitcoind-double-'));
  try {
    const rootfs = join(dir, 'rootfs');
    for (const sub of ['bin', 'usr/local/bin', 'etc/bitcoind-double', 'tmp', 'data', 'home/bitcoin'])
      mkdirSync(join(rootfs, sub), { recursive: true });
    // World-writable (sticky) rather than owned by 1000: the tarball has one owner, and the data
    // volume is mounted over /data with :U anyway.
    for (const sub of ['tmp', 'data', 'home/bitcoin']) chmodSync(join(rootfs, sub), 0o1777);
    copyFileSync(binary, join(rootfs, 'usr/local/bin/bitcoind'));
    chmodSync(join(rootfs, 'usr/local/bin/bitcoind'), 0o755);
    symlinkSync('bitcoind', join(rootfs, 'usr/local/bin/bitcoin-cli'));
    symlinkSync('bitcoind', join(rootfs, 'usr/local/bin/zmq-sub'));
    copyFileSync('/bin/busybox', join(rootfs, 'bin/busybox'));
    chmodSync(join(rootfs, 'bin/busybox'), 0o755);
    for (const applet of BUSYBOX_APPLETS) symlinkSync('busybox', join(rootfs, 'bin', applet));
    writeFileSync(join(rootfs, 'etc/bitcoind-double/version'), `${entry.version}\n`);
    writeFileSync(
      join(rootfs, 'etc/passwd'),
      `root:x:0:0:root:/root:/bin/sh\nbitcoin:x:${BITCOIND_DOUBLE_UID}:${BITCOIND_DOUBLE_UID}:bitcoin:/home/bitcoin:/bin/sh\n`,
    );
    writeFileSync(join(rootfs, 'etc/group'), `root:x:0:\nbitcoin:x:${BITCOIND_DOUBLE_UID}:\n`);
    const tarball = join(dir, 'rootfs.tar');
    await writeReproducibleTar(rootfs, tarball);
    const changes = imageChanges(entry, content).flatMap((change) => ['--change', change]);
    await podman(['import', '--quiet', ...changes, tarball, entry.image]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
