import type { ImageProgress } from '@archipelago/core/contract';
import { describe, expect, it } from 'vitest';
import { describeImageProgress, PHASE_STEPS } from './image-progress';

const base = { id: 'bitcoin-core', version: '31.1' } as const;
const tarball = 'bitcoin-31.1-x86_64-linux-gnu.tar.gz';

describe('describeImageProgress', () => {
  it('a download with a size: amount of total, percent, rate and time left', () => {
    const view = describeImageProgress({
      ...base,
      phase: 'download',
      detail: tarball,
      file: tarball,
      bytes: 45_000_000,
      total: 120_000_000,
      rateBytesPerSecond: 3_200_000,
      etaSeconds: 125,
    });
    expect(view).toEqual({
      step: 'Downloading the official release',
      // A file name keeps its case.
      detail: tarball,
      percent: 37,
      amount: '45.0 MB of 120 MB',
      rate: '3.2 MB/s',
      eta: '2 min 5 s left',
      valueText: '45.0 MB of 120 MB, 2 min 5 s left',
    });
  });

  it('a download of unknown size: bytes so far and rate, no percent and no time left', () => {
    const view = describeImageProgress({
      ...base,
      phase: 'download',
      detail: tarball,
      file: tarball,
      bytes: 7_500_000,
      rateBytesPerSecond: 1_000_000,
      etaSeconds: 30,
    });
    expect(view.percent).toBeUndefined();
    expect(view.eta).toBeUndefined();
    expect(view.amount).toBe('7.5 MB so far');
    expect(view.rate).toBe('1.0 MB/s');
    expect(view.valueText).toBe('7.5 MB so far');
  });

  it('a download that just started or finished: no rate of zero, no time left once complete', () => {
    const start = describeImageProgress({
      ...base,
      phase: 'download',
      detail: tarball,
      file: tarball,
      bytes: 0,
    });
    expect(start).toMatchObject({ amount: '0 B so far' });
    expect(start.rate).toBeUndefined();
    const done = describeImageProgress({
      ...base,
      phase: 'download',
      detail: tarball,
      bytes: 120_000_000,
      total: 120_000_000,
      rateBytesPerSecond: 0,
      etaSeconds: 0,
    });
    expect(done).toMatchObject({ percent: 100, amount: '120 MB of 120 MB' });
    expect(done.eta).toBeUndefined();
    expect(done.rate).toBeUndefined();
  });

  it('every other phase: its step in words and the daemon’s detail as a sentence', () => {
    const phases: Array<[ImageProgress['phase'], string]> = [
      ['keys', 'keys of 5 pinned builders'],
      ['signatures', 'checking the builders’ signatures over SHA256SUMS'],
      ['verify', `SHA-256 of ${tarball}`],
      ['build', 'building localhost/archipelago/bitcoin-core:31.1 from ' + tarball],
      ['sbom', 'listing and hashing every file of the image'],
    ];
    for (const [phase, detail] of phases) {
      const view = describeImageProgress({ ...base, phase, detail });
      expect(view.step).toBe(PHASE_STEPS[phase]);
      expect(view.detail).toBe(detail.charAt(0).toUpperCase() + detail.slice(1));
      expect(view.percent).toBeUndefined();
      expect(view.amount).toBeUndefined();
    }
  });

  it('a phase this UI does not know yet (a newer daemon) still reads as words', () => {
    const view = describeImageProgress({ ...base, phase: 'attest' as never, detail: 'signing' });
    expect(view.step).toBe('Attest');
    expect(view.detail).toBe('Signing');
  });
});
