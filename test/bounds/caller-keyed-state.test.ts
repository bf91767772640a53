import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Pool } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSqliteStores } from '../../src/store/sqlite.js';
import { startTestApp, type TestApp } from '../helpers/app.js';

/**
 * Issue 17: every map keyed by a name a caller picks stays at its bound. Each request brings a new
 * ad-hoc model name, request id, API key (the rate limiter's key) and, on /chat, session id.
 * BOUNDS_NAMES=100000 runs the full figure (a few minutes on a loaded machine).
 */
const NAMES = Number(process.env.BOUNDS_NAMES ?? 5_000);
const WARMUP = Math.min(1_000, Math.floor(NAMES / 5));
const BOUNDS = { ad_hoc_models: 50, model_resets: 10, label_values: 5, callers: 10, rate_limit_callers: 100 };

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const heapAfterGc = () => {
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().heapUsed;
};

let t: TestApp;
let pool: Pool;
const dir = mkdtempSync(join(tmpdir(), 'bounds-'));

beforeAll(async () => {
  t = await startTestApp({
    config: (raw) => {
      raw.bounds = BOUNDS;
    },
    // Sessions go to disk, as in production: what stays in memory is only the server's own state.
    stores: createSqliteStores(join(dir, 'orchestrator.db')),
  });
  pool = new Pool(t.url, { connections: 8 });
});
afterAll(async () => {
  await pool?.close();
  await t?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function post(path: string, body: unknown, i: number): Promise<void> {
  const res = await pool.request({
    method: 'POST',
    path,
    headers: { 'content-type': 'application/json', 'x-request-id': `req-${i}`, authorization: `Bearer caller-${i}` },
    body: JSON.stringify(body),
  });
  const text = await res.body.text();
  if (res.statusCode !== 200) throw new Error(`${path} #${i}: ${res.statusCode} ${text}`);
}

/** Request `i`: a new ad-hoc model on /v1 (every fifth streamed), every tenth a new session on /chat. */
function send(i: number): Promise<void> {
  if (i % 10 === 0) return post('/chat', { message: `hello ${i}`, session_id: `session-${i}`, category: 'L' }, i);
  const provider = i % 2 === 0 ? 'google_ai' : 'openrouter';
  return post('/v1/chat/completions', { model: `${provider}/probe-${i}`, messages: [{ role: 'user', content: 'hi' }], stream: i % 5 === 1 }, i);
}

async function sendRange(from: number, to: number, concurrency = 8): Promise<void> {
  let next = from;
  const worker = async () => {
    while (next < to) await send(next++);
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

async function entries(): Promise<Record<string, number>> {
  const text = await (await fetch(`${t.url}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^caller_keyed_entries\{state="(\w+)"\} (\d+)$/gm)) out[m[1]!] = Number(m[2]);
  return out;
}

describe(`${NAMES} distinct ad-hoc models, request ids, keys and sessions through HTTP`, () => {
  it('keep every caller-keyed map at its bound and the heap flat', async () => {
    const configured = Object.keys(t.loaded.config.models).length;
    await sendRange(0, WARMUP);
    const warm = await entries();
    const heapWarm = heapAfterGc();

    await sendRange(WARMUP, NAMES);
    const end = await entries();
    const heapEnd = heapAfterGc();
    process.stdout.write(`${JSON.stringify({ names: NAMES, entries: end, heap_mb: { warm: heapWarm / 2 ** 20, end: heapEnd / 2 ** 20 } })}\n`);

    // Already at the bounds after the warm-up, and still there.
    expect(warm.ad_hoc_breakers).toBe(BOUNDS.ad_hoc_models);
    expect(end.ad_hoc_breakers).toBe(BOUNDS.ad_hoc_models);
    expect(end.breakers).toBeLessThanOrEqual(configured + BOUNDS.ad_hoc_models);
    // Known names, the bounded extras, and `other`.
    expect(end.stats_models).toBe(configured + BOUNDS.label_values + 1);
    expect(end.metric_models).toBe(configured + BOUNDS.label_values);
    expect(end.metric_providers).toBeLessThanOrEqual(Object.keys(t.loaded.config.providers).length + BOUNDS.label_values);
    expect(end.stats_callers).toBeLessThanOrEqual(BOUNDS.callers + 1);
    const stats = (await (await fetch(`${t.url}/stats`)).json()) as { models: Record<string, { calls: number }> };
    expect(Object.keys(stats.models)).toHaveLength(configured + BOUNDS.label_values + 1);
    expect(stats.models.other!.calls).toBeGreaterThan(0);
    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    expect(new Set([...metrics.matchAll(/model="([^"]+)"/g)].map((m) => m[1])).size).toBeLessThanOrEqual(configured + BOUNDS.label_values + 1);

    // Generous: unbounded state would be megabytes per thousand names (a breaker and its timers are ~8 KB).
    expect(heapEnd).toBeLessThan(heapWarm * 1.5);
  }, Math.max(300_000, NAMES * 30));
});
