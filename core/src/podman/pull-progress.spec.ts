import { describe, expect, it } from 'vitest';
import { PullProgressTracker } from './pull-progress.js';
import { splitReference } from './pull.js';

describe('pull progress aggregation', () => {
  it('sums bytes across blobs and counts finished ones', () => {
    const tracker = new PullProgressTracker();
    tracker.apply({ status: 'Pulling fs layer', id: 'a' });
    tracker.apply({ status: 'Pulling fs layer', id: 'b' });
    tracker.apply({ status: 'Downloading', id: 'a', progressDetail: { current: 10, total: 100 } });
    tracker.apply({ status: 'Downloading', id: 'b', progressDetail: { current: 5, total: 50 } });
    expect(tracker.snapshot()).toMatchObject({
      completedBytes: 15,
      totalBytes: 150,
      layersDone: 0,
      layersTotal: 2,
    });
    tracker.apply({ status: 'Download complete', id: 'a' });
    expect(tracker.snapshot()).toMatchObject({
      completedBytes: 105,
      totalBytes: 150,
      layersDone: 1,
      layersTotal: 2,
    });
    tracker.apply({ status: 'Already exists', id: 'c' });
    expect(tracker.snapshot()).toMatchObject({ layersDone: 2, layersTotal: 3 });
  });

  it('ignores lines without a blob id and repeated completions', () => {
    const tracker = new PullProgressTracker();
    expect(tracker.apply({ status: 'Pulling from apps/hello' })).toBe(false);
    tracker.apply({ status: 'Pulling fs layer', id: 'a' });
    expect(tracker.apply({ status: 'Download complete', id: 'a' })).toBe(true);
    expect(tracker.apply({ status: 'Download complete', id: 'a' })).toBe(false);
  });

  it('splits references into fromImage and tag the way the compat endpoint wants them', () => {
    expect(splitReference('127.0.0.1:5000/apps/hello:1.0.0')).toEqual({
      fromImage: '127.0.0.1:5000/apps/hello',
      tag: '1.0.0',
    });
    expect(splitReference('127.0.0.1:5000/apps/hello')).toEqual({
      fromImage: '127.0.0.1:5000/apps/hello',
      tag: 'latest',
    });
    expect(splitReference('host/a@sha256:abc')).toEqual({ fromImage: 'host/a@sha256:abc', tag: undefined });
  });
});
