import { afterAll, beforeAll, describe } from 'vitest';
import { connectRedis, createRedisStores } from '../../src/store/redis.js';
import type { Stores } from '../../src/store/types.js';
import { startTestRedis, type TestRedis } from '../helpers/redis.js';
import { runLogContract } from '../store/run-log-contract.js';

let redis: TestRedis;
const opened: Stores[] = [];

beforeAll(async () => {
  redis = await startTestRedis();
});
afterAll(async () => {
  for (const s of opened) await s.close();
  await redis?.stop();
});

describe('redis run store and event log', () =>
  runLogContract(async () => {
    const stores = createRedisStores(await connectRedis(redis.url), { sessionTtlS: 3600, runTtlS: 3600 * 24 * 365 * 30, prefix: `r${Date.now()}${Math.random()}:` });
    opened.push(stores);
    return stores;
  }));
