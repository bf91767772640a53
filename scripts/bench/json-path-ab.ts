import { spawn } from 'node:child_process';
import type { FastifyInstance } from 'fastify';

/**
 * `AB_TREES=<treeA>,<treeB> node --import tsx scripts/bench/json-path-ab.ts`: the whole JSON path of two
 * source trees in one process, for a before/after that a loaded machine can still resolve. Each tree's app
 * (the bench config, the real gateway, pino at the bench's silent level) runs here; the fake provider runs in
 * another process. Batches of `POST /v1/chat/completions` (app.inject: no sockets, so Fastify, the gateway
 * and undici's client are measured, not node's HTTP server) at 16 in flight alternate between the trees;
 * prints this process's CPU µs per request (median and min of the batches) and the median of the per-pair
 * ratios B/A. AB_PAIRS (20) pairs of AB_BATCH (300) requests; AB_STREAM=1 sends `stream: true`. See BENCHMARKS.md "Issue 18, fourth pass (JSON path …)".
 */
const trees = (process.env.AB_TREES ?? '').split(',');
if (trees.length !== 2) throw new Error('AB_TREES=<treeA>,<treeB>: two source trees (each with src/)');
const pairs = Number(process.env.AB_PAIRS ?? 20);
const batch = Number(process.env.AB_BATCH ?? 400);
const port = 9000 + Math.floor(Math.random() * 500);
const fake = spawn(process.execPath, ['--import', 'tsx', 'scripts/fake-provider/main.ts', '--port', String(port)], { stdio: ['ignore', 'pipe', 'inherit'] });
await new Promise<void>((r) => fake.stdout!.once('data', () => r()));
const fakeUrl = `http://127.0.0.1:${port}`;
const { BENCH_ENV, benchConfig } = await import('./bench-config.js');
const apps: FastifyInstance[] = [];
for (const tree of trees) {
  const { buildApp } = (await import(`${tree}/src/app.ts`)) as typeof import('../../src/app.js');
  const { loadCatalog } = (await import(`${tree}/src/config/catalog.ts`)) as typeof import('../../src/config/catalog.js');
  const { parseConfig } = (await import(`${tree}/src/config/load.ts`)) as typeof import('../../src/config/load.js');
  const loaded = parseConfig(benchConfig({ fakeUrl }), BENCH_ENV, 'bench config');
  const catalog = loadCatalog(process.cwd(), loaded.config);
  const app = await buildApp({ loaded, catalog, apiKeys: [] });
  await app.ready();
  apps.push(app);
}
// AB_STREAM=1: the same with `stream: true` (the streamed path, its answer collected by inject).
const payload = JSON.stringify({ model: 'medium_ai', messages: [{ role: 'user', content: 'Say hello to the benchmark in one short sentence.' }], stream: process.env.AB_STREAM === '1' });
async function run(app: FastifyInstance, n: number): Promise<number> {
  const u0 = process.cpuUsage();
  let next = 0;
  const worker = async () => {
    while (next < n) {
      next++;
      const res = await app.inject({ method: 'POST', url: '/v1/chat/completions', headers: { 'content-type': 'application/json' }, payload });
      if (res.statusCode !== 200) throw new Error(`${res.statusCode} ${res.body}`);
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  const u = process.cpuUsage(u0);
  return (u.user + u.system) / n;
}
for (const app of apps) await run(app, 2000);
const per: number[][] = apps.map(() => []);
const ratios: number[] = [];
for (let p = 0; p < pairs; p++) {
  const order = p % 2 === 0 ? [0, 1] : [1, 0];
  const got: number[] = [];
  for (const i of order) got[i] = await run(apps[i]!, batch);
  for (const i of [0, 1]) per[i]!.push(got[i]!);
  ratios.push(got[1]! / got[0]!);
}
const med = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
console.log(`A ${trees[0]}: ${med(per[0]!).toFixed(1)} µs (min ${Math.min(...per[0]!).toFixed(1)})`);
console.log(`B ${trees[1]}: ${med(per[1]!).toFixed(1)} µs (min ${Math.min(...per[1]!).toFixed(1)})`);
console.log(`B/A medians ${(med(per[1]!) / med(per[0]!)).toFixed(3)}, pair median ${med(ratios).toFixed(3)}`);
for (const app of apps) await app.close();
fake.kill();
process.exit(0);
