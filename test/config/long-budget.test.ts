import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { MAX_TIMER_S } from '../../src/config/minimums.js';
import { shippedConfig } from '../helpers/app.js';
import { startFixture } from '../orchestrator/fixture.js';
import { postJson } from '../orchestrator/support.js';

/**
 * A run's deadline is a node timer, which waits at most 2^31 - 1 ms and fires after 1 ms for a longer
 * delay: with limits.default_timeout_s at 3,000,000 s every workflow ended `timed_out` within ms.
 */
describe('the longest time budget', () => {
  it('a config whose limits.default_timeout_s is beyond what a timer can wait is refused with its path', () => {
    const raw = shippedConfig();
    raw.limits = { ...raw.limits, default_timeout_s: 3_000_000 };
    expect(() => parseConfig(raw, {})).toThrow(/limits\.default_timeout_s: must be at most 2147483 seconds/);
  });

  it('a workflow under the longest budget allowed runs to completion (its deadline timer does not fire at once)', async () => {
    const f = await startFixture((raw) => {
      raw.limits = { ...raw.limits, default_timeout_s: MAX_TIMER_S };
    });
    afterAll(() => f.close());
    const { status, body } = await postJson(`${f.t.url}/workflow`, { workflow: { linear_queue: [{ id: 'a', prompt: 'hello' }] } });
    expect(status).toBe(200);
    expect(body.status).toBe('completed');
  });
});
