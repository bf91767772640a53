import { describe, expect, it } from 'vitest';
import { fakeAppForTests } from '../helpers/fake-app.js';
import { ADMIN_KEYS, admin, call } from './support.js';

type Raw = Record<string, any>;

const model = (id: string, fallbacks: string[] = []) => ({
  provider: 'openrouter',
  model: id,
  capabilities: ['text', 'json_output'],
  context_window: 100_000,
  pricing: { input_per_million: 1, output_per_million: 2 },
  fallbacks,
  timeouts: { first_byte_ms: 10_000, response_ms: 10_000 },
});

describe('hot reload through POST /admin/config', () => {
  const app = fakeAppForTests({
    adminApiKeys: ADMIN_KEYS,
    config: (raw: Raw) => {
      raw.providers.openrouter.rate_limits.max_concurrent = 400;
      delete raw.providers.openrouter.rate_limits.tokens_per_minute;
      raw.circuit_breaker.reset_timeout_ms = 600_000;
      raw.models.m_old = model('fault:latency_500/old-model');
      raw.models.m_new = model('fault:latency_50/new-model');
      raw.models.m_broken = model('fault:server_error/broken-model');
      raw.routing.tiers.M.model = 'm_old';
    },
    reset: false,
  });

  const ask = (i: number) => call(app.t.url, 'POST', '/chat', { body: { message: `question ${i}`, category: 'M' } });
  const seen = (id: string) => app.fake.attempts.filter((a) => a.model.endsWith(id)).length;

  it('changes the M tier while 200 requests are in flight: none fails, each names its version, later ones use the new one', async () => {
    const first = (await admin(app.t.url).get('/admin/config')).body.version.hash as string;
    const before = Array.from({ length: 100 }, (_, i) => ask(i));
    // Every one of them has reached the provider (so began under the first version) before the change.
    while (seen('old-model') < 100) await new Promise((r) => setTimeout(r, 20));

    const change = await admin(app.t.url).post('/admin/config', { base: first, patch: [{ op: 'replace', path: '/routing/tiers/M/model', value: 'm_new' }], message: 'M to m_new' });
    expect(change.status).toBe(200);
    const second = change.body.version.hash as string;
    const after = Array.from({ length: 100 }, (_, i) => ask(100 + i));

    const answers = await Promise.all([...before, ...after]);
    expect(answers.filter((a) => a.status !== 200).map((a) => JSON.stringify(a.body).slice(0, 600)).slice(0, 2)).toEqual([]);
    const tierModel: Record<string, string> = { [first]: 'm_old', [second]: 'm_new' };
    for (const a of answers) expect(a.body.model_used).toBe(tierModel[a.body.config_version]);
    expect(answers.slice(0, 100).every((a) => a.body.config_version === first)).toBe(true);
    expect(answers.slice(100).every((a) => a.body.config_version === second)).toBe(true);

    const back = await admin(app.t.url).post('/admin/config/rollback', { to: first });
    expect(back.body.version.hash).toBe(first);
    expect((await ask(300)).body).toMatchObject({ config_version: first, model_used: 'm_old' });
  });

  it('keeps the breaker state of unchanged models and starts changed ones afresh', async () => {
    const direct = { model: 'm_broken', messages: [{ role: 'user', content: 'x' }] };
    for (let i = 0; i < 8; i++) await call(app.t.url, 'POST', '/v1/chat/completions', { body: direct });
    const circuit = async (key: string) => (await call(app.t.url, 'GET', '/health')).body.models[key].circuit;
    expect(await circuit('m_broken')).toBe('open');

    let base = (await admin(app.t.url).get('/admin/config')).body.version.hash;
    const unrelated = await admin(app.t.url).post('/admin/config', { base, patch: [{ op: 'replace', path: '/limits/max_images', value: 3 }] });
    expect(unrelated.status).toBe(200);
    expect(await circuit('m_broken')).toBe('open');

    base = unrelated.body.version.hash;
    const redefined = await admin(app.t.url).post('/admin/config', { base, patch: [{ op: 'replace', path: '/models/m_broken/model', value: 'healed-model' }] });
    expect(redefined.status).toBe(200);
    expect(await circuit('m_broken')).toBe('closed');
    const answer = await call(app.t.url, 'POST', '/v1/chat/completions', { body: direct });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('x-config-version')).toBe(redefined.body.version.hash);
  });
});
