import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.js';
import { connectRedis, createRedisStores } from '../../src/store/redis.js';
import type { Stores } from '../../src/store/types.js';
import { pair, run } from '../store/fixtures.js';
import { startTestRedis, type TestRedis } from '../helpers/redis.js';

const T0 = '2025-01-01T00:00:00.000Z';
let redis: TestRedis;
let stores: Stores;

beforeAll(async () => {
  redis = await startTestRedis();
  stores = createRedisStores(await connectRedis(redis.url), { sessionTtlS: 3600, runTtlS: 3600, prefix: `t${Date.now()}:` });
});
afterAll(async () => {
  await stores?.close();
  await redis?.stop();
});

describe('redis store', () => {
  it('stores a session with its turns in order and deletes it', async () => {
    await stores.sessions.appendTurns('r1', pair(1, T0));
    await stores.sessions.appendTurns('r1', pair(2, T0));
    const session = await stores.sessions.get('r1');
    expect(session?.turns.map((t) => t.content)).toEqual(['q1', 'a1', 'q2', 'a2']);
    expect(session?.cost_usd).toBeCloseTo(0.002, 9);
    expect((await stores.sessions.recentTurns('r1', 2)).map((t) => t.content)).toEqual(['q2', 'a2']);
    expect(await stores.sessions.delete('r1')).toBe(true);
    expect(await stores.sessions.get('r1')).toBeNull();
    expect(await stores.sessions.delete('r1')).toBe(false);
  });

  it('loses nothing under 100 concurrent appends of a pair on one session', async () => {
    await Promise.all(Array.from({ length: 100 }, (_, i) => stores.sessions.appendTurns('busy', pair(i, T0))));
    const turns = (await stores.sessions.get('busy'))!.turns;
    expect(turns).toHaveLength(200);
    for (let i = 0; i < 200; i += 2) {
      expect(turns[i]!.role).toBe('user');
      expect(turns[i + 1]!.content).toBe(turns[i]!.content.replace('q', 'a'));
    }
  });

  it('saves and returns run records', async () => {
    await stores.runs.save(run('run-1', T0));
    expect((await stores.runs.get('run-1'))?.workflow).toBe('research_report');
    expect(await stores.runs.get('missing')).toBeNull();
  });

  it('answers 503 while Redis is down and recovers by itself when it returns', async () => {
    await redis.stop();
    const err = await stores.sessions.get('r1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).status).toBe(503);
    expect((await stores.health()).status).toBe('error');
    await redis.start();
    for (let i = 0; i < 50 && (await stores.health()).status !== 'ok'; i++) await new Promise((r) => setTimeout(r, 100));
    expect((await stores.health()).status).toBe('ok');
    await stores.sessions.appendTurns('after', pair(1, T0));
    expect((await stores.sessions.get('after'))?.turns).toHaveLength(2);
  });
});
