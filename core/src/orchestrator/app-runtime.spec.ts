import { describe, expect, it } from 'vitest';
import { parseManifest } from '../manifest/index.js';
import { HealthTracker } from '../health/index.js';
import type { AppRecord } from './app-record.js';
import { deriveState, thisRunsBanner, toStatus, type AppRuntime } from './app-runtime.js';

const withHealth = parseManifest(
  `id: web\nname: Web\nversion: "1.0.0"\nimage: 127.0.0.1:5000/apps/web:1.0.0\nports:\n  - container: 80\n    host: 8081\nhealth:\n  http: { port: 80 }\n`,
  'web.yml',
);
const withoutHealth = parseManifest(
  `id: job\nname: Job\nversion: "1.0.0"\nimage: 127.0.0.1:5000/apps/job:1.0.0\n`,
  'job.yml',
);

function runtime(overrides: Partial<AppRuntime> & { desired?: AppRecord['desired'] } = {}): AppRuntime {
  const manifest = overrides.manifest ?? withHealth;
  const record: AppRecord = {
    id: manifest.id,
    manifestYaml: '',
    manifestFile: 'x.yml',
    version: manifest.version,
    image: manifest.image,
    phase: 'installed',
    desired: overrides.desired ?? 'running',
    installedAt: '2026-01-01T00:00:00.000Z',
    createdDataDir: true,
  };
  return { record, manifest, restartCount: 0, ...overrides };
}

const healthy = () => {
  const tracker = new HealthTracker({ startPeriod: 0, retries: 1 }, 0);
  tracker.record({ at: '', ok: true, detail: '', durationMs: 1 }, 1);
  return tracker;
};
const unhealthy = () => {
  const tracker = new HealthTracker({ startPeriod: 0, retries: 1 }, 0);
  tracker.record({ at: '', ok: false, detail: '', durationMs: 1 }, 1);
  return tracker;
};

describe('deriveState', () => {
  it('shows an operation in progress over anything observed', () => {
    expect(deriveState(runtime({ transition: 'installing' })).state).toBe('installing');
    expect(
      deriveState(runtime({ transition: 'stopping', container: { id: 'c', running: true } })).state,
    ).toBe('stopping');
  });

  it('maps a running container through its health', () => {
    const running = { id: 'c', running: true };
    expect(deriveState(runtime({ container: running }))).toEqual({ state: 'starting', health: 'starting' });
    expect(deriveState(runtime({ container: running, health: healthy() }))).toEqual({
      state: 'running',
      health: 'healthy',
    });
    expect(deriveState(runtime({ container: running, health: unhealthy() }))).toEqual({
      state: 'unhealthy',
      health: 'unhealthy',
    });
    expect(deriveState(runtime({ manifest: withoutHealth, container: running }))).toEqual({
      state: 'running',
      health: 'none',
    });
  });

  it('tells a user stop from a failure', () => {
    const exited = { id: 'c', running: false, exitCode: 0 };
    expect(deriveState(runtime({ desired: 'stopped', container: exited }))).toEqual({
      state: 'stopped',
      health: 'none',
    });
    expect(deriveState(runtime({ desired: 'running', container: exited }))).toEqual({
      state: 'failed',
      health: 'unhealthy',
    });
    expect(deriveState(runtime({ desired: 'running' })).state).toBe('failed');
  });
});

describe('toStatus', () => {
  it('carries the exit code and a message that says what to do when an app failed', () => {
    const status = toStatus(runtime({ container: { id: 'c', running: false, exitCode: 3 } }));
    expect(status).toMatchObject({ id: 'web', state: 'failed', exitCode: 3, containerName: 'archy-web' });
    expect(status.message).toContain('status 3');
    expect(status.message).toContain('archy start');
  });

  it('lists published ports', () => {
    expect(toStatus(runtime()).ports).toEqual([{ container: 80, host: 8081, protocol: 'tcp' }]);
  });
});

describe('thisRunsBanner', () => {
  it("bounds the marker's banner by this container's start, when known", () => {
    const startedAt = '2026-12-07T04:59:09.812Z';
    expect(thisRunsBanner(runtime({ container: { id: 'c1', running: true, startedAt } }))).toEqual({
      banner: true,
      runStartedAt: startedAt,
    });
    expect(thisRunsBanner(runtime({ container: { id: 'c1', running: true } }))).toEqual({ banner: true });
  });
});
