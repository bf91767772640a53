import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createSqliteStores } from '../../src/store/sqlite.js';
import { startTestApp, type TestApp, type TestAppOptions } from '../helpers/app.js';
import { pair, tempDir, turn } from './fixtures.js';

const apps: TestApp[] = [];
const cleanups: (() => void)[] = [];
afterEach(async () => {
  while (apps.length) await apps.pop()!.close();
  while (cleanups.length) cleanups.pop()!();
});
/** The real server (buildApp) with every provider simulated; `ctx` is the app's context. */
const start = async (opts: TestAppOptions = {}) => {
  const app = await startTestApp(opts);
  const started = { ...app, ctx: app.app.ctx };
  apps.push(started);
  return started;
};

const T0 = '2025-01-01T00:00:00.000Z';

describe('GET and DELETE /session/{id}', () => {
  it('returns the turns in order with role, content, category, model, run and times', async () => {
    const { url, ctx } = await start();
    await ctx.stores.sessions.appendTurns('s-1', [
      turn('user', 'hello', T0),
      turn('assistant', 'hi', T0, { category: 'H', model_used: 'thinking_ai', run_id: 'run-1', cost_usd: 0.25 }),
    ]);
    const res = await fetch(`${url}/session/s-1`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, any>;
    expect(body).toEqual({
      session_id: 's-1',
      created_at: T0,
      updated_at: T0,
      cost_usd: 0.25,
      turns: [
        turn('user', 'hello', T0),
        turn('assistant', 'hi', T0, { category: 'H', model_used: 'thinking_ai', run_id: 'run-1', cost_usd: 0.25 }),
      ],
    });
  });

  it('answers 404 not_found for an unknown session', async () => {
    const { url } = await start();
    const res = await fetch(`${url}/session/nobody`);
    expect(res.status).toBe(404);
    const body = (await res.json()) as { error: { type: string; request_id: string } };
    expect(body.error.type).toBe('not_found');
    expect(body.error.request_id).toEqual(expect.any(String));
  });

  it.each([
    ['a space', 'has%20space'],
    ['a dot', 'a.b'],
    ['129 characters', 'x'.repeat(129)],
  ])('rejects a session id with %s as a validation error', async (_what, id) => {
    const { url } = await start();
    const res = await fetch(`${url}/session/${id}`);
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { type: string; details: { path: string }[] } };
    expect(body.error.type).toBe('validation_error');
    expect(body.error.details[0]!.path).toBe('params.id');
  });

  it('accepts a session id of the full 128 characters', async () => {
    const { url } = await start();
    const res = await fetch(`${url}/session/${'x'.repeat(128)}`);
    expect(res.status).toBe(404);
  });

  it('deletes a session: 204 with no body, then it is gone', async () => {
    const { url, ctx } = await start();
    await ctx.stores.sessions.appendTurns('s-2', pair(1, T0));
    const res = await fetch(`${url}/session/s-2`, { method: 'DELETE' });
    expect(res.status).toBe(204);
    expect(await res.text()).toBe('');
    expect(await ctx.stores.sessions.get('s-2')).toBeNull();
    expect((await fetch(`${url}/session/s-2`)).status).toBe(404);
    expect((await fetch(`${url}/session/s-2`, { method: 'DELETE' })).status).toBe(404);
  });

  it('answers 503 overloaded with Retry-After when the store fails', async () => {
    const { url, ctx } = await start();
    await ctx.stores.close();
    const res = await fetch(`${url}/session/s-3`);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    const body = (await res.json()) as { error: { type: string; message: string } };
    expect(body.error).toMatchObject({ type: 'overloaded', message: 'session store unavailable: store is closed' });
  });

  it('keeps sessions across a restart on the same SQLite file', async () => {
    const tmp = tempDir();
    cleanups.push(tmp.cleanup);
    const file = join(tmp.dir, 'orchestrator.db');

    const first = await start({ stores: createSqliteStores(file) });
    await first.ctx.stores.sessions.appendTurns('durable', pair(1, T0));
    await first.close();
    apps.splice(apps.indexOf(first), 1);

    const second = await start({ stores: createSqliteStores(file) });
    const body = (await (await fetch(`${second.url}/session/durable`)).json()) as { turns: { content: string }[] };
    expect(body.turns.map((t) => t.content)).toEqual(['q1', 'a1']);
  });
});

describe('GET /sessions', () => {
  it('lists sessions most recently updated first, without turns, one page at a time', async () => {
    const { url, ctx } = await start();
    await ctx.stores.sessions.appendTurns('first', pair(1, '2025-01-01T00:00:00.000Z'));
    await ctx.stores.sessions.appendTurns('second', pair(1, '2025-01-01T00:05:00.000Z'));
    await ctx.stores.sessions.appendTurns('third', pair(1, '2025-01-01T00:10:00.000Z'));
    const page = (await (await fetch(`${url}/sessions?limit=2`)).json()) as { sessions: Record<string, unknown>[]; next_cursor: string | null };
    expect(page.sessions).toEqual([
      { session_id: 'third', created_at: '2025-01-01T00:10:00.000Z', updated_at: '2025-01-01T00:10:00.000Z', cost_usd: 0.001, turns: 2 },
      { session_id: 'second', created_at: '2025-01-01T00:05:00.000Z', updated_at: '2025-01-01T00:05:00.000Z', cost_usd: 0.001, turns: 2 },
    ]);
    const rest = (await (await fetch(`${url}/sessions?limit=2&cursor=${page.next_cursor!}`)).json()) as typeof page;
    expect(rest).toEqual({ sessions: [expect.objectContaining({ session_id: 'first' })], next_cursor: null });
  });

  it.each([
    ['limit=0', 'querystring.limit'],
    ['limit=101', 'querystring.limit'],
    ['cursor=bogus', 'cursor'],
    ['order=asc', 'querystring'],
  ])('answers 400 naming the path for %s', async (query, path) => {
    const { url } = await start();
    const res = await fetch(`${url}/sessions?${query}`);
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { type: string; details: { path: string }[] } };
    expect(body.error.type).toBe('validation_error');
    expect(body.error.details[0]!.path).toBe(path);
  });
});
