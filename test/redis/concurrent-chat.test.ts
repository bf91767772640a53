import { afterAll, beforeAll, describe, it } from 'vitest';
import { connectRedis, createRedisStores } from '../../src/store/redis.js';
import { startTestApp } from '../helpers/app.js';
import { startTestRedis, type TestRedis } from '../helpers/redis.js';
import { expectCrowdedSessionIntact } from '../store/concurrent-chat.js';

let redis: TestRedis;
beforeAll(async () => {
  redis = await startTestRedis();
});
afterAll(async () => redis?.stop());

describe('100 concurrent /chat calls on one session (redis store)', () => {
  // Each append is a round trip to Redis, so the other requests' appends can land between a turn's two writes.
  it('leave exactly 200 turns, each user turn directly followed by its own answer', async () => {
    const stores = createRedisStores(await connectRedis(redis.url), { sessionTtlS: 600, runTtlS: 600, prefix: `chat${process.pid}:` });
    const t = await startTestApp({ stores });
    try {
      await expectCrowdedSessionIntact(t);
    } finally {
      await t.close();
    }
  });
});
