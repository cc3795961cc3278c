import { describe, expect, it } from 'vitest';
import { bannerOfRun } from './run-banner.js';

const now = Date.parse('2026-12-07T05:00:00Z');
const banner = (at?: string) => ({ implementation: 'core' as const, version: '29.3.0', ...(at && { at }) });

describe('bannerOfRun', () => {
  it('takes the newest banner when this run printed it', () => {
    expect(bannerOfRun(banner('2026-12-07T04:59:10Z'), '2026-12-07T04:59:09.812Z', now)).toEqual(
      banner('2026-12-07T04:59:10Z'),
    );
  });

  it('allows for a start time reported a little after the first log line', () => {
    expect(bannerOfRun(banner('2026-12-07T04:59:07Z'), '2026-12-07T04:59:09.812Z', now)).toBeDefined();
  });

  it("leaves out another run's banner from before this start", () => {
    expect(bannerOfRun(banner('2026-12-07T04:50:00Z'), '2026-12-07T04:59:09.812Z', now)).toBeUndefined();
  });

  it('leaves out a banner stamped after now: no healthy run printed it', () => {
    expect(bannerOfRun(banner('2026-12-07T05:00:02Z'), '2026-12-07T04:59:09.812Z', now)).toBeUndefined();
    expect(bannerOfRun(banner('2026-12-07T05:00:02Z'), undefined, now)).toBeUndefined();
  });

  it('keeps a banner without a time, and nothing stays nothing', () => {
    expect(bannerOfRun(banner(), '2026-12-07T04:59:09.812Z', now)).toEqual(banner());
    expect(bannerOfRun(undefined, '2026-12-07T04:59:09.812Z', now)).toBeUndefined();
  });
});
