import type { BenchChild } from './child.js';
import { runLoad, type LoadResult } from './load.js';
import { mib, ms, num, pct, type Row } from './report.js';
import { rssMiB, sampleRss, type RssSummary } from './rss.js';

/** What the gateway sections need: the children, and how long each load run lasts. */
export interface GatewayBenchEnv {
  fake: BenchChild;
  server: BenchChild;
  bare: BenchChild;
  durationS: number;
  warmupS: number;
  log: (line: string) => void;
}

const PROMPT = [{ role: 'user', content: 'Say hello to the benchmark in one short sentence.' }];
/** The provider model id behind `medium_ai`, so the fake sees the same request either way. */
const UPSTREAM_MODEL = 'meta-llama/llama-3.3-70b-instruct';

const directBody = (stream: boolean) => ({ model: UPSTREAM_MODEL, messages: PROMPT, stream });
const serverBody = (stream: boolean) => ({ model: 'medium_ai', messages: PROMPT, stream });

interface Usage {
  cpuMs: number;
}

/** A load run plus the CPU time (ms per answered request) of the process in the middle and of the fake. */
export interface Measured extends LoadResult {
  proxyCpuMsPerReq?: number;
  fakeCpuMsPerReq?: number;
}

export interface OverheadPair {
  connections: number;
  stream: boolean;
  direct: Measured;
  /** The bare pass-through proxy under the same load: the floor any proxy on this stack pays. */
  bare: Measured;
  server: Measured;
}

export interface GatewayFigures {
  overhead: OverheadPair[];
  ceiling: { stream: boolean; direct: Measured; bare: Measured; server: Measured }[];
  /** The bare proxy's idle RSS is the same runtime (node + tsx + fastify + undici) without the product. */
  memory: { idleMiB: number | null; bareIdleMiB: number | null; underLoad: RssSummary; afterMiB: number | null };
}

const CONNECTIONS = [1, 16, 64];

/**
 * Sections 1, 2 and 6. Each load level runs straight at the fake, through the bare
 * proxy and through the server back to back, so slow drift of a shared machine hits
 * every side of a ratio alike; the bare proxy shows what any proxy on this stack and
 * machine adds. The fake's attempt log is cleared between runs (it keeps every request).
 */
export async function benchGateway(env: GatewayBenchEnv): Promise<GatewayFigures> {
  const { fake, server, bare } = env;
  const fakeUrl = `${fake.info.url}/v1/chat/completions`;
  const serverUrl = `${server.info.url}/v1/chat/completions`;
  const bareUrl = `${bare.info.url}/v1/chat/completions`;
  /** One load run; with `proxy`, also the CPU time that child and the fake spent per answered request. */
  const load = async (label: string, url: string, body: unknown, connections: number, durationS = env.durationS, proxy?: BenchChild) => {
    await fake.send('reset');
    const before = await Promise.all([fake.send<Usage>('usage'), proxy?.send<Usage>('usage')]);
    const r: Measured = await runLoad({ url, body, connections, durationS });
    const after = await Promise.all([fake.send<Usage>('usage'), proxy?.send<Usage>('usage')]);
    r.fakeCpuMsPerReq = (after[0].cpuMs - before[0].cpuMs) / Math.max(1, r.ok);
    if (proxy) r.proxyCpuMsPerReq = (after[1]!.cpuMs - before[1]!.cpuMs) / Math.max(1, r.ok);
    env.log(
      `  ${label.padEnd(28)} c=${String(connections).padStart(2)}  ${num(r.rps).padStart(6)} req/s  p50 ${ms(r.p50)}  p99 ${ms(r.p99)}` +
        `${r.proxyCpuMsPerReq !== undefined ? `  cpu ${ms(r.proxyCpuMsPerReq, 3)}/req` : ''}${r.failed ? `  FAILED ${r.failed}` : ''}`,
    );
    return r;
  };

  const idleMiB = rssMiB(server.pid);
  const bareIdleMiB = rssMiB(bare.pid);
  await fake.send('setLatency', 20);
  env.log('warm-up');
  for (const stream of [false, true]) {
    await load(`direct ${stream ? 'stream' : 'json'} (warm-up)`, fakeUrl, directBody(stream), 16, env.warmupS);
    await load(`bare ${stream ? 'stream' : 'json'} (warm-up)`, bareUrl, directBody(stream), 16, env.warmupS, bare);
    await load(`server ${stream ? 'stream' : 'json'} (warm-up)`, serverUrl, serverBody(stream), 16, env.warmupS, server);
  }

  env.log('1. gateway overhead, fake latency 20 ms');
  const overhead: OverheadPair[] = [];
  let underLoad: RssSummary = { samples: 0, meanMiB: null, maxMiB: null };
  for (const connections of CONNECTIONS) {
    for (const stream of [false, true]) {
      const mode = stream ? 'stream' : 'json';
      const direct = await load(`direct ${mode}`, fakeUrl, directBody(stream), connections);
      const bareR = await load(`bare proxy ${mode}`, bareUrl, directBody(stream), connections, env.durationS, bare);
      const sampler = connections === 64 ? sampleRss(server.pid, 200) : undefined;
      const through = await load(`server ${mode}`, serverUrl, serverBody(stream), connections, env.durationS, server);
      if (sampler) {
        const s = sampler.stop();
        const samples = underLoad.samples + s.samples;
        underLoad = {
          samples,
          meanMiB: ((underLoad.meanMiB ?? 0) * underLoad.samples + (s.meanMiB ?? 0) * s.samples) / Math.max(1, samples),
          maxMiB: Math.max(underLoad.maxMiB ?? 0, s.maxMiB ?? 0),
        };
      }
      overhead.push({ connections, stream, direct, bare: bareR, server: through });
    }
  }

  env.log('2. ceiling, fake latency 0, 64 connections');
  await fake.send('setLatency', 0);
  const ceiling: GatewayFigures['ceiling'] = [];
  for (const stream of [false, true]) {
    const mode = stream ? 'stream' : 'json';
    const direct = await load(`direct ${mode}`, fakeUrl, directBody(stream), 64);
    const bareR = await load(`bare proxy ${mode}`, bareUrl, directBody(stream), 64, env.durationS, bare);
    const serverR = await load(`server ${mode}`, serverUrl, serverBody(stream), 64, env.durationS, server);
    ceiling.push({ stream, direct, bare: bareR, server: serverR });
  }
  return { overhead, ceiling, memory: { idleMiB, bareIdleMiB, underLoad, afterMiB: rssMiB(server.pid) } };
}

/** Table rows of sections 1, 2 and 6, with the issue's targets. */
export function gatewayRows(f: GatewayFigures): Row[] {
  const rows: Row[] = [];
  for (const p of f.overhead) {
    const s = `1 overhead c=${p.connections} ${p.stream ? 'stream' : 'json'}`;
    const addedP50 = p.server.p50 - p.direct.p50;
    const addedP99 = p.server.p99 - p.direct.p99;
    const ratio = p.server.rps / p.direct.rps;
    const at16 = p.connections === 16;
    rows.push(
      { section: s, figure: 'direct req/s | p50 | p99', value: `${num(p.direct.rps)} | ${ms(p.direct.p50)} | ${ms(p.direct.p99)}` },
      { section: s, figure: 'server req/s | p50 | p99', value: `${num(p.server.rps)} | ${ms(p.server.p50)} | ${ms(p.server.p99)}` },
      { section: s, figure: 'added latency p50', value: ms(addedP50), ...(at16 ? { target: '<= 0.5 ms', pass: addedP50 <= 0.5 } : {}) },
      { section: s, figure: 'added latency p99', value: ms(addedP99), ...(at16 ? { target: '<= 2 ms', pass: addedP99 <= 2 } : {}) },
      { section: s, figure: 'throughput server/direct', value: pct(ratio), target: '>= 95 %', pass: ratio >= 0.95 },
      {
        section: s,
        figure: 'bare proxy added p50 | p99 | req/s ratio',
        value: `${ms(p.bare.p50 - p.direct.p50)} | ${ms(p.bare.p99 - p.direct.p99)} | ${pct(p.bare.rps / p.direct.rps)}`,
      },
      {
        section: s,
        figure: 'CPU per request: server | bare proxy',
        value: `${ms(p.server.proxyCpuMsPerReq ?? Number.NaN, 3)} | ${ms(p.bare.proxyCpuMsPerReq ?? Number.NaN, 3)}`,
      },
    );
    const failed = p.direct.failed + p.bare.failed + p.server.failed;
    if (failed > 0) rows.push({ section: s, figure: 'failed requests', value: String(failed), target: '0', pass: false });
  }
  for (const c of f.ceiling) {
    const s = `2 ceiling c=64 ${c.stream ? 'stream' : 'json'}`;
    const ratio = c.server.rps / c.bare.rps;
    rows.push(
      { section: s, figure: 'fake direct req/s', value: num(c.direct.rps) },
      { section: s, figure: 'bare proxy req/s | p50', value: `${num(c.bare.rps)} | ${ms(c.bare.p50)}` },
      { section: s, figure: 'server req/s | p50', value: `${num(c.server.rps)} | ${ms(c.server.p50)}` },
      { section: s, figure: 'server / bare proxy', value: pct(ratio), ...(c.stream ? {} : { target: '>= 70 %', pass: ratio >= 0.7 }) },
      {
        section: s,
        figure: 'CPU per request: server | bare | fake',
        value: `${ms(c.server.proxyCpuMsPerReq ?? Number.NaN, 3)} | ${ms(c.bare.proxyCpuMsPerReq ?? Number.NaN, 3)} | ${ms(c.direct.fakeCpuMsPerReq ?? Number.NaN, 3)}`,
      },
    );
    const failed = c.direct.failed + c.bare.failed + c.server.failed;
    if (failed > 0) rows.push({ section: s, figure: 'failed requests', value: String(failed), target: '0', pass: false });
  }
  rows.push(
    { section: '6 memory (server)', figure: 'RSS idle (after start) | bare proxy idle', value: `${mib(f.memory.idleMiB)} | ${mib(f.memory.bareIdleMiB)}` },
    { section: '6 memory (server)', figure: 'RSS under 64-conn load mean | max', value: `${mib(f.memory.underLoad.meanMiB)} | ${mib(f.memory.underLoad.maxMiB)}` },
    { section: '6 memory (server)', figure: 'RSS after the gateway sections', value: mib(f.memory.afterMiB) },
  );
  return rows;
}
