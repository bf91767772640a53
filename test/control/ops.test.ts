import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { ADMIN_KEYS, admin, call } from './support.js';

const DAY = 86_400_000;

/** The simulator answers the ops prompt as the README examples need; the clock is the test's. */
describe('operations in plain words (POST /admin/ops) on the simulator', () => {
  let t: TestApp;
  let now = Date.parse('2026-11-01T12:00:00Z');
  const api = () => admin(t.url);
  const activeHash = async () => (await api().get('/admin/config')).body.version.hash as string;
  const ops = (body: unknown) => api().post('/admin/ops', body);
  let first: string;

  beforeAll(async () => {
    t = await startTestApp({
      adminApiKeys: ADMIN_KEYS,
      clock: { now: () => now },
      config: (raw) => {
        raw.models.medium_ai_v2 = { ...raw.models.medium_ai, model: 'example/medium-v2', fallbacks: ['medium_ai'] };
        raw.routing.tiers.M.model = [
          { model: 'medium_ai', weight: 80 },
          { model: 'medium_ai_v2', weight: 20, canary: { ramp: [10, 100], step_after_requests: 1000 } },
        ];
      },
    });
    first = await activeHash();
  });
  afterAll(async () => t.close());

  it('"set the M tier split to medium_ai 50 medium_ai_v2 50": a plan with its diff, applied only on confirm', async () => {
    now += 2 * DAY;
    const plan = await ops({ text: 'set the M tier split to medium_ai 50 medium_ai_v2 50' });
    expect(plan.status).toBe(200);
    expect(plan.body).toMatchObject({
      source: 'model',
      base: first,
      action: { action: 'set_split_weights', split: 'routing.tiers.M.model', weights: { medium_ai: 50, medium_ai_v2: 50 } },
    });
    expect(plan.body.diff).toEqual(
      expect.arrayContaining([
        { op: 'replace', path: '/routing/tiers/M/model/0/weight', value: 50 },
        { op: 'replace', path: '/routing/tiers/M/model/1/weight', value: 50 },
      ]),
    );
    expect(await activeHash()).toBe(first);

    const applied = await ops({ confirm: plan.body.id });
    expect(applied.status).toBe(200);
    expect(applied.body.version).toMatchObject({ hash: plan.body.target, author: 'alice', message: 'ops: set the M tier split to medium_ai 50 medium_ai_v2 50' });
    expect(await activeHash()).toBe(plan.body.target);
    expect((await ops({ confirm: plan.body.id })).status).toBe(409);
  });

  it('"pause the canary medium_ai_v2" sets paused on that arm', async () => {
    const plan = await ops({ text: 'pause the canary medium_ai_v2' });
    expect(plan.body.action).toEqual({ action: 'pause_canary', split: 'routing.tiers.M.model', model: 'medium_ai_v2' });
    expect(plan.body.diff).toEqual([{ op: 'add', path: '/routing/tiers/M/model/1/canary/paused', value: true }]);
    expect((await ops({ confirm: plan.body.id })).status).toBe(200);
  });

  it('"rollback to yesterday\'s version" goes back to the version active a day ago, exactly', async () => {
    const plan = await ops({ text: "rollback to yesterday's version" });
    expect(plan.status).toBe(200);
    expect(plan.body.action.action).toBe('rollback');
    expect(plan.body.target).toBe(first);
    expect(plan.body.summary).toMatch(/roll back/);
    const applied = await ops({ confirm: plan.body.id });
    expect(applied.body.version.hash).toBe(first);
    expect(await activeHash()).toBe(first);
    const audit = (await api().get('/admin/audit?limit=3')).body.items.map((e: { action: string }) => e.action);
    expect(audit).toEqual(['ops.confirm', 'config.rollback', 'ops.plan']);
  });

  it('"revert to <hash prefix>" and "roll back medium_ai to the previous version" name their target', async () => {
    const split = await ops({ text: 'set the M tier split to medium_ai 70 medium_ai_v2 30' });
    await ops({ confirm: split.body.id });
    const seventy = await activeHash();
    const byHash = await ops({ text: `revert to ${first.slice(0, 10)}` });
    expect(byHash.body).toMatchObject({ action: { action: 'rollback', to: first.slice(0, 10) }, target: first });
    const previous = await ops({ text: 'roll back to the previous version' });
    expect(previous.body.target).toBe(first);
    expect(await activeHash()).toBe(seventy);
  });

  it('refuses what it cannot plan, and an action that would break the config, changing nothing', async () => {
    const before = await activeHash();
    const nonsense = await ops({ text: 'make me a sandwich' });
    expect(nonsense.status).toBe(400);
    expect(nonsense.body.error.message).toMatch(/rollback to yesterday/);
    const bad = await ops({ text: 'set the M tier split to medium_ai 0 medium_ai_v2 0' });
    expect(bad.status).toBe(400);
    expect((await ops({ text: 'disable schedule nightly_report' })).body.error.details[0]).toMatchObject({ path: 'action.schedule' });
    expect((await ops({})).status).toBe(400);
    expect(await activeHash()).toBe(before);
  });

  it('is admin-only like every /admin route', async () => {
    expect((await call(t.url, 'POST', '/admin/ops', { body: { text: 'rollback' } })).status).toBe(401);
  });
});

describe('operations in plain words on the shipped config (no split yet)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ adminApiKeys: ADMIN_KEYS });
  });
  afterAll(async () => t.close());

  it('"set the M tier split to medium_ai 90 fast_ai 10" turns the plain M model into a split, applied on confirm', async () => {
    const api = admin(t.url);
    const before = (await api.get('/admin/config')).body.version.hash as string;
    const plan = await api.post('/admin/ops', { text: 'set the M tier split to medium_ai 90 fast_ai 10' });
    expect(plan.status).toBe(200);
    expect(plan.body.action).toEqual({ action: 'set_split_weights', split: 'routing.tiers.M.model', weights: { medium_ai: 90, fast_ai: 10 } });
    const arms = [
      { model: 'medium_ai', weight: 90 },
      { model: 'fast_ai', weight: 10 },
    ];
    expect(plan.body.diff).toEqual([{ op: 'replace', path: '/routing/tiers/M/model', value: arms }]);
    expect((await api.get('/admin/config')).body.version.hash).toBe(before);

    expect((await api.post('/admin/ops', { confirm: plan.body.id })).status).toBe(200);
    expect((await api.get('/admin/config')).body.document.routing.tiers.M.model).toEqual(arms);
    // A model the config does not have is not an arm: one arm is no split, and nothing is planned.
    const unknown = await api.post('/admin/ops', { text: 'set the L tier split to thinking_ai 90 medium_ai_v9 10' });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.details[0]).toMatchObject({ path: 'action.weights' });
  });
});
