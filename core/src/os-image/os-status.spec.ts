// The OS status from its parts (pure), and read from real files in a temp folder laid out as on
// the image (ARCHY_OS_ROOT), including files a newer or broken tool might leave.

import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { OsBootRecord, OsUpdateState } from '../kernel/index.js';
import { composeOsStatus, readOsStatus, type OsStatusInputs } from './os-status.js';
import { osImagePaths } from './paths.js';

const BOOT = Date.parse('2026-12-07T10:00:00Z');
const base: OsStatusInputs = {
  version: '0.2.0',
  cmdline: 'root=PARTLABEL=archy-root-a ro archy.slot=a',
  bootTimeMs: BOOT,
  bootId: 'boot-2',
  updateState: undefined,
  bootState: undefined,
  bootFailed: undefined,
  download: undefined,
  ssh: { enabled: false, keys: [] },
};
const applied = (at: string): OsUpdateState => ({ state: 'applied', version: '0.3.0', slot: 'b', at });
const failedBoot: OsBootRecord = {
  slot: 'b',
  version: '0.3.0',
  counted: true,
  result: 'failed',
  reason: 'archipelago.service failed (journalctl -u archipelago)',
  bootId: 'boot-1',
  at: '2026-12-07T09:58:00Z',
};

describe('composeOsStatus', () => {
  it('is unsupported without the version file or without a slot on the command line', () => {
    expect(composeOsStatus({ ...base, version: undefined })).toMatchObject({
      supported: false,
      reason: expect.stringContaining('not Archipelago OS'),
    });
    expect(composeOsStatus({ ...base, cmdline: 'root=/dev/sda1 ro' })).toMatchObject({
      supported: false,
      reason: expect.stringContaining('archy.slot='),
    });
  });

  it('reports the running slot and an empty other slot on a fresh image', () => {
    expect(composeOsStatus(base)).toEqual({
      supported: true,
      version: '0.2.0',
      slot: 'a',
      otherSlot: { slot: 'b' },
      rebootPending: false,
      ssh: { enabled: false, keys: [] },
    });
  });

  it('says a restart is pending for an update applied during this boot', () => {
    const status = composeOsStatus({ ...base, updateState: applied('2026-12-07T10:05:00Z') });
    expect(status).toMatchObject({ rebootPending: true, otherSlot: { slot: 'b', version: '0.3.0' } });
    expect(status).not.toHaveProperty('fellBack');
  });

  it('says the loader fell back, with the boot check reason, when an update applied before this boot is not running', () => {
    const status = composeOsStatus({
      ...base,
      updateState: applied('2026-12-07T09:50:00Z'),
      bootFailed: failedBoot,
    });
    expect(status).toMatchObject({
      rebootPending: false,
      fellBack: {
        from: { slot: 'b', version: '0.3.0' },
        to: { slot: 'a', version: '0.2.0' },
        reason: '0.3.0 did not come up: archipelago.service failed (journalctl -u archipelago)',
      },
    });
  });

  it('says so too when the new slot never reached the boot check (no failure record of it)', () => {
    const status = composeOsStatus({
      ...base,
      updateState: applied('2026-12-07T09:50:00Z'),
      // An older failure of another version is not this update's.
      bootFailed: { ...failedBoot, version: '0.2.9', at: '2026-12-01T00:00:00Z' },
    });
    expect(status.supported && status.fellBack?.reason).toMatch(/never reached the boot check/);
  });

  it('reports neither once the update runs (the loader switched and the boot was blessed)', () => {
    const status = composeOsStatus({
      ...base,
      version: '0.3.0',
      cmdline: 'archy.slot=b',
      updateState: applied('2026-12-07T09:50:00Z'),
      bootState: { ...failedBoot, result: 'ok', counted: true, bootId: 'boot-2', at: '2026-12-07T10:01:00Z' },
    });
    expect(status).toMatchObject({
      slot: 'b',
      rebootPending: false,
      lastBoot: { result: 'ok', thisBoot: true },
    });
    expect(status).not.toHaveProperty('fellBack');
  });

  it("marks an earlier boot's record as not this boot's", () => {
    const status = composeOsStatus({ ...base, bootState: failedBoot });
    expect(status.supported && status.lastBoot?.thisBoot).toBe(false);
  });
});

describe('readOsStatus', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  async function image(files: Record<string, string>): Promise<ReturnType<typeof osImagePaths>> {
    dir = await mkdtemp(join(tmpdir(), 'archy-os-status-'));
    const env = {
      ARCHY_OS_ROOT: dir,
      ARCHY_OS_CMDLINE: join(dir, 'cmdline'),
      ARCHY_OS_BOOT_ID_FILE: join(dir, 'boot_id'),
      ARCHY_OS_UPTIME_FILE: join(dir, 'uptime'),
    };
    for (const [name, text] of Object.entries(files)) {
      const path = join(dir, name);
      await mkdir(join(path, '..'), { recursive: true });
      await writeFile(path, text);
    }
    return osImagePaths(env);
  }

  it('reads the version, slot, state files and boot time from the files the root tools write', async () => {
    const paths = await image({
      'usr/lib/archipelago-os/version': '0.2.0\n',
      cmdline: 'root=PARTLABEL=archy-root-a ro archy.slot=a\n',
      boot_id: 'boot-2\n',
      // Booted 600 s before "now" (10:10): at 10:00.
      uptime: '600.00 1000.00\n',
      'var/lib/archipelago-os/update-state.json': `${JSON.stringify(applied('2026-12-07T09:50:00Z'))}\n`,
      'var/lib/archipelago-os/boot-failed.json': `${JSON.stringify(failedBoot)}\n`,
      // ssh-switch's flag (its keys are read by ssh-state.spec.ts, with real keys).
      'var/lib/archipelago-os/ssh/enabled': '',
      'var/lib/archipelago-os/boot-state.json': JSON.stringify({
        ...failedBoot,
        slot: 'a',
        version: '0.2.0',
        counted: false,
        result: 'ok',
        bootId: 'boot-2',
      }),
    });
    const status = await readOsStatus(paths, undefined, Date.parse('2026-12-07T10:10:00Z'));
    expect(status).toMatchObject({
      supported: true,
      version: '0.2.0',
      slot: 'a',
      lastBoot: { result: 'ok', thisBoot: true },
      fellBack: { from: { version: '0.3.0' }, reason: expect.stringContaining('archipelago.service failed') },
      ssh: { enabled: true, keys: [] },
    });
  });

  it('leaves out a state file that does not parse instead of failing', async () => {
    const paths = await image({
      'usr/lib/archipelago-os/version': '0.2.0\n',
      cmdline: 'archy.slot=b',
      uptime: '5.0 1.0',
      'var/lib/archipelago-os/update-state.json': '{"state":"half-writ',
      'var/lib/archipelago-os/boot-state.json': '{"state":"from a newer tool","version":1}',
    });
    const status = await readOsStatus(paths);
    expect(status).toEqual({
      supported: true,
      version: '0.2.0',
      slot: 'b',
      otherSlot: { slot: 'a' },
      rebootPending: false,
      ssh: { enabled: false, keys: [] },
    });
  });

  it('is unsupported on a host without the files', async () => {
    const paths = await image({ cmdline: 'BOOT_IMAGE=/vmlinuz root=/dev/sda1' });
    expect(await readOsStatus(paths)).toMatchObject({ supported: false });
  });
});
