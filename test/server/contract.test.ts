import SwaggerParser from '@apidevtools/swagger-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_STATUS } from '../../src/errors.js';
import { startTestApp, type TestApp } from '../helpers/app.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => t?.close());

type Parameter = { name: string; in: string; example?: unknown };
type Operation = {
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema: unknown; example?: unknown; examples?: unknown }> };
  responses: Record<string, { description: string; content?: Record<string, { schema: any }> }>;
};

describe('the OpenAPI document, operation by operation', () => {
  let doc: { paths: Record<string, Record<string, Operation>> };
  beforeAll(async () => {
    doc = (await (await fetch(`${t.url}/openapi.json`)).json()) as typeof doc;
  });
  const operations = () =>
    Object.entries(doc.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ id: `${method.toUpperCase()} ${path}`, path, method, op })));

  it('stays a valid OpenAPI 3 document', async () => {
    await SwaggerParser.validate(structuredClone(doc) as never);
  });

  it('documents error responses on every operation, each with the API error body', () => {
    const statuses = new Set<string>(Object.values(ERROR_STATUS).map(String));
    expect(operations().length).toBeGreaterThan(10);
    for (const { id, op } of operations()) {
      const errors = Object.entries(op.responses).filter(([status]) => statuses.has(status));
      expect(errors.map(([s]) => s), id).toContain('500');
      for (const [status, response] of errors) {
        const schema = response.content?.['application/json']?.schema;
        // A route may describe a status with its own body (GET /health's 503 is the health report).
        if (status !== '500' && !schema?.properties?.error) continue;
        expect(response.description, `${id} ${status}`).toMatch(/`\w+`: /);
        const fields = id.includes(' /v1/') ? ['message', 'type', 'param', 'code'] : ['type', 'message', 'details', 'request_id'];
        expect(schema?.properties?.error?.required, `${id} ${status}`).toEqual(expect.arrayContaining(fields));
      }
    }
  });

  it('gives each operation the statuses it can return: 400/413 with a body, 404 with a path parameter, 401 unless public, 502/504 when it runs models', () => {
    const byId = new Map(operations().map((o) => [o.id, Object.keys(o.op.responses)]));
    expect(byId.get('POST /chat')).toEqual(expect.arrayContaining(['200', '400', '401', '413', '429', '500', '502', '503', '504']));
    expect(byId.get('POST /template/{name}')).toEqual(expect.arrayContaining(['400', '404', '502']));
    expect(byId.get('GET /runs/{run_id}')).toEqual(expect.arrayContaining(['404']));
    expect(byId.get('GET /health')).not.toContain('401');
    expect(byId.get('GET /models')).not.toContain('502');
  });

  it('has a realistic request example for every operation that takes a body', () => {
    const withBody = operations().filter(({ op }) => op.requestBody);
    expect(withBody.map((o) => o.id)).toEqual(expect.arrayContaining(['POST /chat', 'POST /workflow', 'POST /template/{name}', 'POST /v1/chat/completions']));
    for (const { id, op } of withBody) {
      const media = op.requestBody!.content['application/json']!;
      const example = media.example ?? Object.values((media.examples ?? {}) as Record<string, { value: unknown }>)[0]?.value;
      expect(example, `${id}: add an example in src/server/plugins/openapi-operations.ts`).toBeDefined();
    }
  });

  it('has a realistic example for every path and query parameter, opaque cursors aside', () => {
    const withParameters = operations().filter(({ op }) => op.parameters?.length);
    expect(withParameters.map((o) => o.id)).toEqual(expect.arrayContaining(['GET /runs', 'GET /runs/{run_id}', 'POST /template/{name}', 'GET /admin/keys/{id}']));
    const missing = withParameters.flatMap(({ id, op }) =>
      op.parameters!.filter((p) => p.example === undefined && !['cursor', 'last_event_id'].includes(p.name)).map((p) => `${id} ${p.in} ${p.name}`),
    );
    expect(missing, 'add them to PARAMETER_EXAMPLES in src/server/plugins/openapi-operations.ts').toEqual([]);
  });

  it('its parameter examples pass the server\'s own validation (Swagger UI sends them on "Try it out")', async () => {
    const gets = operations().filter(({ method, path, op }) => method === 'get' && !path.startsWith('/admin') && op.parameters?.length);
    for (const { id, path, op } of gets) {
      let url = path;
      const query = new URLSearchParams();
      for (const p of op.parameters!) {
        if (p.example === undefined) continue;
        if (p.in === 'path') url = url.replace(`{${p.name}}`, encodeURIComponent(String(p.example)));
        else query.set(p.name, String(p.example));
      }
      const res = await fetch(`${t.url}${url}${query.size ? `?${query}` : ''}`, { headers: { accept: 'application/json' } });
      expect([200, 404], `${id} -> ${url}?${query}`).toContain(res.status);
      await res.body?.cancel();
    }
  });

  it('its examples are accepted by the server itself', async () => {
    const template = await fetch(`${t.url}/template/research_report`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ variables: { topic: 'solid-state batteries' } }),
    });
    expect(template.status).toBe(200);
    const chat = await fetch(`${t.url}/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ message: 'Write an SEO article outline about home composting', addons: ['seo_writer'], session_id: 'demo-session-1' }),
    });
    expect(chat.status).toBe(200);
  });
});

describe('a known path with the wrong method', () => {
  it('answers 405 with Allow listing the methods the path has, in the API error body', async () => {
    const res = await fetch(`${t.url}/chat`);
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
    const body = (await res.json()) as { error: { type: string; message: string } };
    expect(body.error.type).toBe('method_not_allowed');
    expect(body.error.message).toBe('GET is not allowed on /chat; use POST');
  });

  it('works for parameterised paths too', async () => {
    const res = await fetch(`${t.url}/session/abc`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('DELETE, GET, HEAD');
    const template = await fetch(`${t.url}/template/research_report`);
    expect(template.status).toBe(405);
    expect(template.headers.get('allow')).toBe('POST');
  });

  it('still answers 404 for a path no method has', async () => {
    const res = await fetch(`${t.url}/nope`, { method: 'POST' });
    expect(res.status).toBe(404);
    expect(res.headers.get('allow')).toBeNull();
  });
});

describe('template variables', () => {
  const run = (variables: Record<string, string>) =>
    fetch(`${t.url}/template/research_report`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ variables }),
    });

  it('a misspelled variable is a 400 naming it and the closest input, before any model call', async () => {
    const res = await run({ tpoic: 'solid-state batteries' });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { details: { path: string; message: string }[] } };
    expect(body.error.details).toContainEqual({ path: 'variables.tpoic', message: "unknown variable 'tpoic'; did you mean 'topic'?" });
  });
});
