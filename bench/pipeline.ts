// Issue 6's end-to-end benchmark: `archy pipeline build`'s steps timed one by one (download,
// verify, build, push, sign, publish) on a release-sized fixture — 40 MB of incompressible data
// plus the bitcoind TEST DOUBLE as bitcoind/bitcoin-cli, SHA256SUMS signed by three builder keys
// made here, served from loopback HTTP (release-fixture.ts) — and, in the same run, the build+push of the same content
// done by hand with raw `podman build` (FROM scratch) and `podman push`. Reports medians and the
// ratio of ours to raw. Needs core built (npm run build) and the registry on 127.0.0.1:5000.
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import {
  ARCH,
  compileBitcoindDouble,
  makeBuilders,
  makeRelease,
  runId,
  serveFiles,
  type Release,
} from './release-fixture.js';
import { REGISTRY, REPO, median, now, sh } from './support.js';

const run = promisify(execFile);
const ROUNDS = Number(process.env.BENCH_PIPELINE_ROUNDS ?? 3);
const FILLER_MB = Number(process.env.BENCH_PIPELINE_MB ?? 40);
const STEPS = ['download', 'verify', 'build', 'push', 'sign', 'publish'] as const;

// Typed here rather than imported: bench/ compiles on its own and loads core's build at run time.
interface StepTiming {
  step: (typeof STEPS)[number];
  ms: number;
}
interface PipelineModule {
  parsePipelineConfig(raw: unknown, baseDir: string): unknown;
  runPipeline(options: {
    implementation: 'core';
    version: string;
    config: unknown;
    workRoot: string;
    onStep: (timing: StepTiming) => void;
  }): Promise<{ digest: string }>;
}
interface RootfsModule {
  buildRootfs(options: {
    workDir: string;
    tarballPath: string;
    tarballName: string;
    arch: string;
  }): Promise<{ rootDir: string; userDir: string }>;
  writeRootfsTar(layout: { rootDir: string; userDir: string }, tarball: string): Promise<void>;
}
interface SigningModule {
  generateSigningKeyPair(dir: string): Promise<{ privateKeyPath: string }>;
}
interface CatalogModule {
  createKeyFiles(dir: string, name: string): Promise<{ privateKeyPath: string }>;
}

const load = async <T>(path: string): Promise<T> =>
  (await import(pathToFileURL(join(REPO, 'core/dist', path)).href)) as T;

type Fixture = Release;

/** Build + push by hand: extract the two binaries, `podman build` FROM scratch on the same base tar, push. */
async function buildAndPushByHand(
  work: string,
  fixture: Fixture,
  baseTar: string,
  reference: string,
): Promise<{ build: number; push: number }> {
  const context = await mkdtemp(join(work, 'raw-'));
  try {
    const started = now();
    await run('tar', [
      '-xzf',
      fixture.tarballPath,
      '-C',
      context,
      '--wildcards',
      '*/bin/bitcoind',
      '*/bin/bitcoin-cli',
    ]);
    const [top] = (await readdir(context)).filter((name) => name.startsWith('bitcoin-'));
    await copyFile(baseTar, join(context, 'base.tar'));
    await writeFile(
      join(context, 'Containerfile'),
      [
        'FROM scratch',
        'ADD base.tar /',
        `COPY ${top}/bin/bitcoind ${top}/bin/bitcoin-cli /usr/local/bin/`,
        'USER 1000:1000',
        'ENV PATH=/usr/local/bin:/usr/bin:/bin',
        'ENTRYPOINT ["/usr/local/bin/archy-entrypoint"]',
        'LABEL org.opencontainers.image.version=bench',
      ].join('\n'),
    );
    await sh('podman', ['build', '--quiet', '-t', reference, context]);
    const built = now();
    await sh('podman', ['push', '--quiet', '--format', 'oci', '--tls-verify=false', reference]);
    return { build: built - started, push: now() - built };
  } finally {
    await sh('podman', ['rmi', '--ignore', reference]).catch(() => '');
    await rm(context, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const pipeline = await load<PipelineModule>('pipeline/index.js');
  const rootfs = await load<RootfsModule>('pipeline/image-rootfs.js');
  const signing = await load<SigningModule>('security/image-signing/index.js');
  const catalog = await load<CatalogModule>('catalog/index.js');
  const work = await mkdtemp(join(tmpdir(), 'archy-bench-pipeline-'));
  const id = runId();
  const server = await serveFiles();
  const routes = server.routes;
  try {
    const source = `${server.url}bin/`;
    const builders = await makeBuilders(['alice', 'bob', 'carol']);
    await mkdir(join(work, 'builder-keys'));
    for (const [i, { armoredPublicKey }] of builders.entries())
      await writeFile(join(work, 'builder-keys', `b${i}.asc`), armoredPublicKey);
    const cosign = await signing.generateSigningKeyPair(join(work, 'cosign'));
    const catalogKey = await catalog.createKeyFiles(join(work, 'catalog-keys'), 'catalog');
    const double = await compileBitcoindDouble(await mkdtemp(join(work, 'double-')));

    const ours: Record<string, number[]> = Object.fromEntries(STEPS.map((step) => [step, []]));
    const oursBuildPush: number[] = [];
    const rawBuild: number[] = [];
    const rawPush: number[] = [];
    const rawBuildPush: number[] = [];
    let tarballBytes = 0;
    for (let round = 0; round < ROUNDS; round += 1) {
      const version = `90.${round}`;
      const releaseDir = await mkdtemp(join(work, 'release-'));
      const fixture = await makeRelease(releaseDir, version, double, builders, FILLER_MB);
      tarballBytes = fixture.files.get(`/bin/bitcoin-core-${version}/${fixture.tarballName}`)!.length;
      for (const [path, body] of fixture.files) routes.set(path, body);

      // The same base the pipeline builds, without the binaries, for the raw build to start from.
      const layout = await rootfs.buildRootfs({
        workDir: await mkdtemp(join(work, 'base-')),
        tarballPath: fixture.tarballPath,
        tarballName: fixture.tarballName,
        arch: ARCH,
      });
      for (const name of ['bitcoind', 'bitcoin-cli']) await rm(join(layout.rootDir, 'usr/local/bin', name));
      const baseTar = join(work, `base-${round}.tar`);
      await rootfs.writeRootfsTar(layout, baseTar);

      // Fresh repositories each round and each contender: no layer is ever already in the registry.
      const config = pipeline.parsePipelineConfig(
        {
          sources: [source],
          builderKeys: join(work, 'builder-keys'),
          threshold: 3,
          registry: `${REGISTRY}/bench-pipeline-${id}-${round}`,
          arch: ARCH,
          signingKey: cosign.privateKeyPath,
          catalog: join(work, `catalog-${round}.json`),
          catalogKey: catalogKey.privateKeyPath,
        },
        work,
      );
      const raw = async () => {
        const result = await buildAndPushByHand(
          work,
          fixture,
          baseTar,
          `${REGISTRY}/bench-raw-${id}-${round}/bitcoin-core:${version}`,
        );
        rawBuild.push(result.build);
        rawPush.push(result.push);
        rawBuildPush.push(result.build + result.push);
      };
      const ourRun = async () => {
        const steps: StepTiming[] = [];
        await pipeline.runPipeline({
          implementation: 'core',
          version,
          config,
          workRoot: work,
          onStep: (t) => steps.push(t),
        });
        for (const { step, ms } of steps) ours[step]!.push(ms);
        oursBuildPush.push(
          steps.filter((s) => s.step === 'build' || s.step === 'push').reduce((a, s) => a + s.ms, 0),
        );
      };
      // Alternate who goes first so neither always gets the warmer cache.
      if (round % 2 === 0) {
        await ourRun();
        await raw();
      } else {
        await raw();
        await ourRun();
      }
      await rm(releaseDir, { recursive: true, force: true });
    }

    const ms = (values: number[]) => `${median(values).toFixed(0)} ms`;
    console.log(
      `pipeline on a ${(tarballBytes / 1024 / 1024).toFixed(1)} MB release tarball (${FILLER_MB} MB incompressible + the bitcoind double), ${ROUNDS} rounds, medians:`,
    );
    for (const step of STEPS) console.log(`  ${step.padEnd(8)} ${ms(ours[step]!).padStart(9)}`);
    const total = STEPS.reduce((sum, step) => sum + median(ours[step]!), 0);
    console.log(`  total    ${total.toFixed(0).padStart(6)} ms`);
    console.log('build+push vs raw podman in the same run (medians):');
    console.log(`  ours: build+push ${ms(oursBuildPush)} (build ${ms(ours.build!)}, push ${ms(ours.push!)})`);
    console.log(
      `  raw:  build+push ${ms(rawBuildPush)} (podman build ${ms(rawBuild)}, podman push ${ms(rawPush)})`,
    );
    console.log(
      `  ratio ours/raw: build+push ${(median(oursBuildPush) / median(rawBuildPush)).toFixed(2)}×, ` +
        `build ${(median(ours.build!) / median(rawBuild)).toFixed(2)}×, push ${(median(ours.push!) / median(rawPush)).toFixed(2)}×`,
    );
  } finally {
    await server.close();
    await rm(work, { recursive: true, force: true }).catch(() =>
      sh('podman', ['unshare', 'rm', '-rf', work]),
    );
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
