// Orchestration alone, A/B in one process (dev harness).
// npx tsx scripts/bench/wf-orch-ab.ts <refA|dirA> <refB|dirB> [memory|sqlite] [pairs] [runs] [--profile=B]
// A git ref is archived and transpiled; a directory is a tree whose src/ is transpiled ('.' = this tree).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';
import { benchConfig, BENCH_ENV } from './bench-config.js';
import { SCALE_WORKFLOW } from './workflow-bench.js';

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const profileSide = process.argv.find((a) => a.startsWith('--profile='))?.slice(10);
const [refA = 'main', refB = '.', storeKind = 'memory', pairsArg = '8', runsArg = '1000'] = args;
const pairs = Number(pairsArg);
const runs = Number(runsArg);

function* tsFiles(dir: string): Generator<string> {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* tsFiles(p);
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') && !e.name.endsWith('.d.ts')) yield p;
  }
}

function build(ref: string, tag: string): string {
  let root = ref;
  let tmp: string | undefined;
  if (!existsSync(ref)) {
    tmp = mkdtempSync(join(tmpdir(), 'wf-ab-src-'));
    execFileSync('sh', ['-c', `git archive ${ref} src | tar -x -C "${tmp}"`]);
    root = tmp;
  }
  const out = resolve(`node_modules/.cache/wf-ab-${tag}`);
  rmSync(out, { recursive: true, force: true });
  const from = resolve(root, 'src');
  for (const file of tsFiles(from)) {
    const dest = join(out, 'src', relative(from, file)).replace(/\.ts$/, '.js');
    const { outputText } = ts.transpileModule(readFileSync(file, 'utf8'), {
      compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, esModuleInterop: true },
      fileName: file,
    });
    mkdirSync(dirname(dest), { recursive: true });
    writeFileSync(dest, outputText);
  }
  writeFileSync(join(out, 'package.json'), '{"type":"module"}\n');
  if (tmp) rmSync(tmp, { recursive: true, force: true });
  return join(out, 'src');
}

async function makeApp(src: string) {
  const load = (p: string) => import(pathToFileURL(join(src, p)).href);
  const [{ buildApp }, { loadCatalog }, { parseConfig }, { WorkflowSchema }, { createMemoryStores }, { createSqliteStores }] = await Promise.all([
    load('app.js'), load('config/catalog.js'), load('config/load.js'), load('orchestrator/workflow/types.js'), load('store/memory.js'), load('store/sqlite.js'),
  ]);
  const loaded = parseConfig(benchConfig({ fakeUrl: 'http://127.0.0.1:9', limits: { max_concurrent_workflows: 1000, queue_depth: 10_000 } } as never), BENCH_ENV, 'bench');
  const catalog = loadCatalog(process.cwd(), loaded.config);
  const gateway = {
    call: (req: { model: string; signal?: AbortSignal }) =>
      new Promise((res) => setTimeout(() => res({ text: `answer of ${req.model} `.repeat(20), media: [], usage: { prompt_tokens: 10, completion_tokens: 50, total_tokens: 60 }, cost_usd: 0.0001, model_used: req.model, provider: 'openrouter', fallback_used: false, attempts: [{ model: req.model, provider: 'openrouter', outcome: 'success', latency_ms: 50 }], finish_reason: 'stop', truncated: false, simulated: false }), 50)),
    stream: () => { throw new Error('no'); },
    circuitState: () => 'closed',
    health: async () => ({}),
    close: async () => undefined,
  };
  const stores = storeKind === 'sqlite' ? createSqliteStores(join(mkdtempSync(join(tmpdir(), 'wf-orch-')), 'o.db')) : createMemoryStores();
  const app = await buildApp({ loaded, catalog, logger: false, apiKeys: [], gateway: gateway as never, stores });
  await app.ready();
  const wf = WorkflowSchema.parse(SCALE_WORKFLOW);
  let seq = 0;
  return async () => {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const out = await Promise.all(Array.from({ length: runs }, () => app.ctx.orchestrator.runWorkflow(wf, { topic: 'x' }, { request_id: `r-${++seq}`, signal: new AbortController().signal })));
    const c = process.cpuUsage(c0);
    const bad = out.filter((r: { status: string }) => r.status !== 'completed').length;
    if (bad) throw new Error(`${bad} runs not completed`);
    return { wall: performance.now() - t0, cpuUsPerTask: (c.user + c.system) / (runs * 5) };
  };
}

const a = await makeApp(build(refA, 'A'));
const b = await makeApp(build(refB, 'B'));
if (profileSide) {
  const side = profileSide === 'A' ? a : b;
  for (let i = 0; i < 4; i++) await side();
  const { Session } = await import('node:inspector/promises');
  const session = new Session();
  session.connect();
  if (process.argv.includes('--alloc')) {
    await session.post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
    for (let i = 0; i < 3; i++) await side();
    const { profile } = await session.post('HeapProfiler.stopSampling');
    writeFileSync(`/tmp/wf-orch-${profileSide}.heapprofile`, JSON.stringify(profile));
    console.log(`heap profile: /tmp/wf-orch-${profileSide}.heapprofile`);
    process.exit(0);
  }
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  for (let i = 0; i < 6; i++) await side();
  const { profile } = await session.post('Profiler.stop');
  const file = `/tmp/wf-orch-${profileSide}.cpuprofile`;
  writeFileSync(file, JSON.stringify(profile));
  console.log(`profile: ${file}`);
  process.exit(0);
}
for (let i = 0; i < 2; i++) { await a(); await b(); }
const ra: number[] = [], rb: number[] = [];
for (let i = 0; i < pairs; i++) {
  let A, B;
  if (i % 2 === 0) { A = await a(); B = await b(); } else { B = await b(); A = await a(); }
  ra.push(A.cpuUsPerTask); rb.push(B.cpuUsPerTask);
  console.log(`pair ${i}: A ${A.cpuUsPerTask.toFixed(0)} µs/task (wall ${A.wall.toFixed(0)}) | B ${B.cpuUsPerTask.toFixed(0)} µs/task (wall ${B.wall.toFixed(0)}) | B/A ${(B.cpuUsPerTask / A.cpuUsPerTask).toFixed(3)}`);
}
const med = (v: number[]) => { const s = [...v].sort((p, q) => p - q); const m = s.length >> 1; return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2; };
console.log(`${storeKind}: median A ${med(ra).toFixed(0)} B ${med(rb).toFixed(0)} µs/task; pair-median B/A ${med(rb.map((x, i) => x / ra[i]!)).toFixed(3)}`);
process.exit(0);
