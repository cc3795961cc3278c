// Issue 11's benchmarks, each against the raw tool in the same run:
//
//  1. install from a kept, verified release to healthy — the daemon re-checks the kept tarball
//     (SHA-256, builder signatures), builds the image (rootfs, SBOM, podman import), creates the
//     network and container and waits for the node's first healthy answer — against raw
//     `podman import` of the same rootfs + `podman run`, polled until bitcoin-cli answers.
//  2. the release download through the daemon (its own log line: bytes and milliseconds of the
//     tarball transfer) against `curl -o` of the same file from the same local server, unpaced
//     and paced to a home link's speed.
//
// The release is made here (release-fixture.ts): the bitcoind test double plus incompressible
// filler, signed by builder keys made here, served on 127.0.0.1; the catalog is signed by keys
// made here. Needs core built (npm run build). Nothing leaves loopback.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import {
  ARCH,
  compileBitcoindDouble,
  makeBuilders,
  makeRelease,
  serveFiles,
  sha256Hex,
} from './release-fixture.js';
import { BENCH_LABEL, REPO, freePort, median, now, removeDataDir, sh, startBenchDaemon } from './support.js';

const run = promisify(execFile);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
// Sizes like Bitcoin Core 28–31's x86_64 release: bitcoind ~12 MiB, bitcoin-cli ~1.5 MiB (here
// 2), the rest of the ~45–55 MiB tarball (bitcoin-qt, test_bitcoin, …) never enters the image.
const FILLER_MB = Number(process.env.BENCH_RELEASE_MB ?? 32);
const BITCOIND_MIB = 12;
const CLI_MIB = 2;
/** A fast home link (≈ 400 Mbit/s) for the paced download comparison. */
const PACED_MBPS = Number(process.env.BENCH_PACE_MIBPS ?? 50);
const VERSION = '31.1';
const REPOSITORY = 'localhost/archy-bench/bitcoin-core';

// Typed here: bench/ compiles on its own and loads core's build at run time.
interface CatalogModule {
  generateSigningKey(): { publicKey: unknown };
  createRoot(definition: object, keys: unknown[]): unknown;
  emptyCatalog(): { apps: Record<string, unknown> };
  addVersion(
    catalog: unknown,
    appId: string,
    entry: object,
    options?: object,
  ): { apps: Record<string, unknown> };
  signCatalog(catalog: unknown, keys: unknown[], options: object): unknown;
  expiresIn(now: Date, days: number): Date;
}
interface RootfsModule {
  buildRootfs(options: { workDir: string; tarballPath: string; tarballName: string; arch: string }): Promise<{
    rootDir: string;
    userDir: string;
  }>;
  writeRootfsTar(layout: { rootDir: string; userDir: string }, tarball: string): Promise<void>;
}
const load = async <T>(path: string): Promise<T> =>
  (await import(pathToFileURL(join(REPO, 'core/dist', path)).href)) as T;

/** The repo's Bitcoin Core manifest, made quick for regtest, its image in the bench's repository. */
function manifest(rpcPort: number, p2pPort: number): string {
  return [
    'id: bitcoin-core',
    'name: Bitcoin Core',
    `version: "${VERSION}"`,
    `image: ${REPOSITORY}:${VERSION}`,
    'command: ["bitcoind", "-datadir=/data", "-printtoconsole=1", "-server=1", "-regtest", "-rpcbind=0.0.0.0", "-rpcallowip=10.0.0.0/8"]',
    'ports:',
    `  - { container: 18444, host: ${p2pPort}, expose: local }`,
    `  - { container: 18443, host: ${rpcPort}, expose: local }`,
    'volumes:',
    '  - { mount: /data, name: bitcoin }',
    'resources: { memory: 256M }',
    'security: { user: "1000:1000", tmpfs: [/tmp] }',
    'health:',
    '  exec: { command: [bitcoin-cli, -regtest, -datadir=/data, getblockchaininfo] }',
    '  interval: 1s',
    '  timeout: 5s',
    '  startPeriod: 3s',
    '  retries: 2',
    'stopTimeout: 10s',
    'bitcoin: { implementation: core, network: regtest, rpcPort: 18443, p2pPort: 18444, datadir: /data }',
    '',
  ].join('\n');
}

/** Raw Podman: import the same rootfs, run it the way the daemon does, wait for bitcoin-cli to answer. */
async function rawImportAndRun(rootfsTar: string, work: string, round: number): Promise<number> {
  const name = `archy-bench-release-${process.pid}-${round}`;
  const tag = `localhost/archy-bench/raw-bitcoin-core:${round}`;
  const data = join(work, `raw-data-${round}`);
  await mkdir(data, { recursive: true });
  const started = now();
  await sh('podman', [
    'import',
    '-q',
    '--change',
    'USER 1000:1000',
    '--change',
    'ENTRYPOINT ["/usr/local/bin/archy-entrypoint"]',
    rootfsTar,
    tag,
  ]);
  await sh('podman', ['network', 'create', '--opt', 'isolate=true', '--label', BENCH_LABEL, name]);
  await sh('podman', [
    'run',
    '-d',
    '--name',
    name,
    '--label',
    BENCH_LABEL,
    '--network',
    name,
    '--init',
    '--user',
    '1000:1000',
    '-v',
    `${data}:/data:U`,
    tag,
    'bitcoind',
    '-datadir=/data',
    '-printtoconsole=1',
    '-server=1',
    '-regtest',
  ]);
  for (;;) {
    try {
      await sh('podman', ['exec', name, 'bitcoin-cli', '-regtest', '-datadir=/data', 'getblockchaininfo']);
      break;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  const elapsed = now() - started;
  await sh('podman', ['rm', '-f', '-t', '0', name]);
  await sh('podman', ['network', 'rm', name]);
  await sh('podman', ['rmi', tag]);
  await sh('podman', ['unshare', 'rm', '-rf', data]);
  return elapsed;
}

/** The daemon's own account of its last tarball transfer (the provisioner's log line). */
async function lastDownload(logFile: string): Promise<{ bytes: number; ms: number }> {
  const lines = (await readFile(logFile, 'utf8')).split('\n').filter((line) => line.includes('"downloadMs"'));
  const last = JSON.parse(lines.at(-1)!) as { downloadBytes: number; downloadMs: number };
  return { bytes: last.downloadBytes, ms: last.downloadMs };
}

async function curlDownload(url: string, work: string): Promise<number> {
  const out = join(work, 'curl.out');
  const started = now();
  await run('curl', ['-fsS', '-o', out, url]);
  const elapsed = now() - started;
  await rm(out);
  return elapsed;
}

async function main(): Promise<void> {
  const catalogModule = await load<CatalogModule>('catalog/index.js');
  const rootfs = await load<RootfsModule>('pipeline/image-rootfs.js');
  const work = await mkdtemp(join(tmpdir(), 'archy-bench-release-'));
  const server = await serveFiles();
  let daemon: Awaited<ReturnType<typeof startBenchDaemon>> | undefined;
  try {
    const builders = await makeBuilders(['alice', 'bob', 'carol']);
    const double = await compileBitcoindDouble(join(work, 'double'), VERSION);
    const release = await makeRelease(join(work, 'release'), VERSION, double, builders, FILLER_MB, {
      bitcoindMib: BITCOIND_MIB,
      cliMib: CLI_MIB,
    });
    for (const [path, body] of release.files) server.routes.set(path, body);
    for (const builder of builders)
      server.routes.set(`/keys/${builder.fingerprint}`, Buffer.from(builder.armoredPublicKey));
    const tarballUrl = `${server.url}bin/bitcoin-core-${VERSION}/${release.tarballName}`;

    // A catalog of our own: bitcoin-core VERSION from its release on the local server.
    const key = catalogModule.generateSigningKey();
    const at = new Date();
    const root = catalogModule.createRoot(
      {
        rootKeys: [key.publicKey],
        rootThreshold: 1,
        catalogKeys: [key.publicKey],
        catalogThreshold: 1,
        expires: catalogModule.expiresIn(at, 30),
      },
      [key],
    );
    const catalog = catalogModule.addVersion(catalogModule.emptyCatalog(), 'bitcoin-core', {
      version: VERSION,
      image: `${REPOSITORY}:${VERSION}`,
      release: { files: { [ARCH]: { name: release.tarballName, sha256: sha256Hex(release.tarball) } } },
    });
    (catalog.apps['bitcoin-core'] as Record<string, unknown>).release = {
      implementation: 'core',
      sources: [`${server.url}bin/`],
      keySources: [`${server.url}keys/{fingerprint}`],
      builders: builders.map(({ name, fingerprint }) => ({ name, fingerprint })),
      threshold: 3,
    };
    const catalogDir = join(work, 'catalog');
    await mkdir(catalogDir);
    await writeFile(join(catalogDir, 'root.json'), JSON.stringify(root));
    await writeFile(
      join(catalogDir, 'catalog.json'),
      JSON.stringify(catalogModule.signCatalog(catalog, [key], { now: at })),
    );
    const appsDir = join(work, 'apps');
    await mkdir(join(appsDir, 'bitcoin-core'), { recursive: true });
    await writeFile(
      join(appsDir, 'bitcoin-core', 'manifest.yml'),
      manifest(await freePort(), await freePort()),
    );

    const logFile = join(work, 'daemon.log');
    daemon = await startBenchDaemon({
      logFile,
      env: {
        ARCHY_CATALOG_DIR: catalogDir,
        ARCHY_APPS_DIR: appsDir,
        ARCHY_UNSIGNED_REGISTRIES: '',
        ARCHY_LOG_LEVEL: process.env.ARCHY_LOG_LEVEL ?? 'info',
      },
    });

    // 2. Downloads: the daemon's transfer of the tarball vs curl, unpaced and paced; each daemon
    // round is a fresh install with no kept release (its data dir's releases/ is emptied).
    const downloads: Record<'loopback' | 'paced', { ours: number[]; curl: number[] }> = {
      loopback: { ours: [], curl: [] },
      paced: { ours: [], curl: [] },
    };
    for (const mode of ['loopback', 'paced'] as const) {
      server.pace.bytesPerSecond = mode === 'paced' ? PACED_MBPS * 2 ** 20 : 0;
      for (let round = 0; round < Math.max(2, Math.ceil(ROUNDS / 2)); round += 1) {
        await rm(join(daemon.dataDir, 'releases', 'core'), { recursive: true, force: true });
        await rm(join(daemon.dataDir, 'images'), { recursive: true, force: true });
        await sh('podman', ['rmi', '--ignore', `${REPOSITORY}:${VERSION}`]);
        await daemon.cli(['install', 'bitcoin-core']);
        downloads[mode].ours.push((await lastDownload(logFile)).ms);
        await daemon.cli(['remove', 'bitcoin-core', '--purge', '--yes']);
        downloads[mode].curl.push(await curlDownload(tarballUrl, work));
      }
    }
    server.pace.bytesPerSecond = 0;

    // 1. Install from the kept release (image removed each round, so it is built again) vs raw.
    const layout = await rootfs.buildRootfs({
      workDir: join(work, 'rootfs'),
      tarballPath: release.tarballPath,
      tarballName: release.tarballName,
      arch: ARCH,
    });
    const rootfsTar = join(work, 'rootfs.tar');
    await rootfs.writeRootfsTar(layout, rootfsTar);
    const ours: number[] = [];
    const raw: number[] = [];
    const oursKept: number[] = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      const oursRound = async () => {
        await sh('podman', ['rmi', '--ignore', `${REPOSITORY}:${VERSION}`]);
        await rm(join(daemon!.dataDir, 'images'), { recursive: true, force: true });
        const started = now();
        await daemon!.cli(['install', 'bitcoin-core']);
        ours.push(now() - started);
        await daemon!.cli(['remove', 'bitcoin-core', '--purge', '--yes']);
        // The same install with the image kept: what the daemon adds besides building.
        const again = now();
        await daemon!.cli(['install', 'bitcoin-core']);
        oursKept.push(now() - again);
        await daemon!.cli(['remove', 'bitcoin-core', '--purge', '--yes']);
      };
      const rawRound = async () => raw.push(await rawImportAndRun(rootfsTar, work, round));
      // Alternate who goes first so neither always gets the warmer caches.
      if (round % 2 === 0) {
        await oursRound();
        await rawRound();
      } else {
        await rawRound();
        await oursRound();
      }
    }

    const mb = release.tarball.length / 2 ** 20;
    const rate = (ms: number) => `${(mb / (ms / 1000)).toFixed(0)} MiB/s`;
    console.log(
      `release tarball ${mb.toFixed(1)} MiB (bitcoind ${BITCOIND_MIB} MiB and bitcoin-cli ${CLI_MIB} MiB: the test double, padded; ${FILLER_MB} MiB of other files); medians of ${ROUNDS} rounds`,
    );
    console.log(
      'install from the kept verified release → healthy, vs raw podman import + run of the same rootfs:',
    );
    console.log(
      `  ours ${median(ours).toFixed(0)} ms, raw ${median(raw).toFixed(0)} ms, ratio ${(median(ours) / median(raw)).toFixed(2)}× (target ≤ 1.2)`,
    );
    console.log(`  (ours with the image kept, nothing to build: ${median(oursKept).toFixed(0)} ms)`);
    for (const mode of ['loopback', 'paced'] as const) {
      const { ours: o, curl: c } = downloads[mode];
      const label = mode === 'paced' ? `paced to ${PACED_MBPS} MiB/s` : 'loopback, unpaced';
      console.log(
        `download through the daemon vs curl (${label}): ours ${rate(median(o))}, curl ${rate(median(c))}, ` +
          `throughput ratio ${(median(c) / median(o)).toFixed(2)}× (target ≥ 0.9)`,
      );
    }
  } finally {
    if (daemon) {
      await daemon.cli(['remove', 'bitcoin-core', '--purge', '--yes']).catch(() => '');
      await daemon.stop();
    }
    await server.close();
    await sh('podman', ['rmi', '--ignore', `${REPOSITORY}:${VERSION}`]).catch(() => '');
    if (process.env.BENCH_KEEP_LOG)
      await sh('cp', [join(work, 'daemon.log'), process.env.BENCH_KEEP_LOG]).catch(() => '');
    await rm(work, { recursive: true, force: true }).catch(() =>
      sh('podman', ['unshare', 'rm', '-rf', work]),
    );
    if (daemon) await removeDataDir(daemon.dataDir);
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
