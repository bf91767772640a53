import { describe, expect, it } from 'vitest';
import { ProviderError } from '../providers/provider-error.js';
import { testConfig } from '../../test/helpers/gateway-config.js';
import { decideAfterFailure, fullJitterDelay } from './retry.js';

const rules = testConfig().config.error_handling;
const err = (init: Partial<ConstructorParameters<typeof ProviderError>[0]> & { kind: ProviderError['kind'] }) =>
  new ProviderError({ provider: 'alpha', message: 'boom', ...init });

describe('fullJitterDelay', () => {
  it('stays within [0, min(cap, base × 2^retry))', () => {
    expect(fullJitterDelay(100, 10_000, 0, () => 0.999)).toBeLessThan(100);
    expect(fullJitterDelay(100, 10_000, 3, () => 0.999)).toBeLessThan(800);
    expect(fullJitterDelay(100, 10_000, 3, () => 0.999)).toBeGreaterThan(790);
    expect(fullJitterDelay(100, 500, 10, () => 0.999)).toBeLessThan(500);
    expect(fullJitterDelay(100, 500, 10, () => 0)).toBe(0);
  });
});

describe('decideAfterFailure', () => {
  it('retries a server error with jittered backoff until max_retries, then moves on', () => {
    expect(decideAfterFailure(err({ kind: 'server_error', status: 500 }), 0, rules, () => 0.5)).toEqual({ action: 'retry', delayMs: 5 });
    expect(decideAfterFailure(err({ kind: 'server_error' }), rules.server_error.max_retries, rules).action).toBe('next');
  });

  it('waits exactly the Retry-After when it is under the cap', () => {
    expect(decideAfterFailure(err({ kind: 'rate_limit', retryAfterMs: 1500 }), 0, rules)).toEqual({ action: 'retry', delayMs: 1500 });
  });

  it('fails over at once when the Retry-After exceeds the cap', () => {
    expect(decideAfterFailure(err({ kind: 'rate_limit', retryAfterMs: 60_000 }), 0, rules)).toEqual({ action: 'next', reason: 'rate_limit' });
  });

  it('never retries a client error and stops when its class does not fall back', () => {
    expect(decideAfterFailure(err({ kind: 'client_error', status: 400 }), 0, rules)).toEqual({ action: 'fail', reason: 'client_error' });
  });

  it('moves to a larger-window model on context_length_exceeded', () => {
    expect(decideAfterFailure(err({ kind: 'client_error', code: 'context_length_exceeded' }), 0, rules)).toEqual({
      action: 'next',
      reason: 'context_length_exceeded',
      needLargerContext: true,
    });
  });

  it('surfaces content_filter without retrying', () => {
    expect(decideAfterFailure(err({ kind: 'client_error', code: 'content_filter' }), 0, rules).action).toBe('surface');
  });

  it('does not retry a model that stayed silent, but may retry a connect timeout', () => {
    for (const code of ['first_byte_timeout', 'stream_idle_timeout', 'total_timeout'] as const) {
      expect(decideAfterFailure(err({ kind: 'timeout', code }), 0, rules).action).toBe('next');
    }
    expect(decideAfterFailure(err({ kind: 'timeout', code: 'connect_timeout' }), 0, rules).action).toBe('retry');
  });

  it('passes over a model that rejects prefill', () => {
    expect(decideAfterFailure(err({ kind: 'client_error', code: 'prefill_unsupported' }), 0, rules).action).toBe('next');
  });
});
