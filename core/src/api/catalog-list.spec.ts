import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { AppStatus } from './contract.js';
import { createRpcMethods } from './rpc-methods.js';
import { parseManifest } from '../manifest/index.js';
import type { AppLifecycle } from '../orchestrator/lifecycle.js';

// `catalog-list` as the method table binds it: the bundled manifests, marked installed or not.
const info = { version: '0', dataDir: '/d', podman: { version: '4', rootless: true }, startedAt: '' };
const bundled = (id: string) => {
  const file = new URL(`../../../apps/${id}/manifest.yml`, import.meta.url);
  return parseManifest(readFileSync(file, 'utf8'), file.pathname);
};

function lifecycleWith(installed: string[], manifests?: string[]): AppLifecycle {
  return {
    list: async () => installed.map((id) => ({ id }) as AppStatus),
    ...(manifests && { availableManifests: async () => manifests.map(bundled) }),
  } as AppLifecycle;
}

describe('catalog-list RPC method', () => {
  it('lists the bundled apps by name, with relations, marking the installed ones', async () => {
    const methods = createRpcMethods({
      lifecycle: lifecycleWith(['hello'], ['hello', 'bitcoin-knots']),
      info,
    });
    const { apps } = (await methods['catalog-list'].invoke({})) as {
      apps: Array<Record<string, unknown>>;
    };
    expect(apps.map((app) => [app.id, app.installed])).toEqual([
      ['bitcoin-knots', false],
      ['hello', true],
    ]);
    expect(apps[0]).toMatchObject({
      name: 'Bitcoin Knots',
      version: '29.3.knots20260508',
      category: 'bitcoin',
      provides: ['bitcoin-node'],
      conflicts: ['bitcoin-core'],
      dependencies: [],
    });
    expect(apps[1]).toMatchObject({ description: expect.stringContaining('web server') });
  });

  it('is empty when the lifecycle has no bundled apps to offer', async () => {
    const methods = createRpcMethods({ lifecycle: lifecycleWith([]), info });
    await expect(methods['catalog-list'].invoke({})).resolves.toEqual({ apps: [] });
  });

  it('refuses params it does not take', async () => {
    const methods = createRpcMethods({ lifecycle: lifecycleWith([]), info });
    await expect(async () => methods['catalog-list'].invoke({ all: true })).rejects.toThrow(
      /Unrecognized key/,
    );
  });
});
