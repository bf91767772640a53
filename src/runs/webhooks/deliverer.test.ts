import { describe, expect, it } from 'vitest';
import { WebhooksSchema } from '../../config/schema.js';
import { nextSettlement } from './deliverer.js';

const config = WebhooksSchema.parse({});
const T0 = 1_700_000_000_000;

describe('webhook retry schedule', () => {
  it('retries the first failure within 60 s with the default settings, whatever the jitter', () => {
    for (const r of [0, 0.5, 0.999]) {
      const next = nextSettlement(config, { created_ms: T0 }, 1, T0, () => r);
      expect(next.kind).toBe('retry');
      expect(next.kind === 'retry' && next.at_ms - T0).toBeLessThanOrEqual(60_000);
    }
  });

  it('doubles the delay per attempt up to the cap, with at most half of it random', () => {
    const delays = [1, 2, 3, 4].map((n) => {
      const next = nextSettlement(config, { created_ms: T0 }, n, T0, () => 0);
      return next.kind === 'retry' ? next.at_ms - T0 : -1;
    });
    expect(delays).toEqual([2_500, 5_000, 10_000, 20_000]);
    const capped = nextSettlement(config, { created_ms: T0 }, 30, T0, () => 0.999);
    expect(capped.kind === 'retry' && capped.at_ms - T0).toBeLessThanOrEqual(config.retry_cap_ms);
  });

  it('keeps retrying for max_age_h (24 h): the last retry falls at the 24 h mark, then it gives up', () => {
    const dayMs = 24 * 3_600_000;
    const late = nextSettlement(config, { created_ms: T0 }, 20, T0 + dayMs - 60_000, () => 0.999);
    expect(late).toEqual({ kind: 'retry', at_ms: T0 + dayMs });
    expect(nextSettlement(config, { created_ms: T0 }, 21, T0 + dayMs, () => 0)).toEqual({ kind: 'expired' });
  });
});
