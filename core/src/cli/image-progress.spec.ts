import { describe, expect, it } from 'vitest';
import type { ImageProgress } from '../api/contract.js';
import { formatEta, ImageProgressView, renderImageProgress } from './image-progress.js';

const base = { id: 'bitcoin-core', version: '31.1' };
const download = (bytes: number, total?: number): ImageProgress => ({
  ...base,
  phase: 'download',
  detail: 'bitcoin-31.1-x86_64-linux-gnu.tar.gz',
  file: 'bitcoin-31.1-x86_64-linux-gnu.tar.gz',
  bytes,
  ...(total !== undefined && { total }),
  rateBytesPerSecond: 2_000_000,
  ...(total !== undefined && { etaSeconds: (total - bytes) / 2_000_000 }),
});

function capture(isTTY: boolean) {
  const written: string[] = [];
  return { written, output: { isTTY, columns: 100, write: (text: string) => written.push(text) } };
}

describe('the CLI’s image progress', () => {
  it('draws a download with a bar, amounts, rate and ETA', () => {
    const line = renderImageProgress(download(22_100_000, 48_900_000), 120);
    expect(line).toMatch(
      /^downloading bitcoin-31\.1-x86_64-linux-gnu\.tar\.gz {2}\[#+-+\] {2,}45% {2}22 MB\/49 MB {2}2\.0 MB\/s {2}ETA 0:13$/,
    );
    expect(renderImageProgress(download(1_000_000), 120)).toMatch(
      /^downloading .* {2}1\.0 MB {2}2\.0 MB\/s$/,
    );
    expect(renderImageProgress(download(1, 2), 40).length).toBeLessThanOrEqual(40);
  });

  it('says the other steps in words', () => {
    expect(renderImageProgress({ ...base, phase: 'keys', detail: 'keys of 10 pinned builders' }, 80)).toBe(
      'keys: keys of 10 pinned builders',
    );
    expect(formatEta(3725)).toBe('1:02:05');
    expect(formatEta(65)).toBe('1:05');
  });

  it('prints whole lines to a pipe, each step once, the download now and then, and nothing for ready', () => {
    let clock = 0;
    const { written, output } = capture(false);
    const view = new ImageProgressView(output, { now: () => clock, plainLineMs: 5000 });
    const long = 'x'.repeat(150);
    view.update({ ...base, phase: 'signatures', detail: long });
    view.update({ ...base, phase: 'signatures', detail: long });
    view.update(download(0, 10));
    clock = 1000;
    view.update(download(5, 10)); // too soon after the last line
    clock = 7000;
    view.update(download(10, 10));
    view.update({ ...base, phase: 'ready', detail: 'image ready: sha256:…' });
    view.finish();
    expect(written).toHaveLength(3);
    expect(written[0]).toBe(`signatures: ${long}\n`); // not cut to a terminal's width
    expect(written[2]).toMatch(/100%/);
  });

  it('redraws one line on a terminal, and starts a new one for the next step', () => {
    const { written, output } = capture(true);
    const view = new ImageProgressView(output, { now: () => 0, redrawMs: 0 });
    view.update(download(5, 10));
    view.update({ ...base, phase: 'verify', detail: 'SHA-256 of the tarball' });
    expect(written[0]!.startsWith('\r')).toBe(true);
    expect(written[0]).toContain('50%');
    expect(written[0]!.endsWith('\u001b[K')).toBe(true); // erase to the end of the line
    expect(written.slice(1)).toEqual(['\n', 'verify: SHA-256 of the tarball\n']);
  });
});
