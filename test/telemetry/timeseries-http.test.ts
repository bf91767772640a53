import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';

describe('GET /stats/timeseries', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => t?.close());

  it('counts model-work requests by tier and model calls by model, and not the reads that watch them', async () => {
    for (const category of ['M', 'M', 'L'] as const) {
      const res = await t.app.inject({ method: 'POST', url: '/chat', payload: { message: 'hello there', category } });
      expect(res.statusCode).toBe(200);
    }
    await t.app.inject({ url: '/stats' });
    const tiers = (await t.app.inject({ url: '/stats/timeseries' })).json();
    expect(tiers).toMatchObject({ window: '1h', by: 'tier', bucket_s: 10 });
    expect(tiers.times_ms).toHaveLength(360);
    expect(tiers.total.summary.requests).toBe(3);
    expect(tiers.groups.M.summary.requests).toBe(2);
    expect(tiers.groups.L.summary.requests).toBe(1);
    expect(tiers.total.summary.error_rate).toBe(0);
    const byModel = (await t.app.inject({ url: '/stats/timeseries?window=1d&by=model' })).json();
    expect(byModel).toMatchObject({ window: '1d', by: 'model', bucket_s: 300 });
    expect(byModel.groups.medium_ai.summary.requests).toBeGreaterThanOrEqual(2);
  });

  it('refuses an unknown window with a 400 naming the field, and is in the OpenAPI document', async () => {
    const res = await t.app.inject({ url: '/stats/timeseries?window=2h' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.type).toBe('validation_error');
    expect(JSON.stringify(res.json().error.details)).toContain('window');
    const doc = (await t.app.inject({ url: '/openapi.json' })).json();
    expect(doc.paths['/stats/timeseries'].get.parameters.map((p: { name: string }) => p.name).sort()).toEqual(['by', 'window']);
  });
});
