import { describe, expect, it } from 'vitest';
import { ManifestError, parseManifest, type ManifestIssue } from './index.js';
import { sumResources } from './services.js';

const FILE = 'mempool.yml';
const DIGEST = `@sha256:${'a'.repeat(64)}`;
const lines = (...all: string[]): string => all.join('\n') + '\n';
const HEAD = ['id: mempool', 'name: Mempool', 'version: "3.2.1"'];

/** The design's example: web (main by default), api, db. */
const MEMPOOL = lines(
  ...HEAD,
  'dependencies:',
  '  - id: bitcoin-node',
  '    requires: healthy',
  'services:',
  '  web:',
  `    image: docker.io/mempool/frontend:v3.2.1${DIGEST}`,
  '    ports: [{ container: 8080, host: 3006 }]',
  '    dependsOn: [api]',
  '    health: { http: { port: 8080 } }',
  '    security: { user: "1000:1000" }',
  '    resources: { memory: 64M, cpus: 0.1 }',
  '  api:',
  `    image: docker.io/mempool/backend:v3.2.1${DIGEST}`,
  '    uses: [bitcoin-node]',
  '    dependsOn: [db]',
  '    env: { PORT: 8999 }',
  '    resources: { cpus: 0.2 }',
  '  db:',
  `    image: docker.io/library/mariadb:10.5.21${DIGEST}`,
  '    volumes: [{ mount: /var/lib/mysql, name: db }]',
  '    resources: { memory: 256M }',
);

function issuesOf(text: string): Array<Pick<ManifestIssue, 'path' | 'message' | 'line'>> {
  try {
    parseManifest(text, FILE);
  } catch (error) {
    if (!(error instanceof ManifestError)) throw error;
    return error.issues.map(({ path, message, line }) => ({ path, message, line }));
  }
  throw new Error('expected the manifest to be refused');
}

/** A manifest of HEAD plus a services: block made of `body` lines (indented under services:). */
const withServices = (...body: string[]): string => lines(...HEAD, 'services:', ...body);
const IMAGE = `    image: 127.0.0.1:5000/apps/x:1.0.0`;

describe('parseManifest: services', () => {
  it('lists the main service first and gives the app the main container, all ports and volumes, summed resources', () => {
    const manifest = parseManifest(MEMPOOL, FILE);
    expect(manifest.main).toBe('web');
    expect(manifest.services.map((service) => service.name)).toEqual(['web', 'api', 'db']);
    expect(manifest.image).toBe(`docker.io/mempool/frontend:v3.2.1${DIGEST}`);
    expect(manifest.security.user).toBe('1000:1000');
    expect(manifest.health?.http).toEqual({ port: 8080, path: '/' });
    expect(manifest.env).toEqual({});
    expect(manifest.ports).toEqual([{ container: 8080, host: 3006, protocol: 'tcp', expose: 'lan' }]);
    expect(manifest.volumes).toEqual([{ mount: '/var/lib/mysql', name: 'db', readOnly: false }]);
    expect(manifest.resources).toEqual({ memory: 320 * 1024 * 1024, cpus: 0.3 });
    const [web, api, db] = manifest.services;
    expect(web).toMatchObject({ dependsOn: ['api'], uses: [] });
    expect(api).toMatchObject({ dependsOn: ['db'], uses: ['bitcoin-node'], env: { PORT: '8999' } });
    expect(db).toStrictEqual({
      name: 'db',
      image: `docker.io/library/mariadb:10.5.21${DIGEST}`,
      env: {},
      ports: [],
      volumes: [{ mount: '/var/lib/mysql', name: 'db', readOnly: false }],
      resources: { memory: 256 * 1024 * 1024 },
      security: { capAdd: [], readOnlyRootfs: true, tmpfs: [], noNewPrivileges: true },
      stopTimeout: 30_000,
      dependsOn: [],
      uses: [],
    });
  });

  it('takes main: as the main service and moves it first', () => {
    const manifest = parseManifest(MEMPOOL.replace('services:', 'main: api\nservices:'), FILE);
    expect(manifest.main).toBe('api');
    expect(manifest.services.map((service) => service.name)).toEqual(['api', 'web', 'db']);
    expect(manifest.image).toBe(`docker.io/mempool/backend:v3.2.1${DIGEST}`);
    expect(manifest.ports.map((port) => port.host)).toEqual([3006]);
  });

  it('gives a single-container manifest one service, main, that uses every dependency', () => {
    const manifest = parseManifest(
      lines(...HEAD, 'image: 127.0.0.1:5000/apps/x:1.0.0', 'dependencies: [{ id: bitcoin-node }]'),
      FILE,
    );
    expect(manifest.main).toBe('main');
    expect(manifest.services).toEqual([
      expect.objectContaining({ name: 'main', image: manifest.image, uses: ['bitcoin-node'], dependsOn: [] }),
    ]);
  });

  it('refuses app-level container keys beside services:, at the key', () => {
    const text = MEMPOOL.replace('services:', 'image: a/b:1\nports: []\nservices:');
    expect(issuesOf(text)).toEqual([
      {
        path: 'image',
        line: 7,
        message: 'an app with services: writes image: per service; move it into the service that needs it',
      },
      {
        path: 'ports',
        line: 8,
        message: 'an app with services: writes ports: per service; move it into the service that needs it',
      },
    ]);
  });

  it('refuses dependsOn naming itself, an unknown service, twice, or in a circle', () => {
    expect(issuesOf(withServices('  a:', IMAGE, '    dependsOn: [a, nope]')).map((i) => i.message)).toEqual([
      "a service cannot depend on itself ('a')",
      "'nope' is not a service of this app (a); name one of them",
    ]);
    expect(issuesOf(withServices('  a:', IMAGE, '    dependsOn: [b, b]', '  b:', IMAGE))).toEqual([
      { path: 'services.a.dependsOn[1]', line: 7, message: "'b' is listed twice; list it once" },
    ]);
    expect(
      issuesOf(
        withServices(
          '  a:',
          IMAGE,
          '    dependsOn: [b]',
          '  b:',
          IMAGE,
          '    dependsOn: [c]',
          '  c:',
          IMAGE,
          '    dependsOn: [a]',
        ),
      ),
    ).toEqual([
      {
        path: 'services.a.dependsOn',
        line: 7,
        message: 'dependsOn goes round in a circle (a → b → c → a); one of them must start without the other',
      },
    ]);
  });

  it('refuses uses: of an id that is not a dependency', () => {
    expect(issuesOf(withServices('  a:', IMAGE, '    uses: [bitcoin-node]'))).toEqual([
      {
        path: 'services.a.uses[0]',
        line: 7,
        message:
          "'bitcoin-node' is not one of the app's dependencies; add it to dependencies: or remove it here",
      },
    ]);
  });

  it('refuses a host port or a volume name used by two services, and two builds', () => {
    const build = ['    build: { base: busybox }'];
    const local = '    image: localhost/apps/x:1.0.0';
    const issues = issuesOf(
      withServices(
        '  a:',
        local,
        ...build,
        '    ports: [{ container: 80, host: 8080 }]',
        '    volumes: [{ mount: /data }]',
        '  b:',
        local,
        ...build,
        '    ports: [{ container: 81, host: 8080 }]',
        '    volumes: [{ mount: /data }]',
      ),
    );
    expect(issues.map((issue) => [issue.path, issue.message])).toEqual([
      [
        'services.b.build',
        "service 'a' already has build:; an app builds at most one image, pull the others",
      ],
      [
        'services.b.ports[0].host',
        "host port 8080/tcp is already published by service 'a'; choose another host port",
      ],
      [
        'services.b.volumes[0].name',
        "volume name 'data' is already used by service 'a'; services cannot share a volume, give this one its own name:",
      ],
    ]);
  });

  it('refuses a bad service name, an empty services:, main: naming no service, main: without services:', () => {
    expect(issuesOf(withServices('  Web:', IMAGE))[0]!.message).toMatch(
      /^expected a service name of 1-31 lowercase/,
    );
    expect(issuesOf(lines(...HEAD, 'services: {}'))[0]!.message).toMatch(/^lists no service/);
    expect(issuesOf(lines(...HEAD, 'main: web', 'services:', '  a:', IMAGE))).toEqual([
      { path: 'main', line: 4, message: "'web' is not one of the services (a); name one of them" },
    ]);
    expect(issuesOf(lines(...HEAD, 'image: a/b:1', 'main: web'))[0]).toMatchObject({ path: 'main' });
  });

  it('refuses a service without an image, and a single-container manifest without one', () => {
    expect(issuesOf(withServices('  a:', '    env: {}'))[0]).toMatchObject({
      path: 'services.a.image',
      message: 'is required: add an image reference such as "registry/app:1.0.0"',
    });
    expect(issuesOf(lines(...HEAD))[0]).toMatchObject({ path: 'image' });
  });

  it('keeps the bitcoin probe to the main service', () => {
    const text = lines(
      ...HEAD,
      'bitcoin: { implementation: core }',
      'services:',
      '  node:',
      IMAGE,
      '  sidecar:',
      IMAGE,
      '    health: { bitcoin: {} }',
    );
    expect(issuesOf(text)[0]).toMatchObject({ path: 'services.sidecar.health.bitcoin' });
  });
});

describe('sumResources', () => {
  it('sums each field some service sets and leaves the others absent', () => {
    expect(sumResources([{ memory: 10, pids: 5 }, { memory: 6 }, {}])).toStrictEqual({ memory: 16, pids: 5 });
    expect(sumResources([{}, {}])).toStrictEqual({});
  });
});
