import { Pool, request } from 'undici';
import type { BenchChild } from './child.js';
import { median } from './numbers.js';
import { mib, ms, num, pct, type Row } from './report.js';
import { sampleRss } from './rss.js';

/** Linear tasks all start at once; each inline task waits for the one before. */
const task = (id: string, prompt: string) => ({ id, model: 'medium_ai', prompt });

/** 3 linear + 2 inline tasks: the critical path is one linear call, then two inline calls. */
export const SCALE_WORKFLOW = {
  name: 'bench_scale',
  inputs: { topic: { description: 'what to write about', required: true } },
  linear_queue: [
    task('facts', 'List three facts about {{topic}}.'),
    task('risks', 'List three risks of {{topic}}.'),
    task('angle', 'Suggest an angle for an article on {{topic}}.'),
  ],
  inline_queue: [
    task('draft', 'Write a paragraph from {{facts}}, {{risks}} and {{angle}}.'),
    task('final', 'Tighten this paragraph: {{draft}}'),
  ],
  output: 'final',
};

/**
 * N linear tasks and nothing after them. The run names its output: without one the engine
 * would merge the linear outputs with a finisher call, a second serial step that is not
 * what this section measures.
 */
const linearWorkflow = (n: number) => ({
  name: `bench_parallel_${n}`,
  linear_queue: Array.from({ length: n }, (_, i) => task(`part_${i}`, `Write part ${i} of the answer.`)),
  output: 'part_0',
});

const VARIABLES = { topic: 'benchmarks' };

interface RunReport {
  wallMs: number;
  cpuMs: number;
  maxRssMiB: number;
  outcomes: Record<string, number>;
}

export interface WorkflowFigures {
  scale: {
    runs: number;
    tasksPerRun: number;
    latencyMs: number;
    idealMs: number;
    wallMs: number;
    cpuMs: number;
    fakeCalls: number;
    outcomes: Record<string, number>;
    peakRssMiB: number | null;
    maxRssMiB: number;
    /** The same calls in the same waves (3 x runs, then runs, then runs), straight at the fake from here. */
    floorMs: number;
    /** The `--baseline` server's measured rounds (this tree's and the baseline's alternate: A B B A); wallMs and cpuMs above are then the lower of this tree's two. */
    baseline?: { wallMs: number[]; cpuMs: number[]; outcomes: Record<string, number>[]; thisWallMs: number[]; thisCpuMs: number[] };
  };
  overload: {
    latencyMs: number;
    submitted: number;
    submitMs: number;
    refusedOfSubmitted: number;
    /** The 11,001st run over HTTP once the server settled (event loop turning over within 2 ms): the target's figure. */
    http: { status: number; type: string | null; retryAfter: string | null; ms: number };
    /** The same right after the submissions, while the server still works through the burst they left. */
    httpBusy?: { status: number; type: string | null; retryAfter: string | null; ms: number };
    /** How long after that round trip the server's event loop turned over quickly again (0 when it already did). */
    settledMs?: number;
    inProcess: { outcome: string; ms: number };
    cancelMs: number;
    cancelOutcomes: Record<string, number>;
    closeMs: number;
  } | null;
  speedup: { n: number; latencyMs: number; samplesMs: number[]; medianMs: number; outcomes: string[] }[];
}

export interface WorkflowBenchEnv {
  fake: BenchChild;
  server: BenchChild;
  /** The server built from `--baseline=<ref>`: its section-3 runs alternate with this tree's. */
  baseline?: BenchChild;
  runs: number;
  /** Runs submitted to fill max_concurrent_workflows + queue_depth. */
  fill: number;
  repeats: number;
  log: (line: string) => void;
}

/**
 * Sections 3 and 4, in-process in the server child (`app.ctx.orchestrator.runWorkflow`,
 * no HTTP in the way), except the one refused run of the overload check, which goes
 * through POST /workflow so the 503 and its timing are what a client sees.
 */
export async function benchWorkflows(env: WorkflowBenchEnv): Promise<WorkflowFigures> {
  const { fake, server } = env;
  const latencyMs = 50;
  await fake.send('setLatency', latencyMs);
  env.log(`3. ${env.runs} concurrent workflows (3 linear + 2 inline), fake latency ${latencyMs} ms`);
  /**
   * One measured round on `child`: first the same runs unmeasured, so the server's upstream pool
   * holds the connections the measured run needs (3 x runs in the first wave), as the floor's
   * client does before it measures; then the runs measured.
   */
  const round = async (child: BenchChild, label: string): Promise<RunReport & { peakRssMiB: number | null }> => {
    await child.send('runWorkflows', { count: env.runs, workflow: SCALE_WORKFLOW, variables: VARIABLES });
    await fake.send('reset');
    const sampler = sampleRss(child.pid, 50);
    const report = await child.send<RunReport>('runWorkflows', { count: env.runs, workflow: SCALE_WORKFLOW, variables: VARIABLES });
    const peak = sampler.stop().maxMiB;
    env.log(`  ${label}: wall ${ms(report.wallMs, 0)}, cpu ${ms(report.cpuMs, 0)}, outcomes ${JSON.stringify(report.outcomes)}`);
    return { ...report, peakRssMiB: peak };
  };
  let r: RunReport & { peakRssMiB: number | null };
  let baseline: WorkflowFigures['scale']['baseline'];
  if (env.baseline) {
    // A B B A: this tree, the baseline twice, this tree; each reports the lower of its two rounds (nearest-rank median of two).
    const a1 = await round(server, 'this tree');
    const b1 = await round(env.baseline, 'baseline');
    const b2 = await round(env.baseline, 'baseline');
    r = await round(server, 'this tree');
    baseline = {
      wallMs: [b1.wallMs, b2.wallMs],
      cpuMs: [b1.cpuMs, b2.cpuMs],
      outcomes: [b1.outcomes, b2.outcomes],
      thisWallMs: [a1.wallMs, r.wallMs],
      thisCpuMs: [a1.cpuMs, r.cpuMs],
    };
  } else {
    r = await round(server, 'measured');
  }
  const fakeCalls = await fake.send<number>('count');
  env.log(`  ${fakeCalls} calls at the fake in the last measured run`);
  const floorMs = await directFloor(`${fake.info.url}/v1/chat/completions`, env.runs);
  env.log(`  floor: the same calls straight at the fake in the same waves: ${ms(floorMs, 0)}`);
  const scale = {
    floorMs,
    runs: env.runs,
    tasksPerRun: 5,
    latencyMs,
    idealMs: 3 * latencyMs,
    wallMs: baseline ? median(baseline.thisWallMs) : r.wallMs,
    cpuMs: baseline ? median(baseline.thisCpuMs) : r.cpuMs,
    fakeCalls,
    outcomes: r.outcomes,
    peakRssMiB: r.peakRssMiB,
    maxRssMiB: r.maxRssMiB,
    ...(baseline ? { baseline } : {}),
  };

  env.log('4. parallel speedup, fake latency 200 ms');
  await fake.send('setLatency', 200);
  const speedup: WorkflowFigures['speedup'] = [];
  for (const n of [2, 5, 10]) {
    const samplesMs: number[] = [];
    const outcomes: string[] = [];
    for (let i = 0; i < env.repeats; i++) {
      const one = await server.send<RunReport>('runWorkflows', { count: 1, workflow: linearWorkflow(n), variables: {} });
      samplesMs.push(one.wallMs);
      outcomes.push(...Object.keys(one.outcomes));
    }
    speedup.push({ n, latencyMs: 200, samplesMs, medianMs: median(samplesMs), outcomes: [...new Set(outcomes)] });
    env.log(`  N=${n}: ${samplesMs.map((v) => ms(v, 0)).join(', ')}`);
  }

  const overload = env.fill > 0 ? await benchOverload(env) : null;
  await fake.send('reset');
  return { scale, overload, speedup };
}

/**
 * What this machine allows before any orchestration: the calls of `runs` workflows in the
 * same three waves (every linear call at once, then each inline step), sent straight to the
 * fake from the bench process over as many (already open) connections as there are calls in flight.
 */
async function directFloor(url: string, runs: number): Promise<number> {
  const { origin } = new URL(url);
  const pool = new Pool(origin, { connections: 3 * runs });
  const body = JSON.stringify({ model: 'meta-llama/llama-3.3-70b-instruct', messages: [{ role: 'user', content: 'floor' }] });
  const wave = (n: number) =>
    Promise.all(
      Array.from({ length: n }, async () => {
        const res = await pool.request({ method: 'POST', path: new URL(url).pathname, headers: { 'content-type': 'application/json' }, body });
        await res.body.text();
      }),
    );
  const all = async () => {
    const t0 = performance.now();
    await wave(3 * runs);
    await wave(runs);
    await wave(runs);
    return performance.now() - t0;
  };
  // Once to open the connections (the server's pool is warm too by then), once measured.
  await all();
  const elapsed = await all();
  await pool.close();
  return elapsed;
}

async function benchOverload(env: WorkflowBenchEnv): Promise<NonNullable<WorkflowFigures['overload']>> {
  const { fake, server } = env;
  const latencyMs = 5000;
  env.log(`3b. admission: ${env.fill} runs at fake latency ${latencyMs} ms, then one more`);
  await fake.send('setLatency', latencyMs);
  const submitted = await server.send<{ submitted: number; submitMs: number; refused: number; firstRefusal: string | null }>('submit', {
    count: env.fill,
    workflow: SCALE_WORKFLOW,
    variables: VARIABLES,
    settleMs: 300,
  });
  env.log(`  submitted ${submitted.submitted} in ${ms(submitted.submitMs, 0)}, refused ${submitted.refused} (${submitted.firstRefusal ?? '-'})`);

  const postOneMore = async () => {
    const t0 = performance.now();
    const res = await request(`${server.info.url}/workflow`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ workflow: SCALE_WORKFLOW, variables: VARIABLES }),
    });
    const text = await res.body.text();
    const httpMs = performance.now() - t0;
    let type: string | null;
    try {
      type = (JSON.parse(text) as { error?: { type?: string } }).error?.type ?? null;
    } catch {
      type = null;
    }
    const retryAfter = res.headers['retry-after'];
    return { status: res.statusCode, type, retryAfter: typeof retryAfter === 'string' ? retryAfter : null, ms: httpMs };
  };
  // Right after the burst: the server is still starting the admitted runs' 3,000 calls and writing
  // the submissions' records (the burst's continuations run after the in-process loop), so this
  // round trip waits behind that work. Reported; the target is judged once the server has settled.
  const busy = await postOneMore();
  env.log(`  HTTP POST /workflow → ${busy.status} ${busy.type ?? ''} in ${ms(busy.ms)} (the server still busy with the burst)`);
  const quiet = await server.send<{ ms: number }>('quiet', { maxMs: 10_000 });
  const http = await postOneMore();
  env.log(`  server settled ${ms(quiet.ms, 0)} after that; HTTP POST /workflow → ${http.status} ${http.type ?? ''} in ${ms(http.ms)}`);
  const inProcess = await server.send<{ outcome: string; ms: number }>('refuseOne', { count: 1, workflow: SCALE_WORKFLOW, variables: VARIABLES });
  env.log(`  in-process runWorkflow → ${inProcess.outcome} in ${ms(inProcess.ms, 3)}`);

  const cancelled = await server.send<{ ms: number; outcomes: Record<string, number> }>('cancelHeld');
  env.log(`  cancelled every held run in ${ms(cancelled.ms, 0)}: ${JSON.stringify(cancelled.outcomes)}`);
  const closed = await server.send<{ ms: number }>('close');
  env.log(`  app.close() in ${ms(closed.ms, 0)}`);
  return {
    latencyMs,
    submitted: submitted.submitted,
    submitMs: submitted.submitMs,
    refusedOfSubmitted: submitted.refused,
    http,
    httpBusy: busy,
    settledMs: quiet.ms,
    inProcess,
    cancelMs: cancelled.ms,
    cancelOutcomes: cancelled.outcomes,
    closeMs: closed.ms,
  };
}

/** Table rows of sections 3 and 4. */
export function workflowRows(f: WorkflowFigures, fill: number): Row[] {
  const s = f.scale;
  const tasks = s.runs * s.tasksPerRun;
  const ratio = s.wallMs / s.idealMs;
  const overFloor = s.wallMs / s.floorMs;
  const perTask = (s.wallMs - s.idealMs) / tasks;
  const cpuPerTask = s.cpuMs / tasks;
  const completed = s.outcomes.completed ?? 0;
  const sec = `3 workflows ${s.runs}x(3+2) @${s.latencyMs}ms`;
  const rows: Row[] = [
    { section: sec, figure: 'runs completed', value: `${completed} / ${s.runs}`, target: `${s.runs}`, pass: completed === s.runs },
    { section: sec, figure: 'calls seen by the fake', value: `${s.fakeCalls} / ${tasks}` },
    { section: sec, figure: 'wall time | ideal (3 x 50 ms)', value: `${ms(s.wallMs, 0)} | ${ms(s.idealMs, 0)}` },
    { section: sec, figure: 'machine floor: same calls straight at the fake', value: ms(s.floorMs, 0) },
    { section: sec, figure: 'wall / machine floor', value: `${num(overFloor, 2)} x`, target: '<= 2 x', pass: overFloor <= 2 },
    { section: sec, figure: 'wall / ideal', value: `${num(ratio, 2)} x` },
    { section: sec, figure: 'scheduling overhead per task (wall-ideal)/tasks', value: ms(perTask, 3), target: '< 1 ms', pass: perTask < 1 },
    { section: sec, figure: 'server CPU time per task', value: ms(cpuPerTask, 3) },
    { section: sec, figure: 'peak RSS (VmRSS 50 ms samples | maxRSS)', value: `${mib(s.peakRssMiB)} | ${mib(s.maxRssMiB)}`, target: '< 512 MiB', pass: Math.max(s.peakRssMiB ?? 0, s.maxRssMiB) < 512 },
  ];
  const o = f.overload;
  if (o) {
    const so = `3 admission ${fill} runs @${o.latencyMs / 1000}s`;
    const accepted = o.submitted - o.refusedOfSubmitted;
    rows.push(
      { section: so, figure: 'accepted (running + queued)', value: `${accepted} / ${o.submitted} in ${ms(o.submitMs, 0)}`, target: `${fill}`, pass: accepted === fill },
      { section: so, figure: 'next run via HTTP', value: `${o.http.status} ${o.http.type ?? '?'} retry-after=${o.http.retryAfter ?? '-'}`, target: '503 overloaded', pass: o.http.status === 503 && o.http.type === 'overloaded' },
      { section: so, figure: 'time to refusal (HTTP round trip), server settled', value: ms(o.http.ms), target: 'at once (< 50 ms)', pass: o.http.ms < 50 },
      ...(o.httpBusy
        ? [{ section: so, figure: 'the same right after the burst (the server busy with it)', value: ms(o.httpBusy.ms) }]
        : []),
      { section: so, figure: 'next run in-process', value: `${o.inProcess.outcome} in ${ms(o.inProcess.ms, 3)}` },
      {
        section: so,
        figure: 'abort every held run: time | outcomes',
        value: `${ms(o.cancelMs, 0)} | ${Object.entries(o.cancelOutcomes)
          .map(([k, v]) => `${v} ${k.startsWith('aborted') ? 'aborted in queue' : k}`)
          .join(', ')}`,
      },
      { section: so, figure: 'app.close() afterwards', value: ms(o.closeMs, 0) },
    );
  }
  for (const p of f.speedup) {
    const sp = `4 parallel N=${p.n} @${p.latencyMs}ms`;
    const serial = p.n * p.latencyMs;
    rows.push(
      { section: sp, figure: `median of ${p.samplesMs.length} | N x ${p.latencyMs} ms`, value: `${ms(p.medianMs, 0)} | ${ms(serial, 0)}` },
      { section: sp, figure: 'speedup vs serial | efficiency vs 1 call', value: `${num(serial / p.medianMs, 2)} x | ${pct(p.latencyMs / p.medianMs)}` },
      { section: sp, figure: 'outcomes', value: p.outcomes.join(',') },
    );
  }
  return rows;
}
