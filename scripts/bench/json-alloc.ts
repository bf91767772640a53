import { spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import { resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';

/**
 * Bytes allocated per JSON request, from the socket to the reply, in the server's process only.
 * `node --import tsx scripts/bench/json-alloc.ts [<tree>|--bare] [--stream] [--live] [--top=N] [--n=N]`: the app of `<tree>` (default:
 * this checkout; the bench config, the real gateway, pino silent) — or, with `--bare`, the bench's bare proxy (Fastify in
 * front, an undici Pool behind) — listens on a socket in this process; the fake provider and a keep-alive load client
 * (16 connections, undici) run in two other processes, so their allocations are not counted. V8's sampling heap profiler
 * (objects collected by minor and major GCs included) runs over N requests; prints the sampled bytes per request and
 * the top allocation sites (the allocating function, file:line, and its first src/ caller). `--repeat=K` repeats the
 * measure K times (its spread is the noise). `--stream` sends `stream: true` (the streamed path); `--live` samples only
 * the objects still alive when the N requests are done (what they left behind, e.g. for the old generation) instead of
 * every allocation. See BENCHMARKS.md "Issue 18, fifth pass (allocation …)" and "sixth pass (tail latency and streams)".
 */
const args = process.argv.slice(2);
const flag = (name: string, dflt: string) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? dflt;

if (args[0] === '--client') {
  // The load client: `--client <url> <n> <payload>`; prints "done" per round on stdin's "go".
  const { Pool } = await import('undici');
  const [, url, payload] = args;
  const pool = new Pool(url!, { connections: 16, pipelining: 1, keepAliveTimeout: 30_000 });
  const round = async (n: number) => {
    let next = 0;
    const worker = async () => {
      while (next < n) {
        next++;
        const res = await pool.request({ method: 'POST', path: '/v1/chat/completions', headers: { 'content-type': 'application/json' }, body: payload });
        const text = await res.body.text();
        if (res.statusCode !== 200) throw new Error(`${res.statusCode} ${text}`);
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
  };
  process.stdin.setEncoding('utf8');
  for await (const line of process.stdin) {
    for (const n of String(line).trim().split(/\s+/).filter(Boolean)) {
      await round(Number(n));
      process.stdout.write('done\n');
    }
  }
  process.exit(0);
}

const bare = args.includes('--bare');
const tree = args.find((a) => !a.startsWith('--')) ?? process.cwd();
const n = Number(flag('n', '3000'));
const top = Number(flag('top', '30'));
const repeat = Number(flag('repeat', '1'));
const fakePort = 9500 + Math.floor(Math.random() * 400);
const fake = spawn(process.execPath, ['--import', 'tsx', 'scripts/fake-provider/main.ts', '--port', String(fakePort)], { stdio: ['ignore', 'pipe', 'inherit'] });
await new Promise<void>((r) => fake.stdout!.once('data', () => r()));
process.on('exit', () => fake.kill());
const fakeUrl = `http://127.0.0.1:${fakePort}`;

let app: FastifyInstance;
if (bare) {
  const { default: Fastify } = await import('fastify');
  const { Pool } = await import('undici');
  const pool = new Pool(fakeUrl, { connections: 256, pipelining: 1, keepAliveTimeout: 30_000 });
  app = Fastify({ logger: false });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  app.post('/v1/chat/completions', async (request, reply) => {
    const upstreamRes = await pool.request({ method: 'POST', path: '/v1/chat/completions', headers: { 'content-type': 'application/json', authorization: 'Bearer bench' }, body: request.body as Buffer });
    const type = upstreamRes.headers['content-type'];
    reply.code(upstreamRes.statusCode);
    if (typeof type === 'string') void reply.header('content-type', type);
    return reply.send(upstreamRes.body);
  });
} else {
  const { BENCH_ENV, benchConfig } = await import('./bench-config.js');
  // The tree's sources bundled as production bundles them (scripts/build-server.ts: CommonJS, minified syntax, no
  // keepNames — tsx's keepNames would add a defineProperty per closure), packages left in node_modules.
  const { build } = await import('esbuild');
  const { EXTERNAL, IMPORTED_ON_DEMAND } = await import('../build-server.js');
  const entry = `${tmpdir()}/json-alloc-entry-${process.pid}.ts`;
  const root = resolve(tree);
  writeFileSync(entry, `export { buildApp } from '${root}/src/app.ts';\nexport { loadCatalog } from '${root}/src/config/catalog.ts';\nexport { parseConfig } from '${root}/src/config/load.ts';\n`);
  const out = `${process.cwd()}/node_modules/.json-alloc-${process.pid}.cjs`;
  await build({ entryPoints: [entry], outfile: out, bundle: true, format: 'cjs', platform: 'node', target: 'node20', minifyWhitespace: true, minifySyntax: true, external: [...EXTERNAL, ...IMPORTED_ON_DEMAND, '@fastify/swagger-ui'], mainFields: ['module', 'main'], define: { 'import.meta.url': '__bundleUrl' }, banner: { js: "var __bundleUrl = require('node:url').pathToFileURL(__filename).href;" }, logLevel: 'error' });
  rmSync(entry);
  const { createRequire } = await import('node:module');
  const { buildApp, loadCatalog, parseConfig } = createRequire(import.meta.url)(out) as typeof import('../../src/app.js') & typeof import('../../src/config/catalog.js') & typeof import('../../src/config/load.js');
  rmSync(out);
  const loaded = parseConfig(benchConfig({ fakeUrl }), BENCH_ENV, 'bench config');
  app = await buildApp({ loaded, catalog: loadCatalog(process.cwd(), loaded.config), apiKeys: [] });
}
await app.listen({ port: 0, host: '127.0.0.1' });
const addr = app.server.address();
const url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
const stream = args.includes('--stream');
const live = args.includes('--live');
const payload = JSON.stringify({ model: 'medium_ai', messages: [{ role: 'user', content: 'Say hello to the benchmark in one short sentence.' }], ...(stream ? { stream } : {}) });
const client = spawn(process.execPath, ['--import', 'tsx', 'scripts/bench/json-alloc.ts', '--client', url, payload], { stdio: ['pipe', 'pipe', 'inherit'] });
client.stdout!.setEncoding('utf8');
const dones: Array<() => void> = [];
client.stdout!.on('data', (d: string) => { for (const _ of d.match(/done/g) ?? []) dones.shift()?.(); });
const round = (k: number) => new Promise<void>((r) => { dones.push(r); client.stdin!.write(`${k}\n`); });

await round(2000);
await round(2000);
const session = new Session();
session.connect();
interface Node { callFrame: { functionName: string; url: string; lineNumber: number }; selfSize: number; children: Node[] }
for (let rep = 0; rep < repeat; rep++) {
  // --live: only what is still alive when sampling stops (what the requests left behind), not every allocation.
  await session.post('HeapProfiler.startSampling', { samplingInterval: 512, includeObjectsCollectedByMajorGC: !live, includeObjectsCollectedByMinorGC: !live });
  await round(n);
  const { profile } = (await session.post('HeapProfiler.stopSampling')) as unknown as { profile: { head: Node } };
  if (rep === 0) writeFileSync(`/tmp/json-alloc-${bare ? 'bare' : 'app'}-${process.pid}.heapprofile`, JSON.stringify(profile));
  let total = 0;
  const sites = new Map<string, number>();
  const short = (u: string) => u.replace(/^file:\/\//, '').replace(/.*\/node_modules\//, '~').replace(/.*\/(src|scripts)\//, '$1/');
  const walk = (node: Node, srcCaller: string) => {
    const here = `${node.callFrame.functionName || '(anon)'} ${short(node.callFrame.url)}:${node.callFrame.lineNumber + 1}`;
    const caller = /\/src\/|json-alloc-/.test(node.callFrame.url) ? here : srcCaller;
    if (node.selfSize > 0) {
      total += node.selfSize;
      const key = caller === here ? here : `${here}  <- ${caller}`;
      sites.set(key, (sites.get(key) ?? 0) + node.selfSize);
    }
    for (const c of node.children) walk(c, caller);
  };
  walk(profile.head, '-');
  console.log(`${bare ? 'bare' : tree}: ${(total / n).toFixed(0)} B per request${live ? ' still alive at the end' : ''} (sampled, ${n} requests)`);
  if (rep === 0) {
    for (const [k, v] of [...sites].sort((x, y) => y[1] - x[1]).slice(0, top)) console.log(`${(v / n).toFixed(0).padStart(7)} B  ${k}`);
  }
}
client.kill();
fake.kill();
await app.close();
process.exit(0);
