import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRedis } from './redis.js';
import { hasService } from '../../test/helpers/has-service.js';
import { sharedTestRedis } from '../../test/helpers/redis.js';
import { openSqliteDatabase } from './sqlite-database.js';
import type { DeliveryAttempt, Outbox, OutboxMessage } from './outbox-types.js';
import { createRedisOutbox } from './outbox-redis.js';
import { createSqliteOutbox } from './outbox-sqlite.js';

const T0 = Date.parse('2026-03-01T00:00:00Z');
const message = (id: string, run_id = 'run-1'): OutboxMessage => ({
  id,
  run_id,
  event: 'run.completed',
  url: 'https://example.com/hook',
  shown_url: 'https://example.com/hook',
  payload: '{"type":"run.completed"}',
  created_ms: T0,
});
const attempt = (status_code: number | null, at = T0): DeliveryAttempt => ({ event: 'run.completed', url: 'https://example.com/hook', status_code, at: new Date(at).toISOString() });

let redis: { url: string; stop(): Promise<void> } | undefined;
const clients: { disconnect(): void }[] = [];
// The Redis driver's half needs a redis-server (test/helpers/services.ts); the SQLite half always runs.
const withRedis = hasService('redis-server');
beforeAll(async () => {
  if (withRedis) redis = await sharedTestRedis();
});
afterAll(async () => {
  for (const c of clients) c.disconnect();
  await redis?.stop();
});

type OpenPair = () => Promise<[Outbox, Outbox]>;

const openSqlite: OpenPair = async () => {
  const db = openSqliteDatabase(':memory:');
  return [createSqliteOutbox(db), createSqliteOutbox(db)];
};

const openRedis: OpenPair = async () => {
  const prefix = `outbox${Date.now()}${Math.random()}:`;
  const [a, b] = [await connectRedis(redis!.url), await connectRedis(redis!.url)];
  clients.push(a, b);
  const opts = { prefix, messageTtlS: 3600, attemptsTtlS: 3600 };
  return [createRedisOutbox(a, opts), createRedisOutbox(b, opts)];
};

const drivers: [string, OpenPair][] = [['sqlite', openSqlite], ...(withRedis ? [['redis', openRedis] as [string, OpenPair]] : [])];

describe.each(drivers)('the %s outbox', (_name, open) => {
  it('gives each due message to one claimer only while its lease holds, and to another once it lapses', async () => {
    const [a, b] = await open();
    await a.enqueue([message('m1'), message('m2'), message('m3')]);
    const [first, second] = await Promise.all([a.claim(T0, 10, 1000), b.claim(T0, 10, 1000)]);
    const ids = [...first, ...second].map((m) => m.id).sort();
    expect(ids).toEqual(['m1', 'm2', 'm3']);
    expect(await b.claim(T0 + 999, 10, 1000)).toEqual([]);
    const again = await b.claim(T0 + 1000, 10, 1000);
    expect(again.map((m) => m.id).sort()).toEqual(['m1', 'm2', 'm3']);
    // The first holder lost its lease: its late settlement is refused and records nothing.
    expect(await a.settle(first[0] ?? second[0]!, attempt(204), { kind: 'delivered' })).toBe(false);
    expect(await a.attempts('run-1')).toEqual([]);
  });

  it('never hands out a delivered message again, and retries a failed one at its time', async () => {
    const [a] = await open();
    await a.enqueue([message('ok'), message('bad')]);
    const claimed = await a.claim(T0, 10, 1000);
    const ok = claimed.find((m) => m.id === 'ok')!;
    const bad = claimed.find((m) => m.id === 'bad')!;
    expect(await a.settle(ok, attempt(200), { kind: 'delivered' })).toBe(true);
    expect(await a.settle(bad, attempt(500), { kind: 'retry', at_ms: T0 + 5000 })).toBe(true);
    expect(await a.nextDue()).toBe(T0 + 5000);
    expect(await a.claim(T0 + 4999, 10, 1000)).toEqual([]);
    const retried = await a.claim(T0 + 10 * 86_400_000, 10, 1000);
    expect(retried.map((m) => [m.id, m.attempts])).toEqual([['bad', 1]]);
    expect((await a.attempts('run-1')).map((x) => x.status_code)).toEqual([200, 500]);
  });

  it('enqueues idempotently: the same message id twice is one message', async () => {
    const [a] = await open();
    await a.enqueue([message('dup', 'run-2')]);
    await a.enqueue([message('dup', 'run-2')]);
    expect(await a.claim(T0, 10, 1000)).toHaveLength(1);
  });

  it('gives up an expired message for good', async () => {
    const [a] = await open();
    await a.enqueue([message('old', 'run-3')]);
    const [m] = await a.claim(T0, 10, 1000);
    expect(await a.settle(m!, attempt(null), { kind: 'expired' })).toBe(true);
    expect(await a.claim(T0 + 10 * 86_400_000, 10, 1000)).toEqual([]);
    expect(await a.nextDue()).toBeNull();
  });
});
