import { Pool } from 'undici';
import type { BenchChild } from './child.js';
import { maxInWindow } from './numbers.js';
import { ms, num, pct, type Row } from './report.js';

export interface RateLimitFigures {
  calls: number;
  limit: number;
  windowMs: number;
  statuses: Record<string, number>;
  starts: number;
  maxInAnyWindow: number;
  spanMs: number;
  utilisation: number;
  wallMs: number;
}

export interface RateLimitBenchEnv {
  fake: BenchChild;
  /** A server child started with `rateLimit: {requestsPerWindow: limit, windowMs}`. */
  server: BenchChild;
  calls: number;
  limit: number;
  windowMs: number;
  log: (line: string) => void;
}

/**
 * Section 5: `calls` concurrent POST /v1/chat/completions (each with its own connection,
 * `fallbacks: []` so a call waits for its provider rather than leaving for another) against
 * openrouter limited to `limit` starts per `windowMs`. The fake's arrival log is the judge.
 *
 * Utilisation: a perfect limiter admits `limit` at once and `limit` more at every window
 * boundary, so N starts need at least (ceil(N / limit) - 1) windows between the first and
 * last; the allowance over the observed span is limit x (span / window + 1) starts.
 */
export async function benchRateLimit(env: RateLimitBenchEnv): Promise<RateLimitFigures> {
  const { fake, server } = env;
  env.log(`5. rate limiter: ${env.calls} concurrent calls against ${env.limit} per ${env.windowMs} ms`);
  await fake.send('setLatency', 20);
  await fake.send('reset');
  const pool = new Pool(server.info.url, { connections: env.calls, pipelining: 1 });
  const statuses: Record<string, number> = {};
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: env.calls }, async (_, i) => {
      const res = await pool.request({
        method: 'POST',
        path: '/v1/chat/completions',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'medium_ai', fallbacks: [], messages: [{ role: 'user', content: `call ${i}` }] }),
        headersTimeout: 120_000,
        bodyTimeout: 120_000,
      });
      await res.body.text();
      statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
    }),
  );
  const wallMs = performance.now() - t0;
  await pool.close();
  const starts = await fake.send<number[]>('starts', { path: '/v1/chat/completions' });
  const first = Math.min(...starts);
  const last = Math.max(...starts);
  const spanMs = last - first;
  const allowance = env.limit * (spanMs / env.windowMs + 1);
  const figures: RateLimitFigures = {
    calls: env.calls,
    limit: env.limit,
    windowMs: env.windowMs,
    statuses,
    starts: starts.length,
    maxInAnyWindow: maxInWindow(starts, env.windowMs),
    spanMs,
    utilisation: starts.length / allowance,
    wallMs,
  };
  env.log(`  ${figures.starts} starts over ${ms(spanMs, 0)}, max ${figures.maxInAnyWindow} in any ${env.windowMs} ms window, statuses ${JSON.stringify(statuses)}`);
  return figures;
}

export function rateLimitRows(f: RateLimitFigures): Row[] {
  const s = `5 rate limiter ${f.limit}/${f.windowMs / 1000}s`;
  const ok = f.statuses['200'] ?? 0;
  return [
    { section: s, figure: 'calls answered 200', value: `${ok} / ${f.calls}`, target: `${f.calls}`, pass: ok === f.calls },
    { section: s, figure: 'starts seen by the fake | span', value: `${f.starts} | ${ms(f.spanMs, 0)}` },
    { section: s, figure: 'max starts in any window | limit', value: `${f.maxInAnyWindow} | ${f.limit}`, target: `<= ${f.limit}`, pass: f.maxInAnyWindow <= f.limit },
    { section: s, figure: 'utilisation of the allowance', value: pct(f.utilisation), target: '>= 90 %', pass: f.utilisation >= 0.9 },
    { section: s, figure: 'burst wall time', value: `${ms(f.wallMs, 0)} (${num(f.calls / (f.wallMs / 1000), 1)} calls/s)` },
  ];
}
