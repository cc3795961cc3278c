import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checkImageReference,
  formatImageReference,
  nameOf,
  normalizeImageReference,
  parseInsecureRegistries,
  registryApiHost,
  registryOf,
  repositoryOf,
  sameRepository,
  splitImageReference,
} from './image-reference.js';

const DIGEST = `sha256:${'c'.repeat(64)}`;

describe('Docker Hub has one name', () => {
  it.each([
    ['busybox:1.36', 'docker.io/library/busybox'],
    ['library/busybox:1.36', 'docker.io/library/busybox'],
    ['docker.io/busybox:1.36', 'docker.io/library/busybox'],
    ['docker.io/library/busybox:1.36', 'docker.io/library/busybox'],
    ['index.docker.io/busybox:1.36', 'docker.io/library/busybox'],
    ['index.docker.io/library/busybox', 'docker.io/library/busybox'],
    ['Docker.IO/library/busybox', 'docker.io/library/busybox'],
    ['someone/app:2', 'docker.io/someone/app'],
    [`busybox@${DIGEST}`, 'docker.io/library/busybox'],
  ])('%s is in %s', (text, repository) => {
    expect(repositoryOf(text)).toBe(repository);
    expect(registryOf(text)).toBe('docker.io');
  });

  it('speaks the registry API to index.docker.io, and to every other registry by its own name', () => {
    expect(registryApiHost(registryOf('busybox:1'))).toBe('index.docker.io');
    expect(registryApiHost(registryOf('127.0.0.1:5000/apps/hello:1'))).toBe('127.0.0.1:5000');
  });

  it('keeps other registries, localhost and ports as they are', () => {
    expect(repositoryOf('localhost/hello:v1')).toBe('localhost/hello');
    expect(repositoryOf('127.0.0.1:5000/hello:v1')).toBe('127.0.0.1:5000/hello');
    expect(repositoryOf('ghcr.io/a/b')).toBe('ghcr.io/a/b');
  });

  it('counts a repository the same whatever its tag, digest or Hub spelling', () => {
    expect(sameRepository('busybox:1', `docker.io/library/busybox:2@${DIGEST}`)).toBe(true);
    expect(sameRepository('127.0.0.1:5000/apps/hello:1', 'apps/hello:1')).toBe(false);
  });
});

describe('splitImageReference', () => {
  it.each([
    ['127.0.0.1:5000/apps/hello:1.0.0', { registry: '127.0.0.1:5000', path: 'apps/hello', tag: '1.0.0' }],
    ['localhost:5000/hello', { registry: 'localhost:5000', path: 'hello' }],
    ['busybox', { path: 'busybox' }],
    [`a/b:1@${DIGEST}`, { path: 'a/b', tag: '1', digest: DIGEST }],
    ['a/b:1.0:2', { path: 'a/b', tag: '1.0:2' }],
  ])('%s', (text, expected) => {
    expect(splitImageReference(text)).toEqual(expected);
  });

  it('names without tag and digest', () => {
    expect(nameOf(`localhost/archipelago/bitcoin-core:31.1@${DIGEST}`)).toBe(
      'localhost/archipelago/bitcoin-core',
    );
    expect(nameOf('busybox:1')).toBe('busybox');
  });
});

describe('checkImageReference', () => {
  it.each([
    '',
    ' a:1',
    'UPPER/case:1',
    'a/b:bad tag',
    'a@sha256:123',
    'host:5000/a//b',
    'r/x:-tag',
    'a@b@c',
    'bad_host.io:1/a',
  ])('refuses %j', (text) => {
    expect(checkImageReference(text).ok).toBe(false);
  });
});

// Generated references in the grammar: each is accepted, its parts come back as generated, it
// formats back to the same text, and normalising is idempotent.
const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,6}[a-z0-9])?$/);
const component = fc.stringMatching(/^[a-z0-9]{1,6}([._-][a-z0-9]{1,6})?$/);
const registry = fc.oneof(
  fc.constant(undefined),
  fc.constantFrom('docker.io', 'index.docker.io', 'localhost', 'localhost:5000', '127.0.0.1:5000'),
  fc.tuple(label, label).map(([a, b]) => `${a}.${b}`),
);
const reference = fc.record(
  {
    registry,
    path: fc.array(component, { minLength: 1, maxLength: 3 }).map((parts) => parts.join('/')),
    tag: fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,10}$/),
    digest: fc.stringMatching(/^[a-f0-9]{64}$/).map((hex) => `sha256:${hex}`),
  },
  { requiredKeys: ['path'] },
);

describe('properties', () => {
  it('parses what it formats, and normalising twice changes nothing', () => {
    fc.assert(
      fc.property(reference, (generated) => {
        const ref = Object.fromEntries(Object.entries(generated).filter(([, v]) => v !== undefined)) as {
          path: string;
        };
        // A path whose first component looks like a host would be read as a registry: Podman does the same.
        fc.pre(
          !('registry' in ref)
            ? !/[.:]|^localhost$/.test(ref.path.split('/')[0]!) || !ref.path.includes('/')
            : true,
        );
        const text = formatImageReference(ref);
        const checked = checkImageReference(text);
        expect(checked).toEqual({ ok: true, value: ref });
        const once = normalizeImageReference(splitImageReference(text));
        expect(normalizeImageReference(once)).toEqual(once);
        expect(repositoryOf(formatImageReference(once))).toBe(repositoryOf(text));
      }),
    );
  });
});

describe('parseInsecureRegistries', () => {
  it('splits, trims and drops empties', () => {
    expect([...parseInsecureRegistries(' 127.0.0.1:5000, ,localhost:5001 ')]).toEqual([
      '127.0.0.1:5000',
      'localhost:5001',
    ]);
    expect(parseInsecureRegistries(undefined).size).toBe(0);
  });
});
