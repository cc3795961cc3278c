// Apps of several containers, end to end against real rootless Podman: a 3-service app whose
// services reach each other by service name on the app's own services network, start in
// dependsOn order, report per service in `status --json`, log per service and merged, restart a
// crashed service, keep their database unreachable from other apps, leave nothing behind when
// removed, and converge all-or-nothing after a SIGKILL of the daemon mid-install and mid-start.
//
// The three services are TEST DOUBLES built from the busybox hello test image, playing the roles
// of a web app's parts honestly over real TCP:
// - "frontend" (main): busybox httpd whose CGI page fetches the backend by its service name;
// - "backend": busybox httpd whose CGI reaches the database by its service name;
// - "db": a busybox `nc -ll` loop that answers every connection with one row.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AppStatus, LogLine } from '../../src/api/contract.js';
import { freePort, helloImage, httpGet, tempDataDir, uniqueAppId, waitFor } from '../support/index.js';
import { podman } from '../support/podman-cli.js';
import { startDaemon, type TestDaemon } from '../support/daemon-harness.js';

/**
 * A service's shell script as a YAML block (`command: [/bin/sh, -c, <script>]`), indented for a
 * service. CGI scripts are written at start: the image is read-only, /tmp is the service's tmpfs.
 */
function shellCommand(lines: string[]): string[] {
  return [
    '    command:',
    '      - /bin/sh',
    '      - -c',
    '      - |',
    ...lines.map((line) => `        ${line}`),
  ];
}
/** A CGI script for busybox httpd; its header ends in CRLF, as HTTP (and Node's parser) wants. */
const cgi = (name: string, body: string): string[] => [
  'mkdir -p /tmp/www/cgi-bin',
  `cat > /tmp/www/cgi-bin/${name} <<'CGI'`,
  '#!/bin/sh',
  "printf 'Content-Type: text/plain\\r\\n\\r\\n'",
  body,
  'CGI',
  `chmod +x /tmp/www/cgi-bin/${name}`,
];

function multiServiceManifest(id: string, hostPort: number, options: { dbCrashes?: boolean } = {}): string {
  const image = helloImage('1.0.0');
  return [
    `id: ${id}`,
    `name: ${id}`,
    'version: "1.0.0"',
    'main: frontend',
    'services:',
    '  frontend:',
    `    image: ${image}`,
    ...shellCommand([
      ...cgi('page', 'wget -q -O - http://backend:8080/cgi-bin/api'),
      "echo 'frontend: serving'",
      'exec httpd -f -p 8080 -h /tmp/www',
    ]),
    `    ports: [{ container: 8080, host: ${hostPort} }]`,
    '    dependsOn: [backend]',
    '    security: { tmpfs: [/tmp] }',
    '    health: { http: { port: 8080, path: /cgi-bin/page }, interval: 1s, startPeriod: 5s }',
    '    stopTimeout: 2s',
    '  backend:',
    `    image: ${image}`,
    ...shellCommand([
      ...cgi('api', 'echo "backend got: $(nc db 7000 </dev/null)"'),
      "echo 'backend: serving'",
      'exec httpd -f -p 8080 -h /tmp/www',
    ]),
    '    dependsOn: [db]',
    '    security: { tmpfs: [/tmp] }',
    '    health: { tcp: { port: 8080 }, interval: 1s }',
    '    stopTimeout: 2s',
    '  db:',
    `    image: ${image}`,
    // The db double: every connection gets one row. With dbCrashes it kills its own PID 1 (an
    // exit Podman reports as a failure) once a marker file in its volume says so.
    ...shellCommand([
      "printf '#!/bin/sh\\necho db row 42\\n' > /tmp/row",
      'chmod +x /tmp/row',
      "echo 'db: listening on 7000'",
      ...(options.dbCrashes
        ? [
            "(while [ ! -e /data/crash ]; do sleep 0.2; done; rm /data/crash; echo 'db: crashing' >&2; kill 1) &",
          ]
        : []),
      'exec nc -ll -p 7000 -e /tmp/row',
    ]),
    '    security: { tmpfs: [/tmp] }',
    '    volumes: [{ mount: /data, name: db }]',
    '    health: { tcp: { port: 7000 }, interval: 1s }',
    '    stopTimeout: 2s',
    '',
  ].join('\n');
}

const started: TestDaemon[] = [];
async function startTestDaemon(dataDir: string, env?: Record<string, string>): Promise<TestDaemon> {
  const daemon = await startDaemon({ dataDir, ...(env && { env }), readyTimeoutMs: 90_000 });
  started.push(daemon);
  return daemon;
}
const appsToRemove: Array<{ daemon: () => TestDaemon; id: string }> = [];
afterEach(async () => {
  for (const { daemon, id } of appsToRemove.splice(0)) {
    await daemon()
      .cli(['remove', id, '--purge', '--yes'])
      .catch(() => undefined);
  }
  for (const daemon of started.splice(0)) await daemon.stop();
});

/** Names of the containers / networks of app `id` that exist now (any state). */
async function containersOf(id: string): Promise<string[]> {
  const out = await podman([
    'ps',
    '-a',
    '--filter',
    `label=io.archipelago.app=${id}`,
    '--format',
    '{{.Names}}',
  ]);
  return out.split('\n').filter(Boolean).sort();
}
async function networksOf(id: string): Promise<string[]> {
  const out = await podman(['network', 'ls', '--filter', `name=^archy-${id}`, '--format', '{{.Name}}']);
  return out.split('\n').filter(Boolean).sort();
}
async function startedAt(container: string): Promise<number> {
  return Date.parse(
    (await podman(['inspect', '--format', '{{.State.StartedAt}}', container]))
      .trim()
      .replace(/ \+0000 UTC$/, 'Z')
      .replace(' ', 'T'),
  );
}

describe('multi-service apps (real rootless Podman)', () => {
  let dir: string;
  beforeAll(() => {
    dir = tempDataDir('multi-service');
  });

  it('starts in dependsOn order, reaches services by name, reports and logs per service, removes everything', async () => {
    const daemon = await startTestDaemon(join(dir, 'lifecycle'));
    const id = uniqueAppId('stack');
    const other = uniqueAppId('stranger');
    appsToRemove.push({ daemon: () => daemon, id }, { daemon: () => daemon, id: other });
    const port = await freePort();
    const file = join(dir, `${id}.yml`);
    writeFileSync(file, multiServiceManifest(id, port));

    const installed = await daemon.cliJson<AppStatus>(['install', file]);
    expect(installed.state, JSON.stringify(installed)).toBe('running');
    expect(await containersOf(id)).toEqual([`archy-${id}`, `archy-${id}_backend`, `archy-${id}_db`]);
    expect(await networksOf(id)).toEqual([`archy-${id}`, `archy-${id}_services`]);

    // Started in order: db, then backend once db was healthy, then frontend.
    const [db, backend, frontend] = await Promise.all(
      [`archy-${id}_db`, `archy-${id}_backend`, `archy-${id}`].map(startedAt),
    );
    expect(db).toBeLessThanOrEqual(backend!);
    expect(backend).toBeLessThanOrEqual(frontend!);

    // The page travels frontend → backend → db, each by service name.
    const page = await waitFor(
      async () => {
        const res = await httpGet(`http://127.0.0.1:${port}/cgi-bin/page`).catch(() => undefined);
        return res?.body.includes('db row 42') ? res.body : undefined;
      },
      { what: 'the page to travel through all three services', timeoutMs: 30_000 },
    );
    expect(page).toContain('backend got: db row 42');

    const status = await waitFor(
      async () => {
        const s = await daemon.cliJson<AppStatus>(['status', id]);
        return s.health === 'healthy' && s.services.every((svc) => svc.health === 'healthy') ? s : undefined;
      },
      { what: 'every service healthy', timeoutMs: 30_000 },
    );
    expect(status.containerName).toBe(`archy-${id}`);
    expect(status.services.map((s) => [s.name, s.main, s.containerName, s.state])).toEqual([
      ['frontend', true, `archy-${id}`, 'running'],
      ['backend', false, `archy-${id}_backend`, 'running'],
      ['db', false, `archy-${id}_db`, 'running'],
    ]);
    expect(status.services[0]!.ports).toEqual([{ container: 8080, host: port, protocol: 'tcp' }]);

    // Logs: one service's, and all merged with their service named.
    const dbLogs = await daemon.cliJson<LogLine[]>(['logs', id, '--service', 'db']);
    expect(dbLogs.map((l) => l.line)).toContain('db: listening on 7000');
    expect(dbLogs.every((l) => l.service === 'db')).toBe(true);
    const all = await daemon.cliJson<LogLine[]>(['logs', id]);
    expect(new Set(all.map((l) => l.service))).toEqual(new Set(['frontend', 'backend', 'db']));
    const text = await daemon.cli(['logs', id]);
    expect(text.stdout).toContain('[db] db: listening on 7000');
    const unknown = await daemon.cli(['logs', id, '--service', 'nope']);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain("has no service 'nope'");

    // Another app's container cannot reach the db: it is on no network the stranger joins.
    writeFileSync(
      join(dir, `${other}.yml`),
      [
        `id: ${other}`,
        `name: ${other}`,
        'version: "1.0.0"',
        `image: ${helloImage('1.0.0')}`,
        'stopTimeout: 2s',
        '',
      ].join('\n'),
    );
    await daemon.cliJson(['install', join(dir, `${other}.yml`)]);
    const probe = (host: string) =>
      podman(
        ['exec', `archy-${other}`, 'sh', '-c', `timeout 3 nc ${host} 7000 </dev/null || echo unreachable`],
        {
          timeoutMs: 8_000,
        },
      ).catch(() => 'unreachable');
    expect(await probe('db')).toContain('unreachable');
    const dbIp = (
      await podman([
        'inspect',
        '--format',
        `{{(index .NetworkSettings.Networks "archy-${id}_services").IPAddress}}`,
        `archy-${id}_db`,
      ])
    ).trim();
    expect(dbIp).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(await probe(dbIp)).toContain('unreachable');
    // …while the app's own backend can (the same probe, so the probe itself works).
    expect(await podman(['exec', `archy-${id}_backend`, 'sh', '-c', 'nc db 7000 </dev/null'])).toContain(
      'db row 42',
    );

    // Stop: every service stopped, in reverse order (the frontend before what it depends on).
    const stopped = await daemon.cliJson<AppStatus>(['stop', id]);
    expect(stopped.state).toBe('stopped');
    expect(stopped.services.map((s) => s.state)).toEqual(['stopped', 'stopped', 'stopped']);
    const finished = async (c: string) =>
      Date.parse(
        (await podman(['inspect', '--format', '{{.State.FinishedAt}}', c]))
          .trim()
          .replace(/ \+0000 UTC$/, 'Z')
          .replace(' ', 'T'),
      );
    expect(await finished(`archy-${id}`)).toBeLessThanOrEqual(await finished(`archy-${id}_db`));

    await daemon.cliJson(['start', id]);
    await daemon.cliJson(['remove', id, '--purge', '--yes']);
    expect(await containersOf(id)).toEqual([]);
    expect(await networksOf(id)).toEqual([]);
  });

  it('a crashed service is restarted and the app comes back whole', async () => {
    const daemon = await startTestDaemon(join(dir, 'crash'));
    const id = uniqueAppId('crashy');
    appsToRemove.push({ daemon: () => daemon, id });
    const port = await freePort();
    const file = join(dir, `${id}.yml`);
    writeFileSync(file, multiServiceManifest(id, port, { dbCrashes: true }));
    await daemon.cliJson<AppStatus>(['install', file]);
    const before = (await podman(['inspect', '--format', '{{.State.StartedAt}}', `archy-${id}_db`])).trim();

    // The db double exits with an error (its PID 1 killed): Podman's restart policy or the supervisor brings it back.
    await podman(['exec', `archy-${id}_db`, 'touch', '/data/crash']);
    const status = await waitFor(
      async () => {
        const s = await daemon.cliJson<AppStatus>(['status', id]);
        const db = s.services.find((svc) => svc.name === 'db');
        const restarted =
          (await podman(['inspect', '--format', '{{.State.StartedAt}}', `archy-${id}_db`])).trim() !== before;
        return restarted && s.state === 'running' && db?.state === 'running' && s.restartCount >= 1
          ? s
          : undefined;
      },
      { what: 'the db service to be restarted', timeoutMs: 60_000, intervalMs: 250 },
    );
    expect(status.services.every((svc) => svc.state === 'running')).toBe(true);
    const page = await waitFor(
      async () => {
        const res = await httpGet(`http://127.0.0.1:${port}/cgi-bin/page`).catch(() => undefined);
        return res?.body.includes('db row 42') ? res.body : undefined;
      },
      { what: 'the page to work again', timeoutMs: 30_000 },
    );
    expect(page).toContain('db row 42');
  });

  /** Starts `cli` against a daemon that pauses at `step`, then SIGKILLs both there. */
  async function killAt(daemon: TestDaemon, step: string, cli: string[]): Promise<void> {
    const command = daemon.spawnCli(cli);
    await waitFor(() => daemon.log().includes(`paused at ${step}`), {
      what: `the daemon to pause at ${step}`,
      timeoutMs: 90_000,
      intervalMs: 50,
    });
    await daemon.kill();
    command.kill('SIGKILL');
  }

  it.each(['create-services', 'start-services'])(
    'SIGKILL of the daemon mid-install (%s): the next start rolls every service back',
    async (step) => {
      const dataDir = join(dir, `install-${step}`);
      const id = uniqueAppId('torn');
      const file = join(dir, `${id}.yml`);
      writeFileSync(file, multiServiceManifest(id, await freePort()));
      const paused = await startTestDaemon(dataDir, { ARCHY_TEST_PAUSE_AT: step });
      await killAt(paused, step, ['install', file]);
      // Some but not all of the app's containers exist at the kill.
      const atKill = await containersOf(id);
      expect(atKill.length).toBeGreaterThan(0);
      const daemon = await startTestDaemon(dataDir);
      appsToRemove.push({ daemon: () => daemon, id });
      expect(await containersOf(id)).toEqual([]);
      expect(await networksOf(id)).toEqual([]);
      const list = await daemon.cliJson<AppStatus[]>(['list']);
      expect(list.map((app) => app.id)).not.toContain(id);
    },
  );

  it('SIGKILL of the daemon mid-start: the next start brings every service up', async () => {
    const dataDir = join(dir, 'start');
    const id = uniqueAppId('halfup');
    const file = join(dir, `${id}.yml`);
    writeFileSync(file, multiServiceManifest(id, await freePort()));
    const first = await startTestDaemon(dataDir);
    appsToRemove.push({ daemon: () => started.at(-1)!, id });
    await first.cliJson(['install', file]);
    await first.cliJson(['stop', id]);
    await first.stop();
    const paused = await startTestDaemon(dataDir, { ARCHY_TEST_PAUSE_AT: 'start-services' });
    await killAt(paused, 'start-services', ['start', id]);
    const running = await podman([
      'ps',
      '--filter',
      `label=io.archipelago.app=${id}`,
      '--format',
      '{{.Names}}',
    ]);
    expect(running.split('\n').filter(Boolean).length).toBeLessThan(3);
    const daemon = await startTestDaemon(dataDir);
    const status = await waitFor(
      async () => {
        const s = await daemon.cliJson<AppStatus>(['status', id]);
        return s.state === 'running' && s.services.every((svc) => svc.state === 'running') ? s : undefined;
      },
      { what: 'every service up after the restart', timeoutMs: 60_000, intervalMs: 250 },
    );
    expect(status.services).toHaveLength(3);
  });
});
