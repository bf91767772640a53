import autocannon from 'autocannon';
import type { BenchChild } from './child.js';
import { percentile } from './numbers.js';
import { ms, num } from './report.js';

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

/** A load run of POST /chat through a bench server, with what it cost the server and the fake. */
export interface ChatRun extends LoadResult {
  /** The server's CPU time (user + system) per answered request, ms. */
  cpuMsPerReq: number;
  /** Calls the fake provider received during the run. */
  upstreamCalls: number;
}

/**
 * The load run of sections 7, 8 and 9: the fake's records cleared, `body` POSTed to the
 * server's /chat for `durationS` at `connections`, one log line of the figures.
 */
export async function runChatLoad(
  env: { fake: BenchChild; log: (line: string) => void },
  server: BenchChild,
  run: { label: string; body: unknown; connections: number; durationS: number },
): Promise<ChatRun> {
  await env.fake.send('reset');
  const cpuMs = async () => (await server.send<{ cpuMs: number }>('usage')).cpuMs;
  const cpu0 = await cpuMs();
  const load = await runLoad({ url: `${server.info.url}/chat`, body: run.body, connections: run.connections, durationS: run.durationS });
  const r: ChatRun = { ...load, cpuMsPerReq: ((await cpuMs()) - cpu0) / Math.max(1, load.ok), upstreamCalls: await env.fake.send<number>('count') };
  env.log(
    `  ${run.label.padEnd(26)} c=${run.connections}  ${num(r.rps).padStart(6)} req/s  p50 ${ms(r.p50)}  p99 ${ms(r.p99)}  cpu ${ms(r.cpuMsPerReq, 3)}/req  upstream calls ${r.upstreamCalls}${r.failed ? `  FAILED ${r.failed}` : ''}`,
  );
  return r;
}
