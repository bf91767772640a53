import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BenchChild } from './child.js';
import { runChatLoad, type ChatRun } from './load.js';
import { mean } from './numbers.js';
import { ms, num, pct, type Row } from './report.js';

/** Section 9: what tracing costs a /chat answer — off, on with a no-op exporter, on with OTLP/HTTP export. */
export interface TracingBenchEnv {
  fake: BenchChild;
  /** Tracing off (no endpoint: the SDK is not even loaded). */
  off: BenchChild;
  /** Tracing on, spans made and ended, handed to an exporter that drops them: the cost of making spans. */
  noop: BenchChild;
  /** Tracing on, spans batched and exported as OTLP/HTTP protobuf to `sink`: the whole cost. */
  otlp: BenchChild;
  sink: OtlpSink;
  durationS: number;
  warmupS: number;
  log: (line: string) => void;
}

export interface TracingFigures {
  connections: number;
  /** Alternating runs (off, noop, otlp, off, ...) so drift of a shared machine hits all alike. */
  off: ChatRun[];
  noop: ChatRun[];
  otlp: ChatRun[];
  /** OTLP bytes the sink received for the otlp server's answers (warm-up included), per answer. */
  exportBytesPerAnswer: number;
  /** Export requests the sink received. */
  exportRequests: number;
}

/** An OTLP/HTTP collector stand-in that reads and drops every export (runs in the bench process). */
export interface OtlpSink {
  url: string;
  bytes: number;
  requests: number;
  close(): Promise<void>;
}

export async function startOtlpSink(): Promise<OtlpSink> {
  const sink: OtlpSink = { url: '', bytes: 0, requests: 0, close: async () => undefined };
  const server: Server = createServer((req, res) => {
    sink.requests += 1;
    req.on('data', (c: Buffer) => (sink.bytes += c.length));
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  sink.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  sink.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return sink;
}

/** Enough connections to keep the server busy (CPU per answer is the figure), few enough for a 2-core machine. */
const CONNECTIONS = 16;
/** Tier M with the category given: one model call, so a trace of 4 spans (HTTP, categorize, gateway call, attempt). */
const BODY = { message: 'Say hello to the benchmark in one short sentence.', category: 'M' };

/**
 * POST /chat through three servers built alike but for tracing, in alternating runs at the
 * fake's 20 ms latency: req/s, p50, p99 and the server's CPU per answer, and the ratios to off.
 */
export async function benchTracing(env: TracingBenchEnv): Promise<TracingFigures> {
  await env.fake.send('setLatency', 20);
  const run = (label: string, server: BenchChild, durationS: number) => runChatLoad(env, server, { label, body: BODY, connections: CONNECTIONS, durationS });
  env.log('9. tracing: /chat (tier M) with tracing off, on with a no-op exporter, on with OTLP/HTTP export');
  await run('tracing off (warm-up)', env.off, env.warmupS);
  await run('no-op exporter (warm-up)', env.noop, env.warmupS);
  let answers = (await run('OTLP export (warm-up)', env.otlp, env.warmupS)).ok;
  const figures: TracingFigures = { connections: CONNECTIONS, off: [], noop: [], otlp: [], exportBytesPerAnswer: 0, exportRequests: 0 };
  for (let round = 0; round < 2; round++) {
    figures.off.push(await run('tracing off', env.off, env.durationS));
    figures.noop.push(await run('tracing on, no-op exporter', env.noop, env.durationS));
    const measured = await run('tracing on, OTLP export', env.otlp, env.durationS);
    figures.otlp.push(measured);
    answers += measured.ok;
  }
  // The batch processor exports every 5 s (OTEL_BSP_SCHEDULE_DELAY): wait for the last batch.
  await new Promise((resolve) => setTimeout(resolve, 6000));
  figures.exportBytesPerAnswer = env.sink.bytes / Math.max(1, answers);
  figures.exportRequests = env.sink.requests;
  return figures;
}

export function tracingRows(f: TracingFigures): Row[] {
  const s = `9 tracing c=${f.connections}`;
  const summary = (runs: ChatRun[]) =>
    `${num(mean(runs.map((r) => r.rps)))} | ${ms(mean(runs.map((r) => r.p50)))} | ${ms(mean(runs.map((r) => r.p99)))} | ${ms(mean(runs.map((r) => r.cpuMsPerReq)), 3)}`;
  const cpuOff = mean(f.off.map((r) => r.cpuMsPerReq));
  const rpsOff = mean(f.off.map((r) => r.rps));
  const ratio = (runs: ChatRun[]) =>
    `req/s ${pct(mean(runs.map((r) => r.rps)) / rpsOff)} of off, CPU/answer ${pct(mean(runs.map((r) => r.cpuMsPerReq)) / cpuOff)} of off`;
  return [
    { section: s, figure: 'off: req/s | p50 | p99 | CPU/answer', value: summary(f.off) },
    { section: s, figure: 'no-op exporter: req/s | p50 | p99 | CPU/answer', value: summary(f.noop) },
    { section: s, figure: 'OTLP export: req/s | p50 | p99 | CPU/answer', value: summary(f.otlp) },
    { section: s, figure: 'no-op exporter vs off', value: ratio(f.noop) },
    { section: s, figure: 'OTLP export vs off', value: ratio(f.otlp) },
    { section: s, figure: 'OTLP bytes exported per answer (export requests)', value: `${num(f.exportBytesPerAnswer)} (${f.exportRequests})` },
  ];
}
