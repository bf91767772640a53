import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Redis } from 'ioredis';
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

/**
 * The ports `listen(0)` and outgoing connections take are the kernel's ephemeral range (Linux:
 * /proc/sys/net/ipv4/ip_local_port_range, 32768–60999 by default). A test Redis on a port of that
 * range could, while it is down between stop() and start(), have its port taken by another test file's
 * server or connection; so its port is drawn below the range, where only explicitly chosen ports live.
 */
function portBelowEphemeralRange(): number {
  let low = 32768;
  try {
    low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || low;
  } catch {
    // Not Linux: the default range's start.
  }
  const floor = Math.min(20000, low - 1000);
  return floor + Math.floor(Math.random() * (low - floor));
}

const portIsFree = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });

/**
 * Starts redis-server on `port` and resolves once that process says it accepts connections (its own
 * log line, not "something listens on the port", which another process could be); rejects with its
 * output if it exits first (a port taken meanwhile, say).
 */
function spawnRedis(port: number): Promise<ChildProcess> {
  const child = spawn(process.env.REDIS_SERVER_BIN ?? 'redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer) => {
      output += String(chunk);
      if (!output.includes('Ready to accept connections')) return;
      child.stdout!.off('data', onData);
      child.stdout!.resume();
      child.off('exit', onExit);
      resolve(child);
    };
    const onExit = (code: number | null) => reject(new Error(`redis-server on port ${port} exited (${code}) before it was ready: ${output.trim()}`));
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => (output += String(chunk)));
    child.once('exit', onExit);
    child.once('error', (err) => reject(new Error(`cannot start redis-server (apt-get install redis-server): ${err.message}`)));
  });
}

/** Starts `redis-server` (Debian's package; REDIS_SERVER_BIN overrides the binary) without persistence. */
export async function startTestRedis(): Promise<TestRedis> {
  let port = 0;
  let child: ChildProcess | undefined;
  // Another test file may pick the same port at the same moment: the loser's redis-server exits, and it tries another.
  for (let tries = 0; !child; tries++) {
    port = portBelowEphemeralRange();
    if (!(await portIsFree(port))) continue;
    child = await spawnRedis(port).catch((err: unknown) => {
      if (tries >= 4) throw err;
      return undefined;
    });
  }
  const start = async () => {
    child = await spawnRedis(port);
  };
  const stop = async () => {
    if (!child) return;
    const running = child;
    child = undefined;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGKILL');
    await exited;
  };
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
