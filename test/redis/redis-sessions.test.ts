import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRedis, createRedisStores } from '../../src/store/redis.js';
import type { Stores } from '../../src/store/types.js';
import { startTestRedis, type TestRedis } from '../helpers/redis.js';
import { pair } from '../store/fixtures.js';
import { sessionListContract } from '../store/session-list-contract.js';

let redis: TestRedis;
const opened: Stores[] = [];
const fresh = async (): Promise<{ stores: Stores; prefix: string }> => {
  const prefix = `s${Date.now()}${Math.random()}:`;
  const stores = createRedisStores(await connectRedis(redis.url), { sessionTtlS: 3600, runTtlS: 3600, prefix });
  opened.push(stores);
  return { stores, prefix };
};

beforeAll(async () => {
  redis = await startTestRedis();
});
afterAll(async () => {
  for (const s of opened) await s.close();
  await redis?.stop();
});

describe('redis session listing', () => {
  sessionListContract(async () => (await fresh()).stores);

  it('skips sessions Redis expired and drops them from the index', async () => {
    const { stores, prefix } = await fresh();
    const client = await connectRedis(redis.url);
    try {
      await stores.sessions.appendTurns('lives', pair(1, '2025-01-01T00:01:00.000Z'));
      await stores.sessions.appendTurns('expires', pair(1, '2025-01-01T00:02:00.000Z'));
      // What the TTL does to an idle session: its keys vanish, the index entry stays until listed.
      await client.del(`${prefix}session:expires`, `${prefix}session:expires:turns`);
      expect((await stores.sessions.list({ limit: 10 })).sessions.map((s) => s.session_id)).toEqual(['lives']);
      expect(await client.zrange(`${prefix}sessions`, '0', '-1')).toEqual(['lives']);
    } finally {
      client.disconnect();
    }
  });
});
