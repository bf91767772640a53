import { describe, expect, it } from 'vitest';
import { fakeAppForTests } from '../helpers/fake-app.js';
import { ADMIN, call, trafficConfig } from './traffic-support.js';

const app = fakeAppForTests({
  adminApiKeys: `ops:${ADMIN}`,
  config: (raw, fakeUrl) =>
    trafficConfig(fakeUrl, (r) => {
      r.routing.tiers.M.shadow = { model: 'fast_ai', sample_rate: 1 };
    })(raw),
  reset: false,
});

const experiment = async (): Promise<any> => (await call(app.t.url, 'GET', '/admin/experiments/routing.tiers.M.shadow', ADMIN)).body;

describe('shadow mode', () => {
  it('at 100 % records every pair (latency, tokens, cost, length, similarity) and never returns the shadow’s answer', async () => {
    const empty = await experiment();
    expect(empty).toMatchObject({ kind: 'shadow', model: 'fast_ai', pairs: 0, sample_rate: 1 });
    const requestIds: string[] = [];
    for (let i = 0; i < 20; i++) {
      const { body } = await call(app.t.url, 'POST', '/chat', undefined, { message: `shadowed question ${i}`, category: 'M' });
      expect(body.model_used).toBe('medium_ai');
      expect(body.response).toBe(`echo: shadowed question ${i}`);
      requestIds.push(body.request_id);
    }
    let summary = await experiment();
    for (let i = 0; i < 100 && summary.pairs < 20; i++) {
      await new Promise((r) => setTimeout(r, 20));
      summary = await experiment();
    }
    expect(summary).toMatchObject({ pairs: 20, failed: 0, dropped: 0, similarity: { mean: 1, min: 1, measure: 'token-set Jaccard' } });
    expect(summary.recent.map((p: any) => p.request_id).sort()).toEqual([...requestIds].sort());
    for (const pair of summary.recent) {
      expect(pair.primary).toMatchObject({ model: 'medium_ai', tokens: expect.any(Number), chars: expect.any(Number), cost_usd: expect.any(Number) });
      expect(pair.shadow).toMatchObject({ model: 'fast_ai', latency_ms: expect.any(Number) });
      expect(pair.shadow.chars).toBe(pair.primary.chars);
    }
    expect(summary.shadow.latency_ms.p50).toEqual(expect.any(Number));
    // The fake saw each shadow call: the shadow model's id, once per request.
    const fastId = app.t.loaded.config.models.fast_ai!.model;
    expect(app.fake.attempts.filter((a) => a.model === fastId)).toHaveLength(20);
  });
});
