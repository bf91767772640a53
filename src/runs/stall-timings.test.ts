import { describe, expect, it } from 'vitest';
import { stallTimings, worstTakeoverMs } from './stall-timings.js';

describe('stallTimings', () => {
  it('requeues a dead replica’s run within run_stall_s, with room left for another worker to take it', () => {
    for (const stallMs of [1000, 4000, 30_000, 120_000]) {
      const timings = stallTimings(stallMs);
      expect(worstTakeoverMs(timings)).toBeLessThanOrEqual(0.6 * stallMs);
      // A lock renewed every lockDuration / 2 must outlast a check interval, or a live run could be taken as stalled.
      expect(timings.lockDuration).toBeGreaterThan(timings.stalledInterval);
    }
  });

  it('gives the default 30 s a 10 s lock and a check every 6 s', () => {
    expect(stallTimings(30_000)).toEqual({ lockDuration: 10_000, stalledInterval: 6000 });
  });
});
