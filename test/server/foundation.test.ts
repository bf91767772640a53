import SwaggerParser from '@apidevtools/swagger-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => t.close());

const get = (path: string) => fetch(`${t.url}${path}`);
const json = (res: Response): Promise<any> => res.json();

describe('catalogue endpoints', () => {
  it('GET / answers liveness', async () => {
    const res = await get('/');
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual({ name: 'master-orchestrator', version: expect.any(String), status: 'ok' });
  });

  it('GET /health reports every provider as simulated without keys and every circuit closed', async () => {
    const res = await get('/health');
    expect(res.status).toBe(200);
    const body = await json(res);
    expect(body.providers.openrouter.mode).toBe('simulated');
    expect(body.providers.google_ai.mode).toBe('simulated');
    expect(Object.keys(body.models)).toHaveLength(13);
    expect(Object.values(body.models).every((m: any) => m.circuit === 'closed')).toBe(true);
    expect(body.store.status).toBe('ok');
  });

  it('GET /models lists 13 models with capabilities, pricing and fallback chains, and never a key', async () => {
    const stopped = await startTestApp({ env: { OPENROUTER_API_KEY: 'sk-or-secret-123', GOOGLE_AI_API_KEY: 'g-secret-456' } });
    try {
      const res = await fetch(`${stopped.url}/models`);
      const text = await res.text();
      expect(text).not.toContain('sk-or-secret-123');
      expect(text).not.toContain('g-secret-456');
      const { models } = JSON.parse(text);
      expect(models).toHaveLength(13);
      const medium = models.find((m: any) => m.key === 'medium_ai');
      expect(medium).toMatchObject({
        provider: 'openrouter',
        provider_model: 'meta-llama/llama-3.3-70b-instruct',
        mode: 'live',
        capabilities: expect.arrayContaining(['text']),
        pricing: { input_per_million: expect.any(Number), output_per_million: expect.any(Number) },
        fallbacks: ['long_context_ai'],
        circuit: 'closed',
      });
    } finally {
      await stopped.close();
    }
  });

  it('GET /addons lists 50 addons with the seed counts per category, and filters by category', async () => {
    const all = await json(await get('/addons'));
    expect(all.addons).toHaveLength(50);
    expect(all.categories).toEqual({ content_creation: 8, marketing: 8, social_media: 8, business: 8, professional: 8, personal: 10 });
    const personal = await json(await get('/addons?category=personal'));
    expect(personal.addons).toHaveLength(10);
    expect(personal.addons.every((a: any) => a.category === 'personal')).toBe(true);
  });

  it('GET /addons with an unknown category is a 400 naming the query parameter', async () => {
    const res = await get('/addons?category=astrology');
    expect(res.status).toBe(400);
    const body = await json(res);
    expect(body.error.type).toBe('validation_error');
    expect(body.error.details[0].path).toBe('querystring.category');
  });

  it('GET /templates lists the three templates with their inputs', async () => {
    const { templates } = await json(await get('/templates'));
    expect(templates.map((x: any) => x.name).sort()).toEqual(['code_project', 'marketing_campaign', 'research_report']);
    const research = templates.find((x: any) => x.name === 'research_report');
    expect(research.inputs.topic.required).toBe(true);
  });
});

describe('errors are JSON bodies', () => {
  it('an unknown route is a 404 with the error body and a request id', async () => {
    const res = await get('/nope');
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toContain('application/json');
    const body = await json(res);
    expect(body.error).toMatchObject({ type: 'not_found', request_id: res.headers.get('x-request-id') });
  });

  it('a path parameter past the router limit or a malformed URL is a 400 with the error body', async () => {
    const long = await get(`/runs/${'x'.repeat(300)}`);
    expect(long.status).toBe(400);
    expect((await json(long)).error).toMatchObject({ type: 'validation_error', request_id: long.headers.get('x-request-id') });
    const bad = await get('/session/%E0%A4%A');
    expect(bad.status).toBe(400);
    expect((await json(bad)).error.type).toBe('validation_error');
  });

  it('a malformed JSON body is a 400 validation_error, not an HTML page or a 500', async () => {
    const res = await fetch(`${t.url}/chat`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"message": ' });
    expect(res.status).toBe(400);
    const body = await json(res);
    expect(body.error.type).toBe('validation_error');
    expect(body.error.message).toMatch(/JSON/);
  });

  it('a JSON syntax error in the body names its line and column and shows that stretch of the line (issue 16)', async () => {
    const body = '{\n  "message": "hi"\n  "category": "L"\n}';
    const res = await fetch(`${t.url}/chat`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(res.status).toBe(400);
    expect((await json(res)).error.details).toEqual([{ path: 'body', message: "line 3, column 3: ',' was expected", line: 3, column: 3, excerpt: '  "category": "L"' }]);
    // One long line (a minified config sent to POST /admin/config): a window around the column, not the whole line.
    const long = `{"message": "${'a'.repeat(200)}", "category": "L",}`;
    const detail = (await json(await fetch(`${t.url}/chat`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: long }))).error.details[0];
    expect(detail).toMatchObject({ path: 'body', message: 'line 1, column 233: a property name in double quotes was expected', line: 1, column: 233 });
    expect(detail.excerpt).toBe(`…${'a'.repeat(21)}", "category": "L",}`);
  });

  it('a body over the configured limit is a 413 payload_too_large', async () => {
    const small = await startTestApp({ config: (c) => (c.server.body_limit_bytes = 1024) });
    try {
      const res = await fetch(`${small.url}/chat`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ message: 'x'.repeat(5000) }),
      });
      expect(res.status).toBe(413);
      expect((await json(res)).error.type).toBe('payload_too_large');
    } finally {
      await small.close();
    }
  });
});

describe('API documentation', () => {
  it('/openapi.json is an OpenAPI 3 document describing the routes', async () => {
    const doc = await json(await get('/openapi.json'));
    expect(doc.openapi).toMatch(/^3\./);
    await SwaggerParser.validate(structuredClone(doc));
    expect(doc.info.title).toBe('Master Orchestrator');
    for (const path of ['/', '/health', '/models', '/addons', '/templates', '/chat', '/workflow', '/v1/chat/completions']) {
      expect(doc.paths, path).toHaveProperty([path]);
    }
  });

  it('/docs serves the Swagger UI', async () => {
    const res = await get('/docs/');
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('swagger');
  });
});
