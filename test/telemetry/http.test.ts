import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { annotateRequest } from '../../src/telemetry/request-log.js';
import { startTestApp, streamLogger, type TestApp, type TestAppOptions } from '../helpers/app.js';
import { startFakeApp } from '../helpers/fake-app.js';
import { logLines } from '../helpers/log-lines.js';
import { parsePrometheusText, sampleValue } from './prom-text.js';
import { playScenario } from './scenario.js';

const apps: TestApp[] = [];
afterEach(async () => {
  while (apps.length) await apps.pop()!.close();
});
/** The real server (buildApp) with every provider simulated; `ctx` is the app's context. */
const start = async (opts: TestAppOptions = {}) => {
  const app = await startTestApp(opts);
  const started = { ...app, ctx: app.app.ctx };
  apps.push(started);
  return started;
};

describe('GET /stats and GET /metrics over HTTP', () => {
  it('counts requests by method and route template, never by raw URL', async () => {
    const { url } = await start();
    await fetch(`${url}/session/secret-session-1`);
    await fetch(`${url}/session/secret-session-2`);
    await fetch(`${url}/no/such/route`);
    const stats = (await (await fetch(`${url}/stats`)).json()) as { requests: { total: number; by_endpoint: Record<string, number> } };
    expect(stats.requests.by_endpoint).toEqual({ 'GET /session/:id': 2, 'GET not_found': 1 });
    expect(stats.requests.total).toBe(3);
    expect(JSON.stringify(stats)).not.toContain('secret-session');
  });

  it('serves the scenario numbers as JSON', async () => {
    const { url, ctx } = await start();
    playScenario(ctx.bus);
    const res = await fetch(`${url}/stats`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { totals: { calls: number; retries: number; fallbacks: number }; models: Record<string, { breaker: { opens: number } }> };
    expect(body.totals).toMatchObject({ calls: 10, retries: 3, fallbacks: 1 });
    expect(body.models.medium_ai!.breaker.opens).toBe(1);
  });

  it('serves parseable Prometheus text with route-template labels', async () => {
    const { url, ctx } = await start();
    playScenario(ctx.bus);
    await fetch(`${url}/session/secret-session-1`);
    await fetch(`${url}/nowhere-secret`);
    const res = await fetch(`${url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(text).not.toMatch(/secret/);
    const families = parsePrometheusText(text);
    expect(sampleValue(families, 'http_requests_total', { route: '/session/:id', method: 'GET', status: '404' })).toBe(1);
    expect(sampleValue(families, 'http_requests_total', { route: 'not_found', method: 'GET', status: '404' })).toBe(1);
    expect(sampleValue(families, 'http_request_duration_seconds_count', { route: '/session/:id', method: 'GET', status: '404' })).toBe(1);
    expect(sampleValue(families, 'model_retries_total', { model: 'medium_ai' })).toBe(2);
  });

  it("exports each provider's rate-limiter headroom, queue and concurrency at scrape time", async () => {
    // Live providers (the fake provider with keys): simulated ones have no limiter to report.
    const { t, close } = await startFakeApp();
    try {
      const { url } = t;
      const config = t.app.ctx.config;
      const scrape = async () => parsePrometheusText(await (await fetch(`${url}/metrics`)).text());
      const model = config.routing.default_task_model as string;
      const provider = config.models[model]!.provider;
      const rpm = config.providers[provider]!.rate_limits.requests_per_minute;
      const before = await scrape();
      expect(sampleValue(before, 'rate_limiter_headroom', { provider })).toBe(rpm);
      expect(sampleValue(before, 'rate_limiter_headroom_ratio', { provider })).toBe(1);
      expect(sampleValue(before, 'rate_limiter_queued', { provider })).toBe(0);
      expect(sampleValue(before, 'rate_limiter_running', { provider })).toBe(0);
      for (let i = 0; i < 3; i++) {
        const res = await fetch(`${url}/v1/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ model, messages: [{ role: 'user', content: `hello ${i}` }] }),
        });
        expect(res.status).toBe(200);
      }
      const after = await scrape();
      expect(sampleValue(after, 'rate_limiter_headroom', { provider })).toBe(rpm - 3);
      expect(sampleValue(after, 'rate_limiter_headroom_ratio', { provider })).toBeCloseTo((rpm - 3) / rpm, 12);
      expect(sampleValue(after, 'rate_limiter_running', { provider })).toBe(0);
    } finally {
      await close();
    }
  });

  it('answers 404 not_found for /metrics when metrics are disabled', async () => {
    const { url } = await start({
      config: (raw) => {
        raw.monitoring.metrics_enabled = false;
      },
    });
    const res = await fetch(`${url}/metrics`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { type: string } }).error.type).toBe('not_found');
  });

  it('documents the stats and session shapes in OpenAPI', async () => {
    const { url } = await start();
    const doc = (await (await fetch(`${url}/openapi.json`)).json()) as { paths: Record<string, any> };
    expect(doc.paths['/session/{id}'].get.parameters[0]).toMatchObject({ name: 'id', in: 'path', required: true });
    expect(doc.paths['/session/{id}'].get.responses['200'].content['application/json'].schema.properties.turns).toBeDefined();
    expect(doc.paths['/session/{id}'].delete.responses['204']).toBeDefined();
    expect(doc.paths['/stats'].get.responses['200'].content['application/json'].schema.properties.models).toBeDefined();
  });
});

describe('request log', () => {
  it('writes one line per request with id, route, status, duration and what the route annotated, and no keys', async () => {
    const log = logLines();
    // A route that annotates its log line as /chat and the run routes do.
    const annotated = (app: FastifyInstance) =>
      app.post('/annotated', async (request) => {
        annotateRequest(request, { category: 'M', model_used: 'medium_ai' });
        annotateRequest(request, { cost_usd: 0.0042, run_id: 'run-7' });
        request.log.info({ headers: request.headers }, 'headers as seen');
        return { ok: true };
      });
    const { url } = await start({ logger: streamLogger(log.sink), extend: annotated });
    const res = await fetch(`${url}/annotated`, {
      method: 'POST',
      headers: { authorization: 'Bearer sk-live-secret', 'x-api-key': 'sk-other-secret', 'content-type': 'application/json' },
      body: '{}',
    });
    expect(res.status).toBe(200);
    await fetch(`${url}/session/abc`);

    // The line is written when the response has finished, which may be just after the client read it.
    await log.lineWhere((e) => e.msg === 'request completed' && e.route === '/annotated');
    await log.lineWhere((e) => e.msg === 'request completed' && e.route === '/session/:id');
    const completed = log.lines.filter((e) => e.msg === 'request completed');
    expect(completed).toHaveLength(2);
    expect(completed[0]).toMatchObject({ level: 'info', method: 'POST', route: '/annotated', status: 200, category: 'M', model_used: 'medium_ai', cost_usd: 0.0042, run_id: 'run-7' });
    expect(completed[0]!.request_id).toEqual(expect.any(String));
    expect(completed[0]!.duration_ms).toEqual(expect.any(Number));
    expect(completed[1]).toMatchObject({ method: 'GET', route: '/session/:id', status: 404 });
    expect(completed[1]).not.toHaveProperty('category');
    expect(JSON.stringify(log.lines)).not.toMatch(/sk-live-secret|sk-other-secret/);
  });
});
