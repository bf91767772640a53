import { afterAll, beforeAll, describe, it } from 'vitest';
import { connectRedis, createRedisStores } from '../../src/store/redis.js';
import type { Stores } from '../../src/store/types.js';
import { startTestRedis, type TestRedis } from '../helpers/redis.js';
import { appendFromProcesses, expectPairsAdjacent, PAIRS, WRITERS } from '../store/concurrent-turns.js';

let redis: TestRedis;
let stores: Stores;
const prefix = `turns${process.pid}:`;

beforeAll(async () => {
  redis = await startTestRedis();
  stores = createRedisStores(await connectRedis(redis.url), { sessionTtlS: 600, runTtlS: 600, prefix });
});
afterAll(async () => {
  await stores?.close();
  await redis?.stop();
});

describe('concurrent turns on one Redis', () => {
  it(`${WRITERS} processes (replicas) appending ${PAIRS} pairs each at once leave every user turn directly followed by its answer`, { timeout: 120_000 }, async () => {
    await appendFromProcesses('redis', redis.url, prefix, 'crowded');
    await expectPairsAdjacent(stores, 'crowded');
  });
});
