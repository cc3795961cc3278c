import { describe, expect, it } from 'vitest';
import { parseCatalogApps, sameRepository, type DroppedEntry } from './catalog-schema.js';
import { chooseCatalogVersion, versionsForManifest } from './version-choice.js';

const image = (tag: string) => `127.0.0.1:5000/archipelago/bitcoin-core:${tag}`;

describe('parseCatalogApps', () => {
  it('reads versions newest first, marks the default and ignores fields it does not know', () => {
    const { catalog, dropped } = parseCatalogApps({
      'bitcoin-core': {
        version: '31.0',
        image: image('31.0'),
        futureField: { anything: true },
        versions: [
          { version: '28.4', image: image('28.4'), deprecated: true, eol: '2026-10-01', channel: 'lts' },
          { version: '31.0', image: image('31.0'), default: true, notes: 'current' },
          { version: '30.0', image: image('30.0'), digest: `sha256:${'a'.repeat(64)}` },
        ],
      },
    });
    expect(dropped).toEqual([]);
    expect(catalog.apps['bitcoin-core']).toEqual({
      id: 'bitcoin-core',
      version: '31.0',
      image: image('31.0'),
      versions: [
        { version: '31.0', image: image('31.0'), default: true, deprecated: false, notes: 'current' },
        {
          version: '30.0',
          image: image('30.0'),
          digest: `sha256:${'a'.repeat(64)}`,
          default: false,
          deprecated: false,
        },
        { version: '28.4', image: image('28.4'), default: false, deprecated: true, eol: '2026-10-01' },
      ],
    });
  });

  it('reads a catalog from before versions[] as its one version', () => {
    const { catalog } = parseCatalogApps({
      hello: { version: '1.0.0', image: '127.0.0.1:5000/apps/hello:1.0.0' },
    });
    expect(catalog.apps['hello']!.versions).toEqual([
      { version: '1.0.0', image: '127.0.0.1:5000/apps/hello:1.0.0', default: true, deprecated: false },
    ]);
  });

  it('drops floating tags with a reason and keeps the rest of the catalog', () => {
    const heard: DroppedEntry[] = [];
    const { catalog, dropped } = parseCatalogApps(
      {
        'bitcoin-knots': {
          version: 'latest',
          image: '127.0.0.1:5000/archipelago/bitcoin-knots:latest',
          versions: [
            { version: 'latest', image: '127.0.0.1:5000/archipelago/bitcoin-knots:latest' },
            { version: '29.3.knots20260508', image: '127.0.0.1:5000/archipelago/bitcoin-knots:stable' },
            {
              version: '28.1.knots20250305',
              image: '127.0.0.1:5000/archipelago/bitcoin-knots:28.1.knots20250305',
            },
          ],
        },
        hello: { version: '1.0.0', image: '127.0.0.1:5000/apps/hello:1.0.0' },
      },
      (entry) => heard.push(entry),
    );
    expect(dropped).toEqual([
      {
        app: 'bitcoin-knots',
        version: 'latest',
        reason: "'latest' is a floating tag, not a version; only pinned versions are offered",
      },
      {
        app: 'bitcoin-knots',
        version: '29.3.knots20260508',
        reason: "'stable' is a floating tag, not a version; only pinned versions are offered",
      },
      {
        app: 'bitcoin-knots',
        version: 'latest',
        reason: "the default version 'latest' is not usable; '28.1.knots20250305' is the default instead",
      },
    ]);
    expect(heard).toEqual(dropped);
    expect(catalog.apps['bitcoin-knots']!.versions.map((v) => v.version)).toEqual(['28.1.knots20250305']);
    expect(catalog.apps['hello']).toBeDefined();
  });

  it('refuses a version whose image is in another repository', () => {
    const { catalog, dropped } = parseCatalogApps({
      'bitcoin-core': {
        version: '31.0',
        image: image('31.0'),
        versions: [
          { version: '31.0', image: image('31.0') },
          { version: '30.0', image: '127.0.0.1:5000/evil/bitcoin-core:30.0' },
          { version: '29.3', image: 'docker.io/archipelago/bitcoin-core:29.3' },
        ],
      },
    });
    expect(dropped.map((entry) => entry.reason)).toEqual([
      "image 127.0.0.1:5000/evil/bitcoin-core:30.0 is not in the app's repository (127.0.0.1:5000/archipelago/bitcoin-core:31.0); a version may not swap in another image",
      "image docker.io/archipelago/bitcoin-core:29.3 is not in the app's repository (127.0.0.1:5000/archipelago/bitcoin-core:31.0); a version may not swap in another image",
    ]);
    expect(catalog.apps['bitcoin-core']!.versions.map((v) => v.version)).toEqual(['31.0']);
  });

  it('drops malformed entries and apps one by one', () => {
    const { catalog, dropped } = parseCatalogApps({
      'Bad Id': { version: '1.0.0', image: 'x/y:1.0.0' },
      broken: { version: 7 },
      ok: { version: '1.0.0', image: 'reg.example/ok:1.0.0', versions: [{ version: '0.9.0' }] },
    });
    expect(Object.keys(catalog.apps)).toEqual(['ok']);
    expect(dropped).toEqual([
      { app: 'Bad Id', reason: "'Bad Id' is not an app id" },
      {
        app: 'broken',
        reason:
          'not a catalog entry (version: Invalid input: expected string, received number; image: Invalid input: expected string, received undefined)',
      },
      {
        app: 'ok',
        version: '0.9.0',
        reason: 'not a version entry (image: Invalid input: expected string, received undefined)',
      },
    ]);
  });
});

describe('sameRepository', () => {
  it('compares registry and path, not tag or digest', () => {
    expect(sameRepository(image('31.0'), image('28.4'))).toBe(true);
    expect(
      sameRepository(image('31.0'), `127.0.0.1:5000/archipelago/bitcoin-core@sha256:${'b'.repeat(64)}`),
    ).toBe(true);
    expect(sameRepository(image('31.0'), '127.0.0.1:5000/archipelago/bitcoin-knots:29.3.knots20260508')).toBe(
      false,
    );
    expect(sameRepository(image('31.0'), 'fleet.example:443/archipelago/bitcoin-core:31.0')).toBe(false);
    expect(sameRepository('apps/hello:1.0.0', 'apps/hello:2.0.0')).toBe(true);
  });
});

describe('chooseCatalogVersion', () => {
  const { catalog } = parseCatalogApps({
    'bitcoin-core': {
      version: '31.0',
      image: image('31.0'),
      versions: [
        { version: '31.0', image: image('31.0') },
        { version: '28.4', image: image('28.4') },
      ],
    },
  });
  const app = catalog.apps['bitcoin-core']!;

  it('picks the default or the version asked for', () => {
    expect(chooseCatalogVersion(app, image('30.0')).version).toBe('31.0');
    expect(chooseCatalogVersion(app, image('30.0'), '28.4').image).toBe(image('28.4'));
  });

  it('refuses a version the catalog does not list, or an image outside the manifest repository', () => {
    expect(() => chooseCatalogVersion(app, image('31.0'), '29.9')).toThrow(
      'bitcoin-core 29.9 is not in the catalog; choose one of: 31.0, 28.4 (see: archy versions bitcoin-core)',
    );
    expect(versionsForManifest(app, 'other.example/bitcoin-core:31.0')).toEqual([]);
    expect(() => chooseCatalogVersion(app, 'other.example/bitcoin-core:31.0')).toThrow(
      "the catalog's image for bitcoin-core 31.0 (127.0.0.1:5000/archipelago/bitcoin-core:31.0) is not in the manifest's repository (other.example/bitcoin-core:31.0); refusing to swap in another image. Choose one of: none",
    );
  });
});
