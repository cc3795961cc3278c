import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { AppStatus, CatalogEntry } from './contract.js';
import { createRpcMethods } from './rpc-methods.js';
import { parseManifest } from '../manifest/index.js';
import { AppConfigStore } from '../orchestrator/app-config.js';
import { CatalogService } from '../orchestrator/catalog-service.js';
import { DataLayout } from '../layout/index.js';
import type { AppLifecycle } from '../orchestrator/lifecycle.js';
import { AppVersionControl } from '../versions/version-control.js';
import type { VersionSwitch } from '../versions/version-switch.js';

// `catalog-list` as the method table binds it: the bundled manifests, marked installed or not, each
// with the versions of the repo's real signed catalog (verified on load) and the update the daemon
// sees for what runs, given the user's pin in DATA_DIR/app-configs.
const info = {
  version: '0',
  dataDir: '/d',
  podman: { version: '4', rootless: true },
  startedAt: '',
  confinement: { apparmor: false, selinux: false, applied: 'none', notes: [] },
  unsignedRegistries: [],
};
const bundled = (id: string) => {
  const file = new URL(`../../../apps/${id}/manifest.yml`, import.meta.url);
  return parseManifest(readFileSync(file, 'utf8'), file.pathname);
};

const dataDirs: string[] = [];
afterEach(() => {
  for (const dir of dataDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

interface Node {
  lifecycle: AppLifecycle;
  configs: AppConfigStore;
}

/** A lifecycle whose `installed` apps run at the given versions; with a catalog unless `catalog: false`. */
async function nodeWith(
  installed: Record<string, string>,
  manifests?: string[],
  { catalog = true } = {},
): Promise<Node> {
  const dataDir = mkdtempSync(join(tmpdir(), 'archy-catalog-list-'));
  dataDirs.push(dataDir);
  const configs = new AppConfigStore(new DataLayout(dataDir));
  let versions: AppVersionControl | undefined;
  if (catalog) {
    const service = new CatalogService({ dataDir, logger: pino({ level: 'silent' }) });
    await service.load();
    versions = new AppVersionControl({
      catalog: service,
      configs,
      // Listing never changes a version: a switcher that is called fails the test.
      switcher: {} as VersionSwitch,
      appInfo: async (id) => ({
        ...(installed[id] !== undefined && { installedVersion: installed[id] }),
        manifest: bundled(id),
      }),
      installedIds: () => Object.keys(installed),
      log: () => undefined,
    });
  }
  const lifecycle = {
    list: async () => Object.entries(installed).map(([id, version]) => ({ id, version }) as AppStatus),
    ...(manifests && { availableManifests: async () => manifests.map(bundled) }),
    ...(versions && { versions }),
  } as AppLifecycle;
  return { lifecycle, configs };
}

async function list(node: Node): Promise<CatalogEntry[]> {
  const methods = createRpcMethods({ lifecycle: node.lifecycle, info });
  return ((await methods['catalog-list'].invoke({})) as { apps: CatalogEntry[] }).apps;
}

describe('catalog-list RPC method', () => {
  it('lists the bundled apps by name, with relations, marking the installed ones', async () => {
    const apps = await list(await nodeWith({ hello: '1.0.0' }, ['hello', 'bitcoin-knots']));
    expect(apps.map((app) => [app.id, app.installed])).toEqual([
      ['bitcoin-knots', false],
      ['hello', true],
    ]);
    expect(apps[0]).toMatchObject({
      name: 'Bitcoin Knots',
      version: '29.4.2.knots20260508',
      category: 'bitcoin',
      provides: ['bitcoin-node'],
      conflicts: ['bitcoin-core'],
      dependencies: [],
    });
    expect(apps[1]).toMatchObject({ description: expect.stringContaining('web server') });
  });

  it("carries the signed catalog's versions[], newest first, with default, deprecation, notes and Knots labels", async () => {
    const apps = await list(await nodeWith({}, ['bitcoin-core', 'bitcoin-knots']));
    const core = apps.find((app) => app.id === 'bitcoin-core')!;
    expect(core.versions.map((v) => v.version)).toEqual(['31.1', '30.3', '29.4', '28.4', '27.2']);
    expect(core.defaultVersion).toBe('31.1');
    expect(core.versions.filter((v) => v.default).map((v) => v.version)).toEqual(['31.1']);
    expect(core.versions.every((v) => v.image.endsWith(`/archipelago/bitcoin-core:${v.version}`))).toBe(true);

    const knots = apps.find((app) => app.id === 'bitcoin-knots')!;
    expect(knots.versions[0]).toMatchObject({
      version: '29.4.2.knots20260508',
      display: '29.4.2 (2026-05-08)',
      default: true,
      deprecated: false,
    });
    expect(knots.versions.at(-1)).toMatchObject({
      version: '27.1.knots20240801',
      display: '27.1 (2024-08-01)',
      deprecated: true,
      notes: expect.stringContaining('xor.dat'),
    });
    // Not installed: nothing runs, so there is nothing to update.
    expect(knots).not.toHaveProperty('installedVersion');
    expect(knots).not.toHaveProperty('update');
  });

  it('offers an update when the catalog default is newer than what runs, and none once pinned', async () => {
    const node = await nodeWith({ 'bitcoin-core': '28.4' }, ['bitcoin-core']);
    const [running] = await list(node);
    expect(running).toMatchObject({
      installed: true,
      installedVersion: '28.4',
      update: { version: '31.1', display: '31.1' },
      autoUpdate: false,
    });
    expect(running!.versions.filter((v) => v.installed).map((v) => v.version)).toEqual(['28.4']);

    await node.configs.update('bitcoin-core', { pinnedVersion: '28.4' });
    const [pinned] = await list(node);
    expect(pinned).toMatchObject({ installedVersion: '28.4', pinnedVersion: '28.4' });
    expect(pinned).not.toHaveProperty('update');
  });

  it('offers no update when the default already runs', async () => {
    const [current] = await list(await nodeWith({ 'bitcoin-core': '31.1' }, ['bitcoin-core']));
    expect(current).toMatchObject({ installedVersion: '31.1' });
    expect(current).not.toHaveProperty('update');
  });

  it("offers only the manifest's own version for an app the catalog does not list, or without a catalog", async () => {
    for (const catalog of [true, false]) {
      const [hello] = await list(await nodeWith({}, ['hello'], { catalog }));
      expect(hello!.defaultVersion).toBe('1.0.0');
      expect(hello!.versions).toEqual([
        {
          version: '1.0.0',
          display: '1.0.0',
          image: bundled('hello').image,
          default: true,
          deprecated: false,
          installed: false,
        },
      ]);
    }
  });

  it('is empty when the lifecycle has no bundled apps to offer', async () => {
    const methods = createRpcMethods({ lifecycle: (await nodeWith({})).lifecycle, info });
    await expect(methods['catalog-list'].invoke({})).resolves.toEqual({ apps: [] });
  });

  it('refuses params it does not take', async () => {
    const methods = createRpcMethods({ lifecycle: (await nodeWith({})).lifecycle, info });
    await expect(async () => methods['catalog-list'].invoke({ all: true })).rejects.toThrow(
      /Unrecognized key/,
    );
  });
});
