import { request } from 'undici';
import type { BenchChild } from './child.js';
import { runLoad, type LoadResult } from './load.js';
import { portkeyHeaders } from './portkey.js';
import { mib, ms, num, pct, type Row } from './report.js';
import { rssMiB, sampleRss, type RssSummary } from './rss.js';

/** What the gateway sections need: the children, and how long each load run lasts. */
export interface GatewayBenchEnv {
  fake: BenchChild;
  server: BenchChild;
  bare: BenchChild;
  /** The Portkey gateway (optional peer), or why it is not measured. */
  portkey: BenchChild | { skipped: string };
  /** The server built from `--baseline=<ref>`: measured beside this one for before/after ratios. */
  baseline?: BenchChild;
  durationS: number;
  warmupS: number;
  log: (line: string) => void;
}

const PROMPT = [{ role: 'user', content: 'Say hello to the benchmark in one short sentence.' }];
/** The provider model id behind `medium_ai`, so the fake sees the same request either way. */
const UPSTREAM_MODEL = 'meta-llama/llama-3.3-70b-instruct';

export const directBody = (stream: boolean) => ({ model: UPSTREAM_MODEL, messages: PROMPT, stream });
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

/** A peer's run, or why it has none (Portkey's streaming fails on Node 20, see portkey.ts). */
export type PeerRun = Measured | { failed: string };

export interface GatewayFigures {
  overhead: OverheadPair[];
  ceiling: { stream: boolean; direct: Measured; bare: Measured; server: Measured; portkey?: PeerRun }[];
  /** Portkey at the connection counts the issue compares (16 and 64), beside `overhead`. */
  portkey: { skipped: string } | { overhead: { connections: number; stream: boolean; run: PeerRun }[]; idleMiB: number | null; underLoad: RssSummary };
  /**
   * RSS right after start, and idle after the warm-up (2 s after the last warm-up run: what a
   * server that has served holds). The bare proxy is the same runtime (node + fastify + undici)
   * without the product.
   */
  memory: { startMiB: number | null; idleMiB: number | null; bareIdleMiB: number | null; underLoad: RssSummary; afterMiB: number | null };
  /** The `--baseline` server at 16 and 64 connections and at the ceiling, in the same run. */
  baseline?: {
    overhead: { connections: number; stream: boolean; run: Measured }[];
    ceiling: { stream: boolean; run: Measured }[];
    idleMiB: number | null;
    underLoad: RssSummary;
  };
}

const CONNECTIONS = [1, 16, 64];
/** The connection counts Portkey runs at (the issue's table). */
const PEER_CONNECTIONS = [16, 64];

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
  const load = async (label: string, url: string, body: unknown, connections: number, durationS = env.durationS, proxy?: BenchChild, headers?: Record<string, string>) => {
    await fake.send('reset');
    const before = await Promise.all([fake.send<Usage>('usage'), proxy?.send<Usage>('usage')]);
    const r: Measured = await runLoad({ url, body, connections, durationS, ...(headers ? { headers } : {}) });
    const after = await Promise.all([fake.send<Usage>('usage'), proxy?.send<Usage>('usage')]);
    r.fakeCpuMsPerReq = (after[0].cpuMs - before[0].cpuMs) / Math.max(1, r.ok);
    if (proxy) r.proxyCpuMsPerReq = (after[1]!.cpuMs - before[1]!.cpuMs) / Math.max(1, r.ok);
    env.log(
      `  ${label.padEnd(28)} c=${String(connections).padStart(2)}  ${num(r.rps).padStart(6)} req/s  p50 ${ms(r.p50)}  p99 ${ms(r.p99)}` +
        `${r.proxyCpuMsPerReq !== undefined ? `  cpu ${ms(r.proxyCpuMsPerReq, 3)}/req` : ''}${r.failed ? `  FAILED ${r.failed}` : ''}`,
    );
    return r;
  };

  const baselineUrl = env.baseline ? `${env.baseline.info.url}/v1/chat/completions` : '';
  const portkey = 'skipped' in env.portkey ? null : env.portkey;
  const portkeyUrl = portkey ? `${portkey.info.url}/v1/chat/completions` : '';
  /** What routes a Portkey request to the fake. */
  const peerHeaders = portkeyHeaders(fake.info.url);
  /** Whether Portkey answers this mode at all: one request first, so a peer that fails is not hammered for a whole run. */
  const portkeyWorks = new Map<boolean, string | null>();
  const probePortkey = async (stream: boolean): Promise<string | null> => {
    if (!portkeyWorks.has(stream)) {
      const res = await request(portkeyUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer bench', ...peerHeaders },
        body: JSON.stringify(directBody(stream)),
      });
      const text = await res.body.text();
      portkeyWorks.set(stream, res.statusCode === 200 ? null : `${res.statusCode} ${text.slice(0, 120)}`);
    }
    return portkeyWorks.get(stream)!;
  };
  const loadPortkey = async (stream: boolean, connections: number, durationS = env.durationS): Promise<PeerRun> => {
    const failure = await probePortkey(stream);
    if (failure) {
      env.log(`  Portkey ${stream ? 'stream' : 'json'} c=${connections}: not run, a single request fails: ${failure}`);
      return { failed: failure };
    }
    return load(`Portkey ${stream ? 'stream' : 'json'}`, portkeyUrl, directBody(stream), connections, durationS, portkey!, peerHeaders);
  };

  const startMiB = rssMiB(server.pid);
  await fake.send('setLatency', 20);
  env.log('warm-up');
  for (const stream of [false, true]) {
    await load(`direct ${stream ? 'stream' : 'json'} (warm-up)`, fakeUrl, directBody(stream), 16, env.warmupS);
    await load(`bare ${stream ? 'stream' : 'json'} (warm-up)`, bareUrl, directBody(stream), 16, env.warmupS, bare);
    await load(`server ${stream ? 'stream' : 'json'} (warm-up)`, serverUrl, serverBody(stream), 16, env.warmupS, server);
    if (portkey) await loadPortkey(stream, 16, env.warmupS);
    if (env.baseline) await load(`baseline ${stream ? 'stream' : 'json'} (warm-up)`, baselineUrl, serverBody(stream), 16, env.warmupS, env.baseline);
  }
  // Idle after warm-up: what a server that has served holds once the load stops.
  await new Promise((r) => setTimeout(r, 2000));
  const idleMiB = rssMiB(server.pid);
  const bareIdleMiB = rssMiB(bare.pid);
  const portkeyIdleMiB = portkey ? rssMiB(portkey.pid) : null;
  const baselineIdleMiB = env.baseline ? rssMiB(env.baseline.pid) : null;
  const baselineOverhead: NonNullable<GatewayFigures['baseline']>['overhead'] = [];
  const baselineCeiling: NonNullable<GatewayFigures['baseline']>['ceiling'] = [];
  /** Each side's RSS (by pid), sampled during its 64-connection runs of section 1. */
  const underLoadByPid = new Map<number, RssSummary>();
  const underLoadOf = (child: BenchChild): RssSummary => underLoadByPid.get(child.pid) ?? { samples: 0, meanMiB: null, maxMiB: null };
  /** `run()`, with `child`'s RSS sampled meanwhile when at 64 connections. */
  const sampledAt64 = async <T>(child: BenchChild, connections: number, run: () => Promise<T>): Promise<T> => {
    if (connections !== 64) return run();
    const sampler = sampleRss(child.pid, 200);
    const result = await run();
    underLoadByPid.set(child.pid, mergeRss(underLoadOf(child), sampler.stop()));
    return result;
  };

  env.log('1. gateway overhead, fake latency 20 ms');
  const overhead: OverheadPair[] = [];
  const peerOverhead: { connections: number; stream: boolean; run: PeerRun }[] = [];
  for (const connections of CONNECTIONS) {
    for (const stream of [false, true]) {
      const mode = stream ? 'stream' : 'json';
      const direct = await load(`direct ${mode}`, fakeUrl, directBody(stream), connections);
      const bareR = await load(`bare proxy ${mode}`, bareUrl, directBody(stream), connections, env.durationS, bare);
      const through = await sampledAt64(server, connections, () => load(`server ${mode}`, serverUrl, serverBody(stream), connections, env.durationS, server));
      overhead.push({ connections, stream, direct, bare: bareR, server: through });
      if (portkey && PEER_CONNECTIONS.includes(connections)) {
        peerOverhead.push({ connections, stream, run: await sampledAt64(portkey, connections, () => loadPortkey(stream, connections)) });
      }
      const baseline = env.baseline;
      if (baseline && PEER_CONNECTIONS.includes(connections)) {
        const run = await sampledAt64(baseline, connections, () => load(`baseline ${mode}`, baselineUrl, serverBody(stream), connections, env.durationS, baseline));
        baselineOverhead.push({ connections, stream, run });
      }
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
    ceiling.push({ stream, direct, bare: bareR, server: serverR, ...(portkey ? { portkey: await loadPortkey(stream, 64) } : {}) });
    if (env.baseline) baselineCeiling.push({ stream, run: await load(`baseline ${mode}`, baselineUrl, serverBody(stream), 64, env.durationS, env.baseline) });
  }
  return {
    overhead,
    ceiling,
    portkey: portkey ? { overhead: peerOverhead, idleMiB: portkeyIdleMiB, underLoad: underLoadOf(portkey) } : { skipped: (env.portkey as { skipped: string }).skipped },
    memory: { startMiB, idleMiB, bareIdleMiB, underLoad: underLoadOf(server), afterMiB: rssMiB(server.pid) },
    ...(env.baseline ? { baseline: { overhead: baselineOverhead, ceiling: baselineCeiling, idleMiB: baselineIdleMiB, underLoad: underLoadOf(env.baseline) } } : {}),
  };
}

/** Two RSS sample summaries as one. */
function mergeRss(a: RssSummary, b: RssSummary): RssSummary {
  const samples = a.samples + b.samples;
  return {
    samples,
    meanMiB: ((a.meanMiB ?? 0) * a.samples + (b.meanMiB ?? 0) * b.samples) / Math.max(1, samples),
    maxMiB: Math.max(a.maxMiB ?? 0, b.maxMiB ?? 0),
  };
}

/** A run's proxy CPU per request, formatted. */
export const cpu = (m: Measured | undefined): string => ms(m?.proxyCpuMsPerReq ?? Number.NaN, 3);
/** Whether a peer's run happened (a Measured's `failed` counts requests; a failed peer's says why). */
export const isRun = (r: PeerRun | undefined): r is Measured => r !== undefined && !('failed' in r && typeof r.failed === 'string');

/** Table rows of sections 1, 2 and 6, with the targets of issue 18. */
export function gatewayRows(f: GatewayFigures): Row[] {
  const rows: Row[] = [];
  const peer = 'skipped' in f.portkey ? null : f.portkey;
  for (const p of f.overhead) {
    const s = `1 overhead c=${p.connections} ${p.stream ? 'stream' : 'json'}`;
    const addedP50 = p.server.p50 - p.direct.p50;
    const addedP99 = p.server.p99 - p.direct.p99;
    const ratio = p.server.rps / p.direct.rps;
    const latencyTarget = p.connections === 16 && !p.stream;
    const streamTarget = p.stream && p.connections !== 1 ? (p.connections === 16 ? 0.9 : 0.8) : null;
    rows.push(
      { section: s, figure: 'direct req/s | p50 | p99', value: `${num(p.direct.rps)} | ${ms(p.direct.p50)} | ${ms(p.direct.p99)}` },
      { section: s, figure: 'server req/s | p50 | p99', value: `${num(p.server.rps)} | ${ms(p.server.p50)} | ${ms(p.server.p99)}` },
      { section: s, figure: 'added latency p50', value: ms(addedP50), ...(latencyTarget ? { target: '<= 1 ms', pass: addedP50 <= 1 } : {}) },
      { section: s, figure: 'added latency p99', value: ms(addedP99), ...(latencyTarget ? { target: '<= 4 ms', pass: addedP99 <= 4 } : {}) },
      {
        section: s,
        figure: 'throughput server/direct',
        value: pct(ratio),
        ...(streamTarget !== null ? { target: `>= ${streamTarget * 100} %`, pass: ratio >= streamTarget } : {}),
      },
      {
        section: s,
        figure: 'bare proxy added p50 | p99 | req/s ratio',
        value: `${ms(p.bare.p50 - p.direct.p50)} | ${ms(p.bare.p99 - p.direct.p99)} | ${pct(p.bare.rps / p.direct.rps)}`,
      },
      { section: s, figure: 'CPU per request: server | bare proxy', value: `${cpu(p.server)} | ${cpu(p.bare)}` },
    );
    const run = peer?.overhead.find((o) => o.connections === p.connections && o.stream === p.stream)?.run;
    if (run && isRun(run)) {
      rows.push({
        section: s,
        figure: 'Portkey added p50 | p99 | req/s ratio | CPU/req',
        value: `${ms(run.p50 - p.direct.p50)} | ${ms(run.p99 - p.direct.p99)} | ${pct(run.rps / p.direct.rps)} | ${cpu(run)}`,
      });
    } else if (run) rows.push({ section: s, figure: 'Portkey', value: `fails: ${(run as { failed: string }).failed.slice(0, 60)}` });
    const failed = p.direct.failed + p.bare.failed + p.server.failed;
    if (failed > 0) rows.push({ section: s, figure: 'failed requests', value: String(failed), target: '0', pass: false });
  }
  for (const c of f.ceiling) {
    const s = `2 ceiling c=64 ${c.stream ? 'stream' : 'json'}`;
    const ratio = c.server.rps / c.bare.rps;
    const target = c.stream ? 0.6 : 0.7;
    rows.push(
      { section: s, figure: 'fake direct req/s', value: num(c.direct.rps) },
      { section: s, figure: 'bare proxy req/s | p50', value: `${num(c.bare.rps)} | ${ms(c.bare.p50)}` },
      { section: s, figure: 'server req/s | p50', value: `${num(c.server.rps)} | ${ms(c.server.p50)}` },
      { section: s, figure: 'server / bare proxy', value: pct(ratio), target: `>= ${target * 100} %`, pass: ratio >= target },
      { section: s, figure: 'CPU per request: server | bare | fake', value: `${cpu(c.server)} | ${cpu(c.bare)} | ${ms(c.direct.fakeCpuMsPerReq ?? Number.NaN, 3)}` },
    );
    if (isRun(c.portkey)) {
      rows.push({ section: s, figure: 'Portkey req/s | / bare proxy | CPU/req', value: `${num(c.portkey.rps)} | ${pct(c.portkey.rps / c.bare.rps)} | ${cpu(c.portkey)}` });
    } else if (c.portkey) rows.push({ section: s, figure: 'Portkey', value: `fails: ${(c.portkey as { failed: string }).failed.slice(0, 60)}` });
    const failed = c.direct.failed + c.bare.failed + c.server.failed;
    if (failed > 0) rows.push({ section: s, figure: 'failed requests', value: String(failed), target: '0', pass: false });
  }
  const m = f.memory;
  rows.push(
    { section: '6 memory', figure: 'server RSS after start | bare proxy idle', value: `${mib(m.startMiB)} | ${mib(m.bareIdleMiB)}` },
    { section: '6 memory', figure: 'server RSS idle after warm-up', value: mib(m.idleMiB), target: '<= 120 MiB', pass: (m.idleMiB ?? Infinity) <= 120 },
    { section: '6 memory', figure: 'server RSS under 64 conns mean | max', value: `${mib(m.underLoad.meanMiB)} | ${mib(m.underLoad.maxMiB)}` },
    { section: '6 memory', figure: 'server RSS max under 64 conns', value: mib(m.underLoad.maxMiB), target: '<= 220 MiB', pass: (m.underLoad.maxMiB ?? Infinity) <= 220 },
    { section: '6 memory', figure: 'server RSS after the gateway sections', value: mib(m.afterMiB) },
  );
  if (peer) {
    rows.push({ section: '6 memory', figure: 'Portkey RSS idle after warm-up | max under 64 conns', value: `${mib(peer.idleMiB)} | ${mib(peer.underLoad.maxMiB)}` });
  } else rows.push({ section: '6 memory', figure: 'Portkey', value: `skipped: ${(f.portkey as { skipped: string }).skipped}` });
  return rows;
}
