import { describe, expect, it } from 'vitest';
import type { PullProgress } from '../api/contract.js';
import { PullProgressView, pullFraction, renderProgressBar, renderProgressLine } from './progress-bar.js';

const progress = (overrides: Partial<PullProgress> = {}): PullProgress => ({
  id: 'hello',
  image: '127.0.0.1:5000/apps/hello:1.0.0',
  completedBytes: 10_000_000,
  totalBytes: 25_000_000,
  layersDone: 1,
  layersTotal: 3,
  ...overrides,
});

describe('renderProgressBar', () => {
  it('shows image, bar, percent, bytes and layers', () => {
    expect(renderProgressBar(progress(), 100)).toBe(
      'pulling 127.0.0.1:5000/apps/hello:1.0.0  [##########---------------]   40%  10 MB/25 MB  layers 1/3',
    );
  });

  it('never exceeds the terminal width, shortening the image name first', () => {
    const line = renderProgressBar(progress({ image: `registry.example/${'x'.repeat(80)}:1.0` }), 80);
    expect(line.length).toBeLessThanOrEqual(80);
    expect(line).toContain('…');
    expect(line).toContain('40%');
  });

  it('falls back to layers, then to unknown, while sizes are not known yet', () => {
    expect(pullFraction(progress({ totalBytes: 0, completedBytes: 0, layersDone: 1, layersTotal: 4 }))).toBe(
      0.25,
    );
    const unknown = progress({ totalBytes: 0, completedBytes: 0, layersDone: 0, layersTotal: 0 });
    expect(pullFraction(unknown)).toBeUndefined();
    expect(renderProgressBar(unknown, 100)).toContain('[-------------------------]    ?%  0 B  layers 0/0');
  });

  it('clamps overshoot to 100%', () => {
    expect(renderProgressBar(progress({ completedBytes: 30_000_000 }), 100)).toContain('100%');
  });

  it('has a plain form for logs', () => {
    expect(renderProgressLine(progress())).toBe(
      'pulling 127.0.0.1:5000/apps/hello:1.0.0: 40% (10 MB/25 MB  layers 1/3)',
    );
  });
});

function recordingOutput(isTTY: boolean) {
  const writes: string[] = [];
  return { writes, output: { isTTY, columns: 100, write: (text: string) => writes.push(text) } };
}

describe('PullProgressView', () => {
  it('redraws one line on a terminal, at most every 100 ms, and ends it on finish', () => {
    let now = 0;
    const { writes, output } = recordingOutput(true);
    const view = new PullProgressView(output, { now: () => now });
    view.update(progress({ completedBytes: 1 }));
    now = 50;
    view.update(progress({ completedBytes: 2 })); // too soon: skipped
    now = 150;
    view.update(progress({ completedBytes: 3 }));
    view.finish();
    expect(writes).toHaveLength(3);
    expect(writes[0]!.startsWith('\rpulling ') && writes[0]!.endsWith('\x1b[K')).toBe(true);
    expect(writes[2]).toBe('\n');
  });

  it('prints a plain line every 5 s elsewhere, and always the finished one', () => {
    let now = 0;
    const { writes, output } = recordingOutput(false);
    const view = new PullProgressView(output, { now: () => now });
    for (now = 0; now < 12_000; now += 1000) view.update(progress({ completedBytes: now }));
    view.update(progress({ completedBytes: 25_000_000, layersDone: 3 }));
    view.update(progress({ completedBytes: 25_000_000, layersDone: 3 })); // repeated: not printed again
    view.finish();
    expect(writes.map((line) => line.match(/: (\S+%)/)?.[1])).toEqual(['0%', '0%', '0%', '100%']);
    expect(writes.every((line) => line.endsWith('\n') && !line.includes('\r'))).toBe(true);
  });
});
