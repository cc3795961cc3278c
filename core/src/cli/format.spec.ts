import { describe, expect, it } from 'vitest';
import type { AppHealth, AppStatus } from '../api/contract.js';
import {
  formatAppHealth,
  formatAppList,
  formatAppStatus,
  formatBytes,
  formatKeyValues,
  formatTable,
} from './format.js';

const hello: AppStatus = {
  id: 'hello',
  name: 'Hello',
  version: '1.0.0',
  image: '127.0.0.1:5000/apps/hello:1.0.0',
  state: 'running',
  health: 'healthy',
  containerId: '0123456789abcdef0123',
  containerName: 'archy-hello',
  ports: [{ container: 8080, host: 18080, protocol: 'tcp' }],
  desired: 'running',
  installedAt: '2026-01-01T00:00:00.000Z',
  restartCount: 0,
  services: [],
};

describe('formatTable', () => {
  it('aligns columns two spaces apart without trailing spaces', () => {
    expect(
      formatTable(
        ['ID', 'STATE', 'PORTS'],
        [
          ['bitcoin-core', 'running', '8332->8332/tcp'],
          ['lnd', 'crash-loop', '-'],
        ],
      ),
    ).toBe(
      [
        'ID            STATE       PORTS',
        'bitcoin-core  running     8332->8332/tcp',
        'lnd           crash-loop  -',
      ].join('\n'),
    );
  });
});

describe('formatAppList', () => {
  it('shows id, version, state, health and ports', () => {
    const lnd: AppStatus = {
      ...hello,
      id: 'lnd',
      version: '0.18.3',
      state: 'stopped',
      health: 'none',
      ports: [],
    };
    expect(formatAppList([hello, lnd])).toBe(
      [
        'ID     VERSION  STATE    HEALTH   PORTS',
        'hello  1.0.0    running  healthy  18080->8080/tcp',
        'lnd    0.18.3   stopped  none     -',
      ].join('\n'),
    );
  });

  it('says what to do when nothing is installed', () => {
    expect(formatAppList([])).toMatch(/^no apps installed; install one with: archy install/);
  });
});

describe('status and health blocks', () => {
  it('prints a key: value block and leaves out what is unknown', () => {
    const text = formatAppStatus({ ...hello, state: 'stopped', message: 'exited with code 1' });
    expect(text).toContain('state:     stopped (wanted running)');
    expect(text).toContain('container: archy-hello (0123456789ab)');
    expect(text).toContain('message:   exited with code 1');
    expect(text).not.toContain('started:');
  });

  it("says where an adopted app's data is and how to give it back", () => {
    const text = formatAppStatus({
      ...hello,
      adopted: {
        source: { kind: 'parmanode', home: '/home/parman', entry: 'bitcoin' },
        volumes: { bitcoin: '/media/parman/parmanode/.bitcoin' },
        originalOwner: { uid: 1000, gid: 1000 },
        hostServices: [],
        adoptedAt: '2026-12-06T20:00:00.000Z',
      },
    });
    expect(text).toMatch(
      /adopted: +runs on Parmanode data in place: \/media\/parman\/parmanode\/\.bitcoin \(give it back with archy parmanode release\)/,
    );
  });

  it('aligns keys', () => {
    expect(
      formatKeyValues([
        ['id', 'x'],
        ['restarts', 3],
        ['gone', undefined],
      ]),
    ).toBe('id:       x\nrestarts: 3');
  });

  it('lists probes newest first as given', () => {
    const health: AppHealth = {
      id: 'hello',
      status: 'unhealthy',
      since: '2026-01-01T00:01:00.000Z',
      restartCount: 2,
      probes: [
        { at: '2026-01-01T00:01:00.000Z', ok: false, detail: 'connection refused on :8080', durationMs: 3 },
        { at: '2026-01-01T00:00:30.000Z', ok: true, detail: 'HTTP 200 from :8080/', durationMs: 12 },
      ],
    };
    const text = formatAppHealth(health);
    expect(text).toContain('health:   unhealthy');
    expect(text).toMatch(/2026-01-01T00:01:00.000Z\s+failed\s+3 ms\s+connection refused on :8080\n/);
    expect(formatAppHealth({ ...health, probes: [] })).toContain('probes:   none yet');
  });
});

describe('formatBytes', () => {
  it.each([
    [0, '0 B'],
    [999, '999 B'],
    [1000, '1.0 kB'],
    [12_345_678, '12 MB'],
    [1_500_000_000, '1.5 GB'],
    [-1, '?'],
  ])('%d → %s', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });
});
