import autocannon from 'autocannon';
import { percentile } from './numbers.js';

/** One closed-loop load run: requests/s and latency (ms) of the 2xx answers. */
export interface LoadResult {
  connections: number;
  durationS: number;
  ok: number;
  rps: number;
  p50: number;
  p99: number;
  mean: number;
  /** Socket errors, timeouts and non-2xx answers together. */
  failed: number;
}

export interface LoadOptions {
  url: string;
  body: unknown;
  connections: number;
  durationS: number;
  /** Extra request headers (a peer's routing headers). */
  headers?: Record<string, string>;
}

/**
 * autocannon against one POST endpoint. Its own histogram keeps whole
 * milliseconds, too coarse for a sub-millisecond added latency, so each 2xx
 * response time (float ms, from its 'response' event) is kept and ranked here.
 */
export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  const latencies: number[] = [];
  // Without a callback autocannon returns a promise that is also the event-emitting instance.
  const instance = autocannon({
    url: opts.url,
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer bench', ...opts.headers },
    body: JSON.stringify(opts.body),
    connections: opts.connections,
    duration: opts.durationS,
    pipelining: 1,
    timeout: 30,
  }) as unknown as Promise<autocannon.Result> & autocannon.Instance;
  instance.on('response', (_client: unknown, status: number, _bytes: number, responseTime: number) => {
    if (status >= 200 && status < 300) latencies.push(responseTime);
  });
  const started = performance.now();
  const result = await instance;
  const elapsedS = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    connections: opts.connections,
    durationS: elapsedS,
    ok: latencies.length,
    rps: latencies.length / elapsedS,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    mean: latencies.length ? latencies.reduce((a, b) => a + b, 0) / latencies.length : Number.NaN,
    failed: result.errors + result.timeouts + result.non2xx,
  };
}
