import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFakeProvider, type FakeProvider } from '../../scripts/fake-provider/server.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { TEST_ENV } from '../helpers/gateway-config.js';
import { ADMIN, call, trafficConfig } from './traffic-support.js';

let fake: FakeProvider;

beforeAll(async () => {
  fake = await startFakeProvider();
});
afterAll(async () => {
  await fake.close();
});

type Raw = Record<string, any>;
let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

async function start(canaryModelId: string, canary: Raw): Promise<TestApp> {
  return startTestApp({
    env: TEST_ENV,
    adminApiKeys: `ops:${ADMIN}`,
    config: trafficConfig(fake.url, (raw) => {
      raw.models.medium_ai_v2 = { ...raw.models.medium_ai, model: canaryModelId, fallbacks: ['medium_ai'] };
      raw.routing.tiers.M.model = [
        { model: 'medium_ai', weight: 100 },
        { model: 'medium_ai_v2', weight: 1, canary },
      ];
    }),
  });
}

const get = async (app: TestApp, path: string): Promise<any> => (await call(app.url, 'GET', path, ADMIN)).body;
const ask = async (app: TestApp, i: number): Promise<any> => {
  const res = await call(app.url, 'POST', '/chat', undefined, { message: `canary question ${i}`, category: 'M', session_id: `canary-${i}` });
  expect(res.status).toBe(200);
  return res.body;
};

describe('canary with automatic rollback', () => {
  it('a canary whose model fails 30 % of its calls is rolled back within its minimum sample, by a new config version the audit explains', async () => {
    t = await start('fault:fail_percent_30/medium-v2', {
      ramp: [30, 60, 100],
      step_after_requests: 1000,
      guard: { max_error_rate: 0.1, min_samples: 20 },
    });
    const app = t;
    const before = await get(app, '/admin/config');
    let experiment: any;
    for (let i = 0; i < 300; i++) {
      await ask(app, i);
      experiment = await get(app, '/admin/experiments/routing.tiers.M.model');
      if (experiment.state === 'rolled_back' && experiment.decision?.config_version) break;
    }
    expect(experiment.state).toBe('rolled_back');
    expect(experiment.canary_model).toBe('medium_ai_v2');
    expect(experiment.baseline_model).toBe('medium_ai');
    expect(experiment.decision.reason).toMatch(/error rate 3\d\.\d% over \d+ calls vs baseline 0\.0%/);
    // Decided as soon as both arms had their minimum sample (retries of a failed call are samples too).
    expect(experiment.decision.figures.canary_calls).toBeGreaterThanOrEqual(20);
    expect(experiment.decision.figures.canary_calls).toBeLessThanOrEqual(22);
    expect(experiment.decision.figures.canary_error_rate).toBeGreaterThan(0.25);

    const now = await get(app, '/admin/config');
    expect(now.version.hash).toBe(experiment.decision.config_version);
    expect(now.version.parent).toBe(before.version.hash);
    expect(now.version.author).toBe('system');
    expect(now.version.message).toMatch(/canary 'medium_ai_v2' on routing\.tiers\.M\.model rolled back: error rate/);
    expect(now.document.routing.tiers.M.model[1].weight).toBe(0);

    const audit = await get(app, '/admin/audit?limit=20');
    const entry = audit.items.find((e: any) => e.target === now.version.hash);
    expect(entry).toMatchObject({ actor: 'system', message: expect.stringMatching(/rolled back: error rate/) });

    // From the new version on, no session reaches the canary.
    for (let i = 300; i < 330; i++) expect((await ask(app, i)).model_used).toBe('medium_ai');
  });

  it('a healthy canary climbs its ramp and is promoted at 100 %', async () => {
    t = await start('medium-v2-healthy', { ramp: [40, 100], step_after_requests: 10, guard: { max_error_rate: 0.1, min_samples: 5 } });
    const app = t;
    let experiment: any;
    for (let i = 0; i < 300; i++) {
      await ask(app, i);
      experiment = await get(app, '/admin/experiments/routing.tiers.M.model');
      if (experiment.state === 'promoted' && experiment.decision?.config_version) break;
    }
    expect(experiment.state).toBe('promoted');
    expect(experiment.decision.reason).toMatch(/no guard rail breached/);
    const config = await get(app, '/admin/config');
    expect(config.version.author).toBe('system');
    expect(config.document.routing.tiers.M.model).toEqual([
      { model: 'medium_ai', weight: 0 },
      { model: 'medium_ai_v2', weight: 100 },
    ]);
    for (let i = 300; i < 320; i++) expect((await ask(app, i)).model_used).toBe('medium_ai_v2');
    const list = await get(app, '/admin/experiments');
    expect(list.items.map((e: any) => `${e.id}:${e.state}`)).toContain('routing.tiers.M.model:promoted');
  });
});
