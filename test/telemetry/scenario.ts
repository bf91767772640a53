import type { AppEventBus } from '../../src/events.js';
import type { GatewayEvents } from '../../src/gateway/types.js';

const usage = (prompt_tokens: number, completion_tokens: number) => ({
  prompt_tokens,
  completion_tokens,
  total_tokens: prompt_tokens + completion_tokens,
});

type AttemptInit = Omit<GatewayEvents['attempt'], 'provider' | 'simulated' | 'context'> & { simulated?: boolean; provider?: string };

/**
 * A scripted day of traffic, as the gateway and the orchestrator would report it:
 * 10 calls (2 simulated), 4 failures, 3 retries, 1 fallback, 1 breaker opening,
 * 3 categorized requests, 2 finished workflows.
 */
export function playScenario(bus: AppEventBus): void {
  const attempt = (a: AttemptInit) =>
    bus.emit('attempt', { provider: 'openrouter', simulated: false, context: { request_id: 'r' }, ...a });
  const ctx = { request_id: 'r' };

  // Request A: tier L by heuristic, answered by fast_ai at once.
  bus.emit('request_categorized', { request_id: 'a', endpoint: '/chat', category: 'L', source: 'heuristic' });
  attempt({ model: 'fast_ai', outcome: 'success', latency_ms: 100, usage: usage(100, 50), cost_usd: 0.001 });

  // Request B: the categorizer says M; medium_ai fails three times (two retries), its breaker opens,
  // and the call falls back to long_context_ai on google_ai.
  attempt({ model: 'categorizer', outcome: 'success', latency_ms: 50, usage: usage(20, 5), cost_usd: 0.0000005 });
  bus.emit('request_categorized', { request_id: 'b', endpoint: '/chat', category: 'M', source: 'model' });
  attempt({ model: 'medium_ai', outcome: 'failure', kind: 'server_error', status: 500, latency_ms: 200 });
  bus.emit('retry', { model: 'medium_ai', provider: 'openrouter', kind: 'server_error', attempt: 1, delay_ms: 10, context: ctx });
  attempt({ model: 'medium_ai', outcome: 'failure', kind: 'timeout', latency_ms: 300 });
  bus.emit('retry', { model: 'medium_ai', provider: 'openrouter', kind: 'timeout', attempt: 2, delay_ms: 20, context: ctx });
  attempt({ model: 'medium_ai', outcome: 'failure', kind: 'server_error', status: 503, latency_ms: 250 });
  bus.emit('breaker', { model: 'medium_ai', state: 'open' });
  bus.emit('breaker', { model: 'medium_ai', state: 'open' });
  bus.emit('fallback', { from: 'medium_ai', to: 'long_context_ai', reason: 'server_error', context: ctx });
  bus.emit('limiter_wait', { provider: 'google_ai', wait_ms: 250 });
  attempt({ model: 'long_context_ai', provider: 'google_ai', outcome: 'success', latency_ms: 400, usage: usage(300, 100), cost_usd: 0.002 });

  // Request C: tier H by override, a workflow; thinking_ai retries once after a rate limit.
  bus.emit('request_categorized', { request_id: 'c', endpoint: '/chat', category: 'H', source: 'override' });
  bus.emit('queue', { running: 1, queued: 2 });
  bus.emit('run_started', { run_id: 'run-1', workflow: 'plan' });
  attempt({ model: 'thinking_ai', outcome: 'failure', kind: 'rate_limit', status: 429, latency_ms: 30 });
  bus.emit('retry', { model: 'thinking_ai', provider: 'openrouter', kind: 'rate_limit', attempt: 1, delay_ms: 100, context: ctx });
  attempt({ model: 'thinking_ai', outcome: 'success', latency_ms: 900, usage: usage(500, 200), cost_usd: 0.004 });
  bus.emit('run_finished', { run_id: 'run-1', workflow: 'plan', status: 'completed', duration_ms: 1500, cost_usd: 0.004 });

  // Two simulator answers: counted, never billed, even if a price slipped through.
  attempt({ model: 'fast_ai', outcome: 'success', latency_ms: 5, usage: usage(10, 10), cost_usd: 0.5, simulated: true });
  attempt({ model: 'fast_ai', outcome: 'success', latency_ms: 5, usage: usage(10, 10), cost_usd: 0, simulated: true });

  bus.emit('run_started', { run_id: 'run-2', workflow: 'plan' });
  bus.emit('run_finished', { run_id: 'run-2', workflow: 'plan', status: 'failed', duration_ms: 200, cost_usd: 0 });
  bus.emit('breaker', { model: 'medium_ai', state: 'half_open' });
  bus.emit('queue', { running: 1, queued: 3 });
}

/** What the scenario adds up to. */
export const EXPECTED = {
  calls: 10,
  failures: 4,
  retries: 3,
  fallbacks: 1,
  simulated: 2,
  tokensIn: 100 + 20 + 300 + 500 + 20,
  tokensOut: 50 + 5 + 100 + 200 + 20,
  costUsd: 0.001 + 0.0000005 + 0.002 + 0.004,
};
