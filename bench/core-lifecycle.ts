// Issue 2's benchmark: install→answering through archy vs raw Podman of the same local image
// in the same run; container-list latency and daemon RSS with 20 apps installed.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  BENCH_LABEL,
  HELLO_IMAGE,
  freePort,
  helloManifest,
  median,
  now,
  percentile,
  removeDataDir,
  rssKiB,
  sh,
  ensureImage,
  startBenchDaemon,
  waitHttp200,
} from './support.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const APPS = 20;

async function rawPodmanInstall(index: number): Promise<number> {
  const name = `archy-bench-raw-${process.pid}-${index}`;
  const port = await freePort();
  const started = now();
  // What archy does, by hand: an isolated network, then the container on it with the port.
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
    '-p',
    `${port}:8080`,
    HELLO_IMAGE,
    '/bin/sh',
    '-c',
    'exec httpd -f -p 8080 -h /www',
  ]);
  await waitHttp200(`http://127.0.0.1:${port}/`);
  const elapsed = now() - started;
  await sh('podman', ['rm', '-f', '-t', '0', name]);
  await sh('podman', ['network', 'rm', name]);
  return elapsed;
}

async function main(): Promise<void> {
  await ensureImage();
  const daemon = await startBenchDaemon();
  try {
    // 1. install → answering on its port, alternating so drift hits both equally.
    const raw: number[] = [];
    const archy: number[] = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      raw.push(await rawPodmanInstall(round));
      const id = `bench-${round}`;
      const port = await freePort();
      const file = join(daemon.dataDir, `${id}.yml`);
      writeFileSync(file, helloManifest(id, port));
      const started = now();
      await daemon.cli(['install', file, '--json']);
      await waitHttp200(`http://127.0.0.1:${port}/`);
      archy.push(now() - started);
      await daemon.cli(['remove', id, '--purge', '--yes']);
    }

    // 2. and 3. twenty apps installed, then list latency and idle RSS.
    for (let i = 0; i < APPS; i += 1) {
      const id = `fleet-${i}`;
      const file = join(daemon.dataDir, `${id}.yml`);
      writeFileSync(file, helloManifest(id, await freePort()));
      await daemon.cli(['install', file, '--json']);
    }
    const listTimes: number[] = [];
    for (let i = 0; i < 300; i += 1) {
      const started = now();
      const apps = await daemon.rpc<unknown[]>('container-list');
      listTimes.push(now() - started);
      if (apps.length !== APPS) throw new Error(`expected ${APPS} apps, got ${apps.length}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    const daemonRss = rssKiB(daemon.process.pid!);
    const servicePid = Number((await sh('cat', [join(daemon.dataDir, 'run', 'podman-service.pid')])).trim());
    const serviceRss = rssKiB(servicePid);

    const ratio = median(archy) / median(raw);
    const report = {
      rounds: ROUNDS,
      installToAnsweringMs: { rawPodmanMedian: median(raw), archyMedian: median(archy), ratio },
      containerList20Apps: { p50Ms: percentile(listTimes, 50), p95Ms: percentile(listTimes, 95) },
      idleRss20Apps: { daemonMiB: daemonRss / 1024, podmanServiceMiB: serviceRss / 1024 },
    };
    console.log(JSON.stringify(report, null, 2));
    console.log(
      [
        '',
        `install→answering: archy ${median(archy).toFixed(0)} ms vs podman ${median(raw).toFixed(0)} ms (median of ${ROUNDS}) → ratio ${ratio.toFixed(2)} (target ≤ 1.10)`,
        `container-list with ${APPS} apps: p50 ${percentile(listTimes, 50).toFixed(2)} ms, p95 ${percentile(listTimes, 95).toFixed(2)} ms (target p50 < 5 ms)`,
        `idle RSS with ${APPS} apps: daemon ${(daemonRss / 1024).toFixed(1)} MiB (target < 60 MB); its Podman service ${(serviceRss / 1024).toFixed(1)} MiB`,
      ].join('\n'),
    );
  } finally {
    for (let i = 0; i < APPS; i += 1)
      await daemon.cli(['remove', `fleet-${i}`, '--purge', '--yes']).catch(() => '');
    await daemon.stop();
    await removeDataDir(daemon.dataDir).catch(() => undefined);
    const leftovers = (await sh('podman', ['ps', '-aq', '--filter', `label=${BENCH_LABEL}`])).trim();
    if (leftovers) await sh('podman', ['rm', '-f', ...leftovers.split('\n')]);
  }
}

await main();
