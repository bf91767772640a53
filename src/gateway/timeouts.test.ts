import { describe, expect, it } from 'vitest';
import { testConfig } from '../../test/helpers/gateway-config.js';
import { resolveModel } from './fallback.js';
import { resolveTimeouts } from './timeouts.js';

describe('resolveTimeouts', () => {
  const { config } = testConfig({
    models: { primary: { provider: 'alpha', model: 'p', timeouts: { first_byte_ms: 5000, total_ms: 20_000 } } },
    edit: (raw) => (raw.providers.alpha.timeouts = { stream_idle_ms: 7000, connect_ms: 2000 }),
  });
  const primary = resolveModel(config, 'primary')!;

  it('takes each limit from the model, else its provider, else the defaults', () => {
    expect(resolveTimeouts(config, primary, config.providers.alpha, 60_000)).toEqual({
      connect_ms: 2000,
      first_byte_ms: 5000,
      stream_idle_ms: 7000,
      response_ms: config.timeouts.response_ms,
      total_ms: 20_000,
      budget_limited: false,
    });
    const backup = resolveModel(config, 'backup')!;
    expect(resolveTimeouts(config, backup, config.providers.beta, 60_000)).toMatchObject({
      connect_ms: config.timeouts.connect_ms,
      first_byte_ms: config.timeouts.first_byte_ms,
      total_ms: 60_000,
    });
  });

  it("never lets an attempt outlive the caller's remaining budget, and says when the budget is the limit", () => {
    expect(resolveTimeouts(config, primary, config.providers.alpha, 1234)).toMatchObject({ total_ms: 1234, budget_limited: true });
  });
});
