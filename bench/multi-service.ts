// Issue 15's benchmark: install of a 3-service app through archy vs the same by hand with Podman
// (its two networks, then the three `podman run`s in dependsOn order) in the same run, to the main
// service answering; and the daemon's idle RSS with 10 three-service apps vs 10 single-container
// apps (each figure from a fresh daemon). The three services are the bench's hello image.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  BENCH_LABEL,
  HELLO_IMAGE,
  freePort,
  helloManifest,
  median,
  now,
  removeDataDir,
  rssKiB,
  sh,
  ensureImage,
  startBenchDaemon,
  waitHttp200,
} from './support.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const APPS = 10;
const SERVICES = ['db', 'backend', 'frontend'] as const; // start order (each depends on the one before)
const HTTPD = ['/bin/sh', '-c', 'exec httpd -f -p 8080 -h /www'];

/** The 3-service app: frontend (main, published) → backend → db, all the hello image. */
function stackManifest(id: string, hostPort: number): string {
  return [
    `id: ${id}`,
    `name: ${id}`,
    'version: "1.0.0"',
    'main: frontend',
    'services:',
    '  frontend:',
    `    image: ${HELLO_IMAGE}`,
    `    command: ${JSON.stringify(HTTPD)}`,
    `    ports: [{ container: 8080, host: ${hostPort} }]`,
    '    dependsOn: [backend]',
    '    stopTimeout: 2s',
    '  backend:',
    `    image: ${HELLO_IMAGE}`,
    `    command: ${JSON.stringify(HTTPD)}`,
    '    dependsOn: [db]',
    '    stopTimeout: 2s',
    '  db:',
    `    image: ${HELLO_IMAGE}`,
    `    command: ${JSON.stringify(HTTPD)}`,
    '    volumes: [{ mount: /data }]',
    '    stopTimeout: 2s',
    '',
  ].join('\n');
}

async function rawPodmanInstall(index: number): Promise<number> {
  const name = `archy-bench-raw-${process.pid}-${index}`;
  const port = await freePort();
  const started = now();
  // What archy does, by hand: the app's network and its services network, then each service.
  await sh('podman', ['network', 'create', '--opt', 'isolate=true', '--label', BENCH_LABEL, name]);
  await sh('podman', [
    'network',
    'create',
    '--opt',
    'isolate=true',
    '--label',
    BENCH_LABEL,
    `${name}_services`,
  ]);
  for (const service of SERVICES) {
    const main = service === 'frontend';
    await sh('podman', [
      'run',
      '-d',
      '--name',
      main ? name : `${name}_${service}`,
      '--label',
      BENCH_LABEL,
      ...(main ? ['--network', `${name}:alias=${name}`] : []),
      '--network',
      `${name}_services:alias=${service}`,
      '--init',
      ...(main ? ['-p', `${port}:8080`] : []),
      HELLO_IMAGE,
      ...HTTPD,
    ]);
  }
  await waitHttp200(`http://127.0.0.1:${port}/`);
  const elapsed = now() - started;
  await sh('podman', ['rm', '-f', '-t', '0', name, `${name}_backend`, `${name}_db`]);
  await sh('podman', ['network', 'rm', name, `${name}_services`]);
  return elapsed;
}

/** A fresh daemon with `APPS` apps of one kind installed, idle for 10 s: its RSS in KiB. */
async function idleRss(kind: 'single' | 'multi'): Promise<number> {
  const daemon = await startBenchDaemon();
  try {
    for (let i = 0; i < APPS; i += 1) {
      const id = `${kind}-${i}`;
      const file = join(daemon.dataDir, `${id}.yml`);
      const port = await freePort();
      writeFileSync(file, kind === 'multi' ? stackManifest(id, port) : helloManifest(id, port));
      await daemon.cli(['install', file, '--json']);
    }
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    return rssKiB(daemon.process.pid!);
  } finally {
    for (let i = 0; i < APPS; i += 1)
      await daemon.cli(['remove', `${kind}-${i}`, '--purge', '--yes']).catch(() => '');
    await daemon.stop();
    await removeDataDir(daemon.dataDir).catch(() => undefined);
  }
}

async function main(): Promise<void> {
  await ensureImage();
  const daemon = await startBenchDaemon();
  const raw: number[] = [];
  const archy: number[] = [];
  try {
    // Alternating, so drift hits both equally.
    for (let round = 0; round < ROUNDS; round += 1) {
      raw.push(await rawPodmanInstall(round));
      const id = `stack-${round}`;
      const port = await freePort();
      const file = join(daemon.dataDir, `${id}.yml`);
      writeFileSync(file, stackManifest(id, port));
      const started = now();
      await daemon.cli(['install', file, '--json']);
      await waitHttp200(`http://127.0.0.1:${port}/`);
      archy.push(now() - started);
      await daemon.cli(['remove', id, '--purge', '--yes']);
    }
  } finally {
    await daemon.stop();
    await removeDataDir(daemon.dataDir).catch(() => undefined);
  }
  const singleRss = await idleRss('single');
  const multiRss = await idleRss('multi');
  const leftovers = (await sh('podman', ['ps', '-aq', '--filter', `label=${BENCH_LABEL}`])).trim();
  if (leftovers) await sh('podman', ['rm', '-f', ...leftovers.split('\n')]);

  const ratio = median(archy) / median(raw);
  console.log(
    JSON.stringify(
      {
        rounds: ROUNDS,
        install3ServicesMs: { rawPodmanMedian: median(raw), archyMedian: median(archy), ratio },
        idleRssMiB: { singleContainer10: singleRss / 1024, threeServices10: multiRss / 1024 },
      },
      null,
      2,
    ),
  );
  console.log(
    [
      '',
      `install of a 3-service app → answering: archy ${median(archy).toFixed(0)} ms vs podman ${median(raw).toFixed(0)} ms (median of ${ROUNDS}) → ratio ${ratio.toFixed(2)} (target ≤ 1.15)`,
      `idle daemon RSS: 10 single-container apps ${(singleRss / 1024).toFixed(1)} MiB, 10 three-service apps ${(multiRss / 1024).toFixed(1)} MiB`,
    ].join('\n'),
  );
}

await main();
