import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import type { Redis } from 'ioredis';
import { sleep } from '../../src/clock.js';
import { connectRedis, createRedisStores } from '../../src/store/redis.js';
import { startTestApp, type TestApp, type TestAppOptions } from './app.js';
import { pointShippedConfigAt, TEST_ENV } from './gateway-config.js';

/** A redis-server of the test's own on a loopback port, which the test can kill and bring back. */
export interface TestRedis {
  url: string;
  port: number;
  stop(): Promise<void>;
  start(): Promise<void>;
}

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });

async function waitForPort(port: number, up: boolean): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const open = await new Promise<boolean>((resolve) => {
      const s = createServer();
      s.once('error', () => resolve(true));
      s.listen(port, '127.0.0.1', () => s.close(() => resolve(false)));
    });
    if (open === up) return;
    await sleep(50);
  }
  throw new Error(`redis on port ${port} did not ${up ? 'start' : 'stop'}`);
}

/** Starts `redis-server` (Debian's package; REDIS_SERVER_BIN overrides the binary) without persistence. */
export async function startTestRedis(): Promise<TestRedis> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn(process.env.REDIS_SERVER_BIN ?? 'redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: 'ignore',
    });
    const failed = new Promise<never>((_, reject) =>
      child!.once('error', (err) => reject(new Error(`cannot start redis-server (apt-get install redis-server): ${err.message}`))),
    );
    await Promise.race([waitForPort(port, true), failed]);
  };
  const stop = async () => {
    if (!child) return;
    const exited = new Promise((resolve) => child!.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    child = undefined;
    await waitForPort(port, false);
  };
  await start();
  return { url: `redis://127.0.0.1:${port}`, port, stop, start };
}

/**
 * A Redis for tests that only need one running: CI's (started by .ci/run on a
 * loopback port and exported as TEST_REDIS_URL), else one of the test's own.
 * Tests that kill Redis always use `startTestRedis`.
 */
export async function sharedTestRedis(): Promise<{ url: string; stop(): Promise<void> }> {
  const url = process.env.TEST_REDIS_URL;
  if (url) return { url, stop: async () => undefined };
  return startTestRedis();
}

/**
 * One replica of a fleet on a shared Redis, as a process of its own would be: its own connection,
 * the Redis session/run stores and the shared state under `prefix` (replicas of one deployment share it).
 * `opts` may be a function of that connection, for deps that need it too.
 */
export async function startReplica(redisUrl: string, prefix: string, opts: TestAppOptions | ((redis: Redis) => TestAppOptions) = {}): Promise<TestApp> {
  const redis = await connectRedis(redisUrl);
  return startTestApp({
    ...(typeof opts === 'function' ? opts(redis) : opts),
    stores: createRedisStores(redis, { sessionTtlS: 3600, runTtlS: 3600, prefix }),
    shared: { redis, bottleneckRedisUrl: redisUrl, prefix },
  });
}

/** A replica (as `startReplica`) whose providers are the fake provider at `fakeUrl` (TEST_ENV); `opts.config` edits the config after. */
export const startFakeReplica = (redisUrl: string, prefix: string, fakeUrl: string, opts: TestAppOptions = {}): Promise<TestApp> =>
  startReplica(redisUrl, prefix, {
    env: TEST_ENV,
    ...opts,
    config: (raw) => {
      pointShippedConfigAt(raw, fakeUrl);
      opts.config?.(raw);
    },
  });

/** Two such replicas of one deployment, as Railway replicas behind its load balancer would be. */
export async function startFakeReplicaPair(redisUrl: string, prefix: string, fakeUrl: string, opts: TestAppOptions = {}): Promise<[TestApp, TestApp]> {
  return [await startFakeReplica(redisUrl, prefix, fakeUrl, opts), await startFakeReplica(redisUrl, prefix, fakeUrl, opts)];
}
