import type { BenchChild } from './child.js';
import { runChatLoad, type ChatRun } from './load.js';
import { mean } from './numbers.js';
import { ms, num, type Row } from './report.js';

/** Section 7: what a shadow at 100 % costs the primary's answers. */
export interface TrafficBenchEnv {
  fake: BenchChild;
  /** The server without a shadow. */
  off: BenchChild;
  /** The same server with `routing.tiers.M.shadow = { model: fast_ai, sample_rate: 1 }`. */
  on: BenchChild;
  durationS: number;
  warmupS: number;
  log: (line: string) => void;
}

export interface TrafficFigures {
  connections: number;
  /** Alternating runs, off and on, so drift of a shared machine hits both alike. */
  off: ChatRun[];
  on: ChatRun[];
  /** Upstream calls per answered request during the shadow-on runs (2 when every answer is shadowed). */
  upstreamPerAnswerOn: number;
}

/**
 * One connection: the question is whether the shadow sits on the answer's path, not how a saturated
 * machine shares its CPU (a shadow at 100 % doubles the upstream work; CPU per answer shows that cost).
 */
const CONNECTIONS = 1;
const BODY = { message: 'Say hello to the benchmark in one short sentence.', category: 'M' };

/**
 * POST /chat (tier M, category given, so one primary call) through two servers,
 * one with a shadow on the tier at 100 %, in alternating runs at the fake's 20 ms
 * latency. The shadow starts after the answer is sent, so the primary's p50
 * should not move; the fake's call count shows the shadows really ran.
 */
export async function benchShadow(env: TrafficBenchEnv): Promise<TrafficFigures> {
  const { off, on } = env;
  await env.fake.send('setLatency', 20);
  const run = (label: string, server: BenchChild, durationS: number) => runChatLoad(env, server, { label, body: BODY, connections: CONNECTIONS, durationS });
  env.log('7. shadow at 100 % on tier M: primary latency with the shadow off and on');
  await run('shadow off (warm-up)', off, env.warmupS);
  await run('shadow on (warm-up)', on, env.warmupS);
  const figures: TrafficFigures = { connections: CONNECTIONS, off: [], on: [], upstreamPerAnswerOn: 0 };
  for (let round = 0; round < 2; round++) {
    figures.off.push(await run('shadow off', off, env.durationS));
    figures.on.push(await run('shadow on', on, env.durationS));
  }
  const onCalls = figures.on.reduce((s, r) => s + r.upstreamCalls, 0);
  figures.upstreamPerAnswerOn = onCalls / Math.max(1, figures.on.reduce((s, r) => s + r.ok, 0));
  return figures;
}

export function trafficRows(f: TrafficFigures): Row[] {
  const s = `7 shadow 100 % c=${f.connections}`;
  const offP50 = mean(f.off.map((r) => r.p50));
  const onP50 = mean(f.on.map((r) => r.p50));
  const added = onP50 - offP50;
  return [
    { section: s, figure: 'shadow off req/s | p50 | p99', value: `${num(mean(f.off.map((r) => r.rps)))} | ${ms(offP50)} | ${ms(mean(f.off.map((r) => r.p99)))}` },
    { section: s, figure: 'shadow on req/s | p50 | p99', value: `${num(mean(f.on.map((r) => r.rps)))} | ${ms(onP50)} | ${ms(mean(f.on.map((r) => r.p99)))}` },
    { section: s, figure: 'added p50 (on − off)', value: ms(added), target: '<= 1 ms', pass: added <= 1 },
    { section: s, figure: 'server CPU per answer off | on', value: `${ms(mean(f.off.map((r) => r.cpuMsPerReq)), 3)} | ${ms(mean(f.on.map((r) => r.cpuMsPerReq)), 3)}` },
    { section: s, figure: 'upstream calls per answer (shadow on)', value: num(f.upstreamPerAnswerOn, 2), target: '2.00', pass: f.upstreamPerAnswerOn >= 1.95 },
  ];
}
