import { describe, expect, it } from 'vitest';
import { ArchyError } from '../kernel/index.js';
import type { AppRecord } from '../orchestrator/app-record.js';
import { installRequestOf, planRestore, recoveryActionOf, type SnapshotApp } from './restore-plan.js';

function record(id: string, extra: Partial<AppRecord> = {}): AppRecord {
  return {
    id,
    manifestYaml: `id: ${id}\n`,
    manifestFile: `/srv/apps/${id}/manifest.yml`,
    version: '1.0.0',
    image: `127.0.0.1:5000/archy-test/${id}:1.0.0`,
    phase: 'installed',
    desired: 'running',
    installedAt: '2026-01-01T00:00:00.000Z',
    createdDataDir: true,
    ...extra,
  };
}

const app = (id: string, extra: Partial<SnapshotApp> = {}): SnapshotApp => ({
  id,
  version: '1.0.0',
  desired: 'running',
  manifest: 'file',
  includesChain: false,
  ...extra,
});

describe('planRestore', () => {
  const records = new Map([
    ['lnd', record('lnd', { bindings: { 'bitcoin-node': 'bitcoin-core' } })],
    ['bitcoin-core', record('bitcoin-core')],
    ['hello', record('hello')],
  ]);
  const snapshotApps = [app('lnd'), app('bitcoin-core'), app('hello', { desired: 'stopped' })];

  it('restores every app of the snapshot, providers before the apps bound to them', () => {
    const plan = planRestore({ snapshotApps, records, requested: [], installed: ['hello'] });
    expect(plan.map((p) => p.id)).toEqual(['bitcoin-core', 'hello', 'lnd']);
    expect(plan.find((p) => p.id === 'hello')).toMatchObject({ replaces: true, desired: 'stopped' });
    expect(plan.find((p) => p.id === 'lnd')?.replaces).toBe(false);
  });

  it('restores only the apps named', () => {
    const plan = planRestore({ snapshotApps, records, requested: ['hello', 'hello'], installed: [] });
    expect(plan.map((p) => p.id)).toEqual(['hello']);
  });

  it('refuses an app the snapshot does not hold, naming what it holds', () => {
    expect(() => planRestore({ snapshotApps, records, requested: ['nostr'], installed: [] })).toThrow(
      /holds no 'nostr' \(it holds lnd, bitcoin-core, hello\)/,
    );
  });

  it('refuses a snapshot app without its record', () => {
    expect(() =>
      planRestore({ snapshotApps: [app('ghost')], records, requested: [], installed: [] }),
    ).toThrow(ArchyError);
  });
});

describe('installRequestOf', () => {
  it('installs a bundled or catalog app from the bundled manifests at its recorded version and settings', () => {
    const request = installRequestOf({
      manifest: 'catalog',
      record: record('bitcoin-core', { version: '28.1', bitcoin: { network: 'signet', prune: 10 } }),
    });
    expect(request).toEqual({
      source: { kind: 'bundled', id: 'bitcoin-core' },
      version: '28.1',
      network: 'signet',
      prune: 10,
    });
  });

  it('installs an app from a file from the manifest text its record kept, with its bindings', () => {
    const request = installRequestOf({
      manifest: 'file',
      record: record('lnd', { bindings: { 'bitcoin-node': 'bitcoin-knots' } }),
    });
    expect(request).toEqual({
      source: {
        kind: 'manifest',
        yaml: 'id: lnd\n',
        file: '/srv/apps/lnd/manifest.yml',
        dir: '/srv/apps/lnd',
      },
      version: '1.0.0',
      choices: { 'bitcoin-node': 'bitcoin-knots' },
    });
  });

  it('re-confirms an imported app only with the images its record confirmed', () => {
    const request = installRequestOf({
      manifest: 'file',
      record: record('x', {
        manifestFile: 'manifest.yml',
        imported: {
          origin: { kind: 'umbrel', app: 'x', upstreamVersion: '1' },
          confirmedAt: 't',
          images: [],
        },
      }),
    });
    expect(request.confirmImported).toBe(true);
    expect(request.source).not.toHaveProperty('dir');
  });
});

describe('recoveryActionOf', () => {
  it('finishes an interrupted app, rolls back one that failed, leaves finished ones', () => {
    expect(recoveryActionOf({ step: 'swapped-out' })).toBe('finish');
    expect(recoveryActionOf({ step: 'pending' })).toBe('finish');
    expect(recoveryActionOf({ step: 'swapped-in', error: 'image gone' })).toBe('roll-back');
    expect(recoveryActionOf({ step: 'done' })).toBe('nothing');
    expect(recoveryActionOf({ step: 'rolled-back', error: 'x' })).toBe('nothing');
  });

  it('never rolls back an app already installed from the snapshot: only its clean-up is left', () => {
    expect(recoveryActionOf({ step: 'installed' })).toBe('finish');
    expect(recoveryActionOf({ step: 'installed', error: 'could not delete the old data' })).toBe('finish');
  });
});
