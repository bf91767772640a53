import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { buildForBench } from './build.js';
import { BUILD_DIR, builtScript } from './build-dirs.js';
import { startChild, type BenchChild } from './child.js';
import { percentile } from './numbers.js';
import { procCpuMs, stopPeer } from './peer-process.js';
import { sampleRss } from './rss.js';
import { startServerProcess } from './startup.js';

/**
 * Where a load run's slow answers come from, in figures a loaded machine does not blur much: one closed-loop load
 * (autocannon, as section 1) at one side — `server` (the production bundle, started as section 1 starts it),
 * `bare` (the bare proxy) or `direct` (the fake) — with the server's GC pauses and event-loop delay recorded inside
 * it (tail-preload.ts), and per answered request: its CPU, read and write system calls and sleeps (/proc), GC
 * events and pause time per 1,000 requests, how many of the slowest 1 % overlapped a GC pause, and how bunched
 * the answers are (answers within ±2.5 ms of each, against what evenly spread answers would give), and the most RSS
 * the side held during the run.
 *
 *   npx tsx scripts/bench/tail-probe.ts [--target=server|bare|direct] [--stream] [--conns=16] [--latency=20]
 *     [--duration=10] [--repeats=1] [--root=<a bench build>] [--flags="<extra node flags>"]
 *
 * Without --root it builds this tree first (build.ts, as `npm run bench` does); with it, it runs that build (e.g.
 * node_modules/.cache/mo-bench-baseline after a `--baseline` run), with that build's start flags. See BENCHMARKS.md,
 * "Issue 18, sixth pass (tail latency and streams)".
 */

const args = process.argv.slice(2);
const arg = (name: string, dflt: string) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? dflt;
const target = arg('target', 'server');
const stream = args.includes('--stream');
const conns = Number(arg('conns', '16'));
const latencyMs = Number(arg('latency', '20'));
const durationS = Number(arg('duration', '10'));
const repeats = Number(arg('repeats', '1'));
const root = args.some((a) => a.startsWith('--root=')) ? arg('root', '') : BUILD_DIR;
const extraFlags = arg('flags', '').split(' ').filter(Boolean);
if (!['server', 'bare', 'direct'].includes(target)) throw new Error(`--target=server|bare|direct, not '${target}'`);

if (root === BUILD_DIR || !existsSync(builtScript('tail-preload.ts'))) await buildForBench();
const outFile = join(tmpdir(), `tail-probe-${process.pid}.json`);
// This tree's preload (a --root built before it existed has none of its own).
const preload = ['--import', existsSync(builtScript('tail-preload.ts', root)) ? builtScript('tail-preload.ts', root) : builtScript('tail-preload.ts')];
const fake = await startChild('fake-child.ts', { options: { latencyMs }, root });
/** The side the load runs at, with how to stop it. */
async function startSide(): Promise<{ url: string; pid: number; stop: () => Promise<void> }> {
  if (target === 'direct') return { url: fake.info.url, pid: fake.pid, stop: async () => undefined };
  if (target === 'bare') {
    const bare: BenchChild = await startChild('bare-proxy.ts', { options: { upstream: fake.info.url }, root });
    return { url: bare.info.url, pid: bare.pid, stop: () => bare.stop() };
  }
  process.env.TAIL_PROBE_OUT = outFile;
  const { peer, cleanup } = await startServerProcess(fake.info.url, root, { store: 'memory', extraNodeFlags: [...preload, ...extraFlags] });
  return {
    url: peer.url,
    pid: peer.process.pid!,
    stop: async () => {
      await stopPeer(peer.process);
      cleanup();
    },
  };
}
const side = await startSide().catch(async (err: unknown) => {
  await fake.stop();
  throw err;
});
const body = JSON.stringify({
  model: target === 'server' ? 'medium_ai' : 'meta-llama/llama-3.3-70b-instruct',
  messages: [{ role: 'user', content: 'Say hello to the benchmark in one short sentence.' }],
  stream,
});

/** One load run: each 2xx answer's end (epoch ms) and response time (ms). */
async function load(seconds: number): Promise<Array<[number, number]>> {
  const answers: Array<[number, number]> = [];
  const run = autocannon({
    url: `${side.url}/v1/chat/completions`,
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer bench' },
    body,
    connections: conns,
    duration: seconds,
    pipelining: 1,
  }) as unknown as Promise<autocannon.Result> & autocannon.Instance;
  run.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
    if (status >= 200 && status < 300) answers.push([performance.timeOrigin + performance.now(), ms]);
  });
  await run;
  return answers;
}

interface Probe {
  gcs: Array<[number, number, string]>;
  loop: { p50: number; p99: number; max: number };
  heapUsedMiB: number;
}

/** What the server's preload recorded since the last call (the fake and the bare proxy run without it). */
async function probe(): Promise<Probe | undefined> {
  if (target !== 'server') return undefined;
  process.kill(side.pid, 'SIGUSR2');
  for (let i = 0; i < 250 && !existsSync(outFile); i++) await new Promise((r) => setTimeout(r, 20));
  const recorded = JSON.parse(readFileSync(outFile, 'utf8')) as Probe;
  rmSync(outFile);
  return recorded;
}

/** The process's CPU ms, read and write system calls, and voluntary / forced context switches so far (/proc). */
function counters(pid: number): { cpuMs: number; reads: number; writes: number; sleeps: number; preempted: number } {
  const io = readFileSync(`/proc/${pid}/io`, 'utf8');
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const num = (re: RegExp, text: string) => Number(re.exec(text)![1]);
  return {
    cpuMs: procCpuMs(pid),
    reads: num(/^syscr: (\d+)/m, io),
    writes: num(/^syscw: (\d+)/m, io),
    sleeps: num(/^voluntary_ctxt_switches:\s+(\d+)/m, status),
    preempted: num(/^nonvoluntary_ctxt_switches:\s+(\d+)/m, status),
  };
}

/** Milliseconds of `[start, end]` covered by the pauses. */
const overlap = (start: number, end: number, pauses: Array<[number, number, string]>) =>
  pauses.reduce((sum, [at, ms]) => sum + Math.max(0, Math.min(at + ms, end) - Math.max(at, start)), 0);

/** The warm-up, then `repeats` measured runs, each printed as it ends. */
async function measure(): Promise<void> {
  await load(3);
  await probe();
  for (let r = 0; r < repeats; r++) {
    const before = counters(side.pid);
    const rss = sampleRss(side.pid);
    const answers = await load(durationS);
    const rssMiB = rss.stop();
    const after = counters(side.pid);
    const recorded = await probe();
    const n = answers.length;
    const per = (k: keyof typeof before) => Number(((after[k] - before[k]) / n).toFixed(3));
    const times = answers.map(([, ms]) => ms).sort((a, b) => a - b);
    const p99 = percentile(times, 0.99);
    const ends = answers.map(([end]) => end).sort((a, b) => a - b);
    let near = 0;
    for (let i = 0, lo = 0, hi = 0; i < ends.length; i++) {
      while (ends[lo]! < ends[i]! - 2.5) lo++;
      while (hi < ends.length && ends[hi]! <= ends[i]! + 2.5) hi++;
      near += hi - lo - 1;
    }
    const gc: Record<string, string> = {};
    let slowWithGc = 0;
    if (recorded) {
      const kinds = new Map<string, { count: number; ms: number; max: number }>();
      for (const [, ms, kind] of recorded.gcs) {
        const k = kinds.get(kind) ?? { count: 0, ms: 0, max: 0 };
        kinds.set(kind, { count: k.count + 1, ms: k.ms + ms, max: Math.max(k.max, ms) });
      }
      for (const [kind, k] of kinds) gc[kind] = `${((1000 * k.count) / n).toFixed(2)} per 1,000 requests, ${((1000 * k.ms) / n).toFixed(1)} ms per 1,000, longest ${k.max.toFixed(2)} ms`;
      slowWithGc = answers.filter(([end, ms]) => ms >= p99 && overlap(end - ms, end, recorded.gcs) > 0).length;
    }
    console.log(
      JSON.stringify(
        {
          target,
          stream,
          conns,
          latencyMs,
          requests: n,
          reqPerS: Math.round(n / durationS),
          ms: { p50: percentile(times, 0.5), p90: percentile(times, 0.9), p99, max: times[n - 1] },
          perRequest: { cpuMs: per('cpuMs'), reads: per('reads'), writes: per('writes'), sleeps: per('sleeps'), preempted: per('preempted') },
          rssMaxMiB: Number((rssMiB.maxMiB ?? 0).toFixed(1)),
          bunching: { answersWithin2_5ms: Number((near / n).toFixed(1)), ifEvenlySpread: Number(((n / durationS) * 0.005).toFixed(1)) },
          ...(recorded
            ? {
                gc,
                slowestOnePercentOverlappingGc: `${slowWithGc} of ${times.filter((t) => t >= p99).length}`,
                loopDelayMs: recorded.loop,
                heapUsedMiB: Number(recorded.heapUsedMiB.toFixed(1)),
              }
            : {}),
        },
        null,
        1,
      ),
    );
  }
}

// A failed run stops what it started too (a server left running would skew the next run's figures).
try {
  await measure();
} finally {
  await side.stop();
  await fake.stop();
}
