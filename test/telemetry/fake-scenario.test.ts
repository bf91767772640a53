import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeProvider, type FakeProvider } from '../../scripts/fake-provider/server.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { pointShippedConfigAt, TEST_ENV } from '../helpers/gateway-config.js';
import { parsePrometheusText } from './prom-text.js';

let fake: FakeProvider;
let t: TestApp;

beforeAll(async () => {
  fake = await startFakeProvider();
  t = await startTestApp({ config: (raw) => pointShippedConfigAt(raw, fake.url), env: TEST_ENV });
});
afterAll(async () => {
  await t?.close();
  await fake?.close();
});

const complete = async (model: string, fallbacks?: string[]) => {
  const res = await fetch(`${t.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, ...(fallbacks ? { fallbacks } : {}), messages: [{ role: 'user', content: `scenario ${model}` }] }),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as { usage: { prompt_tokens: number; completion_tokens: number }; x_cost_usd: number; x_fallback_used: boolean };
};

/** Sums every sample of a metric family (all label sets). */
const total = (text: string, name: string): number =>
  (parsePrometheusText(text).get(name)?.samples ?? []).filter((s) => s.name === name).reduce((sum, s) => sum + s.value, 0);

describe('/stats and /metrics tell what the provider saw', () => {
  it('counts 13 attempts, 4 failures, 3 retries and 1 fallback of a scripted scenario, with the billed cost and tokens', async () => {
    const answers = [];
    for (let i = 0; i < 6; i++) answers.push(await complete('fast_ai'));
    answers.push(await complete('openrouter/fault:fail_times_2/scenario-a')); // 2 failures, 2 retries, then an answer
    answers.push(await complete('openrouter/fault:fail_once/scenario-b')); // 1 failure, 1 retry, then an answer
    const moved = await complete('openrouter/fault:auth/scenario-c', ['fast_ai']); // 1 failure, falls back to fast_ai
    answers.push(moved);
    expect(moved.x_fallback_used).toBe(true);

    const seen = fake.attempts.filter((a) => a.path.endsWith('/chat/completions'));
    expect(seen).toHaveLength(13);

    const stats = (await (await fetch(`${t.url}/stats`)).json()) as any;
    expect(stats.totals).toMatchObject({ calls: seen.length, failures: 4, retries: 3, fallbacks: 1, simulated_calls: 0 });
    expect(stats.models.fast_ai).toMatchObject({ calls: 7, successes: 7, failures: 0, fallbacks_to: 1 });
    expect(stats.models['openrouter/fault:fail_times_2/scenario-a']).toMatchObject({ calls: 3, failures: 2, retries: 2 });
    expect(stats.models['openrouter/fault:auth/scenario-c']).toMatchObject({ calls: 1, failures: 1, fallbacks: 1, failures_by_kind: { auth_error: 1 } });
    const billed = answers.reduce((sum, a) => sum + a.x_cost_usd, 0);
    expect(billed).toBeGreaterThan(0);
    expect(stats.totals.cost_usd).toBeCloseTo(billed, 12);
    expect(stats.totals.tokens_in).toBe(answers.reduce((sum, a) => sum + a.usage.prompt_tokens, 0));
    expect(stats.totals.tokens_out).toBe(answers.reduce((sum, a) => sum + a.usage.completion_tokens, 0));
    expect(stats.requests.by_endpoint['POST /v1/chat/completions']).toBe(9);

    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    expect(total(metrics, 'model_calls_total')).toBe(seen.length);
    expect(total(metrics, 'model_call_failures_total')).toBe(4);
    expect(total(metrics, 'model_retries_total')).toBe(3);
    expect(total(metrics, 'model_fallbacks_total')).toBe(1);
    expect(total(metrics, 'cost_usd_total')).toBeCloseTo(billed, 12);
  });
});
