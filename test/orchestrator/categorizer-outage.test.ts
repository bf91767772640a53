import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFixture, type Fixture } from './fixture.js';
import { postJson } from './support.js';

let f: Fixture;
const CATEGORIZER_MODEL = 'meta-llama/llama-3.1-8b-instruct';

beforeAll(async () => {
  f = await startFixture((raw) => {
    raw.models.categorizer.fallbacks = [];
  });
});
afterAll(async () => {
  await f.close();
});

const categorizerCalls = () => f.fake.attempts.filter((a) => a.model === CATEGORIZER_MODEL).length;

describe('categorizer outage', () => {
  it('still answers when the categorizer returns 503, classifying with the heuristic and saying so', async () => {
    f.fake.setDown(CATEGORIZER_MODEL, true);
    const { status, body } = await postJson(`${f.t.url}/chat`, { message: 'What is the boiling point of water at 2000 m altitude?' });
    expect(status).toBe(200);
    expect(body.categorization.source).toBe('heuristic');
    expect(body.categorization.reasoning).toMatch(/categorizer failed/);
    expect(body.category).toBe('L');
    expect(body.model_used).toBe('thinking_ai');
    expect(body.response).toBe('echo: What is the boiling point of water at 2000 m altitude?');
    expect(categorizerCalls()).toBeGreaterThan(0);
  });

  it('skips the categorizer while its circuit is open and goes straight to the heuristic', async () => {
    // Keep failing until the breaker opens (the test config opens it after 3 calls).
    for (let i = 0; i < 5 && f.t.app.ctx.gateway.circuitState('categorizer') !== 'open'; i++) {
      await postJson(`${f.t.url}/chat`, { message: 'Write a haiku about rain.' });
    }
    expect(f.t.app.ctx.gateway.circuitState('categorizer')).toBe('open');
    const before = categorizerCalls();
    const { status, body } = await postJson(`${f.t.url}/chat`, { message: 'Write a haiku about snow.' });
    expect(status).toBe(200);
    expect(body.categorization).toMatchObject({ source: 'heuristic', category: 'M' });
    expect(body.categorization.reasoning).toMatch(/circuit is open/);
    expect(categorizerCalls()).toBe(before);
  });
});
