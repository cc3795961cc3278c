// Manifests and installed-app snapshots for the resolver's specs: small builders so each test
// states only the fields it is about.

import type { AppState } from '../kernel/index.js';
import type { AppManifest, DependencySpec } from '../manifest/index.js';
import type { AvailableApp, InstalledApp } from './types.js';

export function manifest(id: string, fields: Partial<AppManifest> = {}): AppManifest {
  const version = fields.version ?? '1.0.0';
  return {
    id,
    name: id,
    version,
    category: 'other',
    image: `127.0.0.1:5000/apps/${id}:${version}`,
    env: {},
    ports: [],
    volumes: [],
    resources: {},
    dependencies: [],
    provides: [],
    conflicts: [],
    security: { capAdd: [], readOnlyRootfs: true, tmpfs: [], noNewPrivileges: true },
    stopTimeout: 30_000,
    services: [],
    main: 'main',
    ...fields,
  };
}

export const needs = (
  id: string,
  requires: DependencySpec['requires'] = 'running',
  version?: string,
): DependencySpec => (version === undefined ? { id, requires } : { id, requires, version });

/** Declares conflicts with Knots; Knots declares none, so one-sided conflicts are exercised. */
export const bitcoinCore = (version = '28.4'): AppManifest =>
  manifest('bitcoin-core', {
    version,
    category: 'bitcoin',
    provides: ['bitcoin-node'],
    conflicts: ['bitcoin-knots'],
    bitcoin: { implementation: 'core', network: 'regtest', rpcPort: 18443, p2pPort: 18444 },
  });

export const bitcoinKnots = (version = '29.3.knots20260508'): AppManifest =>
  manifest('bitcoin-knots', {
    version,
    category: 'bitcoin',
    provides: ['bitcoin-node'],
    bitcoin: { implementation: 'knots', network: 'regtest', rpcPort: 18443 },
  });

export const lnd = (range?: string): AppManifest =>
  manifest('lnd', { version: '0.18.3-beta', dependencies: [needs('bitcoin-node', 'running', range)] });

export const rtl = (): AppManifest => manifest('rtl', { dependencies: [needs('lnd')] });

export const available = (...manifests: AppManifest[]): AvailableApp[] =>
  manifests.map((m) => ({ manifest: m }));

export function installed(
  app: AppManifest,
  state: AppState = 'running',
  extra: Partial<InstalledApp> = {},
): InstalledApp {
  return { id: app.id, version: app.version, manifest: app, state, ...extra };
}
