import type { BenchChild } from './child.js';
import { runChatLoad, type ChatRun } from './load.js';
import { ms, num, type Row } from './report.js';

/** Section 8: the response cache — a hit against a call through the fake provider. */
export interface CacheBenchEnv {
  fake: BenchChild;
  /** A server whose medium_ai (tier M) caches (`cache: {ttl_s: 3600, temperature: true}`). */
  server: BenchChild;
  durationS: number;
  warmupS: number;
  log: (line: string) => void;
}

export interface CacheFigures {
  connections: number;
  /** `cache: false`: every request goes to the fake at 20 ms (the path of a miss, without its store write). */
  uncached: ChatRun;
  /** The same question answered from the in-process cache. */
  hit: ChatRun;
  /** Upstream calls during the hit run (0 when every answer came from the cache). */
  upstreamDuringHits: number;
}

const CONNECTIONS = 16;
const QUESTION = { message: 'Say hello to the benchmark in one short sentence.', category: 'M' };

/**
 * POST /chat (tier M, category given, so one model call) at 16 connections, the fake at
 * 20 ms: first with `cache: false` (each answer from the fake), then the same body
 * cached (after one request stored it), so both runs share the server and the machine.
 */
export async function benchCache(env: CacheBenchEnv): Promise<CacheFigures> {
  await env.fake.send('setLatency', 20);
  const run = (label: string, body: unknown, durationS: number) => runChatLoad(env, env.server, { label, body, connections: CONNECTIONS, durationS });
  env.log('8. response cache: a hit vs a call through the fake at 20 ms');
  await run('uncached (warm-up)', { ...QUESTION, cache: false }, env.warmupS);
  const uncached = await run('uncached', { ...QUESTION, cache: false }, env.durationS);
  await run('hit (warm-up)', QUESTION, env.warmupS);
  const hit = await run('hit', QUESTION, env.durationS);
  return { connections: CONNECTIONS, uncached, hit, upstreamDuringHits: hit.upstreamCalls };
}

export function cacheRows(f: CacheFigures): Row[] {
  const s = `8 cache c=${f.connections}`;
  return [
    { section: s, figure: 'uncached (fake 20 ms) req/s | p50 | p99', value: `${num(f.uncached.rps)} | ${ms(f.uncached.p50)} | ${ms(f.uncached.p99)}` },
    { section: s, figure: 'hit req/s | p50 | p99', value: `${num(f.hit.rps)} | ${ms(f.hit.p50)} | ${ms(f.hit.p99)}` },
    { section: s, figure: 'hit throughput ÷ uncached', value: `${num(f.hit.rps / f.uncached.rps, 1)}×` },
    { section: s, figure: 'upstream calls during the hit run', value: num(f.upstreamDuringHits), target: '0', pass: f.upstreamDuringHits === 0 },
  ];
}
