import { describe, expect, it } from 'vitest';
import { HealthTracker } from '../health/index.js';
import { DataLayout } from '../layout/index.js';
import { parseManifest } from '../manifest/index.js';
import type { AppRecord } from './app-record.js';
import { appContainer, toStatus, type AppRuntime } from './app-runtime.js';
import { containerNameOf, serviceView, startOrder, stopOrder } from './app-services.js';
import { buildContainerSpec } from './container-spec.js';
import { mergeServiceLogs } from './service-logs.js';

const IMAGE = '127.0.0.1:5000/apps/x:1.0.0';
const stack = parseManifest(
  [
    'id: stack',
    'name: Stack',
    'version: "1.0.0"',
    'dependencies: [{ id: bitcoin-node }, { id: other-thing }]',
    'provides: [explorer]',
    'services:',
    '  web:',
    `    image: ${IMAGE}`,
    '    command: [httpd]',
    '    ports: [{ container: 80, host: 8090 }]',
    '    dependsOn: [api]',
    '    health: { http: { port: 80 } }',
    '  cache:',
    `    image: ${IMAGE}`,
    '  api:',
    `    image: ${IMAGE}`,
    '    uses: [bitcoin-node]',
    '    dependsOn: [db, cache]',
    '    env: { MODE: api }',
    '  db:',
    `    image: ${IMAGE}`,
    '    volumes: [{ mount: /var/lib/db, name: db }]',
    '    health: { tcp: { port: 5432 } }',
    '    security: { user: "999:999" }',
  ].join('\n'),
  'stack.yml',
);
const service = (name: string) => stack.services.find((s) => s.name === name)!;

describe('the services of an app', () => {
  it('start after what they depend on (ties in manifest order) and stop the other way round', () => {
    expect(startOrder(stack).map((s) => s.name)).toEqual(['cache', 'db', 'api', 'web']);
    expect(stopOrder(stack).map((s) => s.name)).toEqual(['web', 'api', 'db', 'cache']);
  });

  it('name the main container archy-<id> and the others archy-<id>_<service>', () => {
    expect(containerNameOf(stack, 'web')).toBe('archy-stack');
    expect(containerNameOf(stack, 'db')).toBe('archy-stack_db');
  });

  it('see the manifest with their own container fields, never the main’s', () => {
    const db = serviceView(stack, service('db'));
    expect(db.command).toBeUndefined();
    expect(db.health?.tcp).toEqual({ port: 5432 });
    expect(db.volumes).toEqual([{ mount: '/var/lib/db', name: 'db', readOnly: false }]);
    expect(db.security.user).toBe('999:999');
  });
});

describe('buildContainerSpec for a service', () => {
  const layout = new DataLayout('/srv/archy');
  const links = [
    { dependent: 'stack', dependency: 'bitcoin-core', aliases: ['bitcoin-core', 'bitcoin-node'] },
    { dependent: 'stack', dependency: 'other', aliases: ['other', 'other-thing'] },
  ];
  const dependencies = [
    {
      requested: 'bitcoin-node',
      appId: 'bitcoin-core',
      version: '28.4',
      requires: 'running' as const,
      host: 'bitcoin-node',
      ports: { rpc: 8332 },
      secretRefs: [],
    },
    {
      requested: 'other-thing',
      appId: 'other',
      version: '1.0.0',
      requires: 'running' as const,
      host: 'other-thing',
      ports: {},
      secretRefs: [],
    },
  ];
  const spec = (name: string) =>
    buildContainerSpec(stack, service(name), {
      layout,
      image: IMAGE,
      version: '1.0.0',
      links,
      dependencies,
      imageUser: { uid: 1000, gid: 1000 },
    });

  it('puts the main on the app network (aliased for dependents) and every service on the services network', () => {
    const web = spec('web');
    expect(web.name).toBe('archy-stack');
    expect(web.labels).toMatchObject({ 'io.archipelago.app': 'stack', 'io.archipelago.service': 'web' });
    expect(web.Networks).toEqual({
      'archy-stack': { aliases: ['stack', 'explorer'] },
      'archy-stack_services': { aliases: ['web'] },
    });
    expect(web.portmappings).toEqual([{ container_port: 80, host_port: 8090, protocol: 'tcp' }]);
    expect(spec('db').Networks).toEqual({ 'archy-stack_services': { aliases: ['db'] } });
    expect(spec('db').portmappings).toEqual([]);
  });

  it('gives a service only the dependencies it uses: their network and their env', () => {
    const api = spec('api');
    expect(api.name).toBe('archy-stack_api');
    expect(api.Networks).toEqual({
      'archy-stack_services': { aliases: ['api'] },
      'archy-bitcoin-core': { aliases: ['stack'] },
    });
    expect(api.env).toEqual({
      ARCHY_DEP_BITCOIN_NODE_HOST: 'bitcoin-node',
      ARCHY_DEP_BITCOIN_NODE_RPC_PORT: '8332',
      MODE: 'api',
    });
    expect(spec('web').env).toEqual({});
  });

  it('mounts a service’s own volumes only, as its own user', () => {
    const db = spec('db');
    expect(db.user).toBe('999:999');
    expect(db.mounts?.filter((m) => m.Type === 'bind').map((m) => [m.Source, m.Destination])).toEqual([
      ['/srv/archy/apps/stack/db', '/var/lib/db'],
    ]);
    expect(spec('web').mounts?.filter((m) => m.Type === 'bind')).toEqual([]);
  });
});

describe('the status of a multi-service app', () => {
  const record: AppRecord = {
    id: 'stack',
    manifestYaml: '',
    manifestFile: 'stack.yml',
    version: '1.0.0',
    image: IMAGE,
    phase: 'installed',
    desired: 'running',
    installedAt: '2026-01-01T00:00:00.000Z',
    createdDataDir: true,
  };
  const tracker = (ok: boolean) => {
    const t = new HealthTracker({ startPeriod: 0, retries: 1 }, 0);
    t.record({ at: '', ok, detail: '', durationMs: 1 }, 1);
    return t;
  };
  const up = (id: string) => ({ id, running: true, startedAt: '2026-01-01T00:00:01.000Z' });
  const all = (): AppRuntime => ({
    record: { ...record },
    manifest: stack,
    restartCount: 0,
    container: up('c-web'),
    services: { cache: up('c-cache'), api: up('c-api'), db: up('c-db') },
    health: tracker(true),
    serviceHealth: { db: tracker(true) },
  });

  it('is running and healthy only when every service runs and every checked one is healthy', () => {
    const status = toStatus(all());
    expect([status.state, status.health]).toEqual(['running', 'healthy']);
    expect(status.services.map((s) => [s.name, s.main, s.containerName, s.state, s.health])).toEqual([
      ['web', true, 'archy-stack', 'running', 'healthy'],
      ['cache', false, 'archy-stack_cache', 'running', 'none'],
      ['api', false, 'archy-stack_api', 'running', 'none'],
      ['db', false, 'archy-stack_db', 'running', 'healthy'],
    ]);
  });

  it('is unhealthy when one checked service is, failed when one is down, and has no container when one is missing', () => {
    expect(toStatus({ ...all(), serviceHealth: { db: tracker(false) } }).state).toBe('unhealthy');
    const down = {
      ...all(),
      services: { cache: up('c-cache'), api: up('c-api'), db: { id: 'c-db', running: false, exitCode: 3 } },
    };
    const status = toStatus(down);
    expect([status.state, status.exitCode]).toEqual(['failed', 3]);
    expect(status.services.find((s) => s.name === 'db')).toMatchObject({ state: 'failed', exitCode: 3 });
    const missing = { ...all(), services: { cache: up('c-cache'), api: up('c-api'), db: undefined } };
    expect(appContainer(missing)).toBeUndefined();
    expect(toStatus(missing).services.find((s) => s.name === 'db')?.state).toBe('missing');
  });
});

describe('mergeServiceLogs', () => {
  async function* lines(...texts: string[]) {
    for (const line of texts) yield { stream: 'stdout' as const, line };
  }
  it('gives a history service by service, each line marked with its service', async () => {
    const merged = [];
    for await (const line of mergeServiceLogs(
      [
        { service: 'db', lines: lines('a', 'b') },
        { service: 'web', lines: lines('c') },
      ],
      { follow: false },
    ))
      merged.push(`${line.service}:${line.line}`);
    expect(merged).toEqual(['db:a', 'db:b', 'web:c']);
  });

  it('interleaves followed services as their lines arrive, to the end of each', async () => {
    const merged = [];
    for await (const line of mergeServiceLogs(
      [
        { service: 'db', lines: lines('a', 'b') },
        { service: 'web', lines: lines('c') },
      ],
      { follow: true },
    ))
      merged.push(`${line.service}:${line.line}`);
    expect(merged.sort()).toEqual(['db:a', 'db:b', 'web:c']);
  });
});
