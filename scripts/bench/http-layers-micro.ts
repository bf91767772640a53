import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import Fastify from 'fastify';
import { runLoad } from './load.js';
import { median } from './numbers.js';

/**
 * `npx tsx scripts/bench/http-layers-micro.ts [seconds] [rounds] [connections]`: what each
 * layer of the JSON path in front of the gateway costs. A child process runs the app (bench
 * config) with a gateway double that answers at once, so only the Fastify layer is measured,
 * plus a bare Fastify server; this process loads each endpoint in turn with autocannon and
 * reads the child's CPU time. Prints server CPU µs per answered request, median of the
 * interleaved rounds: the whole POST /v1/chat/completions and POST /chat, a route returning a
 * constant through the same app (every global hook, the body parser), a bare Fastify route (what
 * any Fastify server pays here), and the body validation, response serialisation and body parser
 * alone in a loop. HTTP_LAYERS_BASE=<tree> serves a second tree's src from the same process (an A/B in
 * the same rounds); HTTP_LAYERS_REAL=1 uses the real gateway against the fake provider, both in the child
 * (so its CPU includes the fake's); HTTP_LAYERS_ONLY=<text> keeps the targets whose name contains it;
 * HTTP_LAYERS_PROFILE=<dir> runs the child with --cpu-prof; HTTP_LAYERS_PINO=1 gives the app the config's logger (pino, silent),
 * as the bench's server has, instead of none (Fastify then makes each request's child logger and response listeners). See BENCHMARKS.md ("Issue 18, third pass (Fastify layer)").
 */

const PROMPT = [{ role: 'user', content: 'Say hello to the benchmark in one short sentence.' }];
const V1_BODY = { model: 'medium_ai', messages: PROMPT, stream: false };
const CHAT_BODY = { message: PROMPT[0]!.content, model: 'medium_ai' };

/** This tree's root: the child serves its src, and HTTP_LAYERS_BASE's beside it for an A/B. */
const THIS_TREE = fileURLToPath(new URL('../../', import.meta.url));

if (process.env.HTTP_LAYERS_CHILD) {
  await serve();
} else {
  await drive();
}

async function serve(): Promise<void> {
  const trees = (process.env.HTTP_LAYERS_TREES ?? THIS_TREE).split(',');
  // HTTP_LAYERS_REAL=1: the real gateway against the fake provider (in this process, 0 ms) instead of the double.
  const fake = process.env.HTTP_LAYERS_REAL ? await (await import('../fake-provider/server.js')).startFakeProvider({ port: 0, host: '127.0.0.1', latencyMs: 0 }) : undefined;
  const servers = [];
  for (const tree of trees) servers.push(await serveTree(tree, fake?.url));
  const micro = servers[0]!.micro;
  process.on('message', (m: { cmd: string; name?: string }) => {
    if (m.cmd === 'cpu') {
      const u = process.cpuUsage();
      process.send!({ cpuMs: (u.user + u.system) / 1000 });
    } else if (m.cmd === 'micro') {
      process.send!({ us: micro[m.name!]!() });
    } else if (m.cmd === 'exit') {
      process.exit(0);
    } else if (m.cmd === 'names') {
      process.send!({ names: Object.keys(micro) });
    }
  });
  process.send!(servers.map((s) => s.urls));
}

async function serveTree(tree: string, fakeUrl?: string) {
  const from = <T>(path: string): Promise<T> => import(`${tree}/${path}`) as Promise<T>;
  const [{ buildApp }, { loadCatalog }, { parseConfig }, { BENCH_ENV, benchConfig }, schema, { completionBody }, { serializerCompiler }, { abortOnDisconnect }] = await Promise.all([
    from<typeof import('../../src/app.js')>('src/app.ts'),
    from<typeof import('../../src/config/catalog.js')>('src/config/catalog.ts'),
    from<typeof import('../../src/config/load.js')>('src/config/load.ts'),
    import('./bench-config.js'),
    from<typeof import('../../src/server/routes/openai/schema.js')>('src/server/routes/openai/schema.ts'),
    from<typeof import('../../src/server/routes/openai/completion.js')>('src/server/routes/openai/completion.ts'),
    import('fastify-type-provider-zod'),
    from<typeof import('../../src/server/operation.js')>('src/server/operation.ts'),
  ]);
  type GatewayResult = import('../../src/gateway/types.js').GatewayResult;
  type Gateway = import('../../src/gateway/types.js').Gateway;
  const result: GatewayResult = {
    text: 'Hello, benchmark!',
    media: [],
    usage: { prompt_tokens: 12, completion_tokens: 4, total_tokens: 16 },
    cost_usd: 0.000012,
    model_used: 'medium_ai',
    provider: 'openrouter',
    fallback_used: false,
    attempts: [{ model: 'medium_ai', provider: 'openrouter', outcome: 'success', duration_ms: 1 }],
    finish_reason: 'stop',
    truncated: false,
    simulated: false,
  };
  const double: Gateway = {
    // As the real gateway does: the caller's finish (the response cache's bypass mark) is applied to the result.
    call: async (req, finish) => {
      const made = { ...result, attempts: [...result.attempts] };
      return finish ? finish(req, made) : made;
    },
    stream: () => {
      throw new Error('not streamed here');
    },
    circuitState: () => 'closed',
    health: async () => ({ models: {}, providers: {} }),
    close: async () => undefined,
  } as Gateway;
  const loaded = parseConfig(benchConfig({ fakeUrl: fakeUrl ?? 'http://127.0.0.1:9' }), BENCH_ENV, 'bench config');
  const catalog = loadCatalog(process.cwd(), loaded.config);
  // HTTP_LAYERS_PINO=1: the config's logger (pino at the bench config's silent level), as the bench's server runs; else none.
  const app = await buildApp({ loaded, catalog, ...(process.env.HTTP_LAYERS_PINO ? {} : { logger: false as const }), apiKeys: [], ...(fakeUrl ? {} : { gateway: double }) });
  const meta = { id: 'chatcmpl-0123456789abcdef0123456789abcdef', created: 1_700_000_000 };
  app.post('/bench/constant', async () => ({ ok: true }));
  // One layer each, on top of the constant route: what the /v1 route adds, piece by piece.
  app.post('/bench/validated', { schema: { body: schema.ChatCompletionRequestSchema } }, async () => ({ ok: true }));
  app.post('/bench/serialized', { schema: { response: { 200: schema.ChatCompletionSchema } } }, async () => completionBody(result, meta));
  app.post('/bench/stringified', async () => completionBody(result, meta));
  app.post('/bench/gateway', async () => {
    await app.ctx.gateway.call({ model: 'medium_ai', messages: [{ role: 'user', content: 'hi' }] });
    return { ok: true };
  });
  app.post('/bench/abort-signal', async (_request, reply) => {
    const abort = abortOnDisconnect(reply, () => new Error('gone'));
    return { ok: abort.aborted === false };
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const bare = Fastify({ logger: false });
  bare.post('/bench/constant', async () => ({ ok: true }));
  await bare.listen({ port: 0, host: '127.0.0.1' });
  const port = (s: typeof app.server) => (s.address() as { port: number }).port;

  const loop = (n: number, fn: () => unknown): number => {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) fn();
    return ((performance.now() - t0) / n) * 1000;
  };
  const serialise = serializerCompiler({ schema: schema.ChatCompletionSchema, method: 'POST', url: '/v1/chat/completions' } as never) as (d: unknown) => string;
  const parseJson = app.getDefaultJsonParser('error', 'error');
  const text = JSON.stringify(V1_BODY);
  const micro: Record<string, () => number> = {
    'zod parse of the /v1 body': () => loop(20_000, () => schema.ChatCompletionRequestSchema.parse(V1_BODY)),
    'response: completionBody + zod encode + JSON.stringify': () => loop(20_000, () => serialise(completionBody(result, meta))),
    'response: completionBody + JSON.stringify': () => loop(20_000, () => JSON.stringify(completionBody(result, meta))),
    'body: Buffer toString + secure-json-parse': () => loop(20_000, () => parseJson({} as never, Buffer.from(text).toString('utf8'), () => undefined)),
    'body: Buffer toString + JSON.parse': () => loop(20_000, () => JSON.parse(Buffer.from(text).toString('utf8'))),
  };
  return { urls: { app: `http://127.0.0.1:${port(app.server)}`, bare: `http://127.0.0.1:${port(bare.server)}` }, micro };
}

async function drive(): Promise<void> {
  const seconds = Number(process.argv[2] ?? 3);
  const rounds = Number(process.argv[3] ?? 5);
  const connections = Number(process.argv[4] ?? 16);
  const only = process.env.HTTP_LAYERS_ONLY;
  const profileDir = process.env.HTTP_LAYERS_PROFILE;
  // HTTP_LAYERS_BASE=<dir>: a second tree (its src/) served by the same process and measured in the same rounds.
  const base = process.env.HTTP_LAYERS_BASE;
  const child = fork(fileURLToPath(import.meta.url), [], {
    env: { ...process.env, HTTP_LAYERS_CHILD: '1', HTTP_LAYERS_TREES: base ? `${THIS_TREE},${base}` : THIS_TREE },
    execArgv: [...process.execArgv, ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [])],
  });
  const next = () => new Promise<any>((resolve) => child.once('message', resolve));
  const allUrls = (await next()) as Array<{ app: string; bare: string }>;
  const ask = async (msg: object) => {
    const answer = next();
    child.send(msg);
    return answer;
  };
  // Every side is served by the one child: `ask` reaches them all.
  const sides = allUrls.map((urls, i) => ({ label: i === 0 ? '' : 'base: ', urls }));
  const { names } = await ask({ cmd: 'names' });
  const through = process.env.HTTP_LAYERS_REAL ? 'gateway and fake provider in process' : 'gateway double';
  const targets: Array<[string, string, unknown]> = [
    [`POST /v1/chat/completions (${through})`, '/v1/chat/completions', V1_BODY],
    [`POST /chat (${through})`, '/chat', CHAT_BODY],
    ['POST constant route, same app (hooks + body parser)', '/bench/constant', V1_BODY],
    ['POST constant route, bare Fastify', 'bare:/bench/constant', V1_BODY],
    ['POST constant + zod body validation', '/bench/validated', V1_BODY],
    ['POST completion body, zod response schema', '/bench/serialized', V1_BODY],
    ['POST completion body, JSON.stringify', '/bench/stringified', V1_BODY],
    ['POST constant + gateway double call (cache wrapper)', '/bench/gateway', V1_BODY],
    ['POST constant + abortOnDisconnect signal', '/bench/abort-signal', V1_BODY],
  ];
  if (only) targets.splice(0, targets.length, ...targets.filter(([name]) => name.includes(only)));
  const results = new Map<string, number[]>();
  const add = (name: string, v: number) => results.set(name, [...(results.get(name) ?? []), v]);
  for (let r = 0; r <= rounds; r++) {
    for (const [name, path, body] of targets) {
      for (const side of r % 2 === 0 ? sides : [...sides].reverse()) {
        const url = path.startsWith('bare:') ? `${side.urls.bare}${path.slice(5)}` : `${side.urls.app}${path}`;
        const before = (await ask({ cmd: 'cpu' })).cpuMs;
        const run = await runLoad({ url, body, connections, durationS: r === 0 ? 1 : seconds });
        const after = (await ask({ cmd: 'cpu' })).cpuMs;
        if (run.failed > 0) console.error(`${side.label}${name}: ${run.failed} failed`);
        if (r > 0) add(`${side.label}${name}`, ((after - before) / Math.max(1, run.ok)) * 1000);
      }
    }
    for (const name of only ? [] : (names as string[])) {
      const { us } = await ask({ cmd: 'micro', name });
      if (r > 0) add(`${name} (alone, in a loop)`, us);
    }
  }
  console.log(`server CPU µs per request at ${connections} connections (median of ${rounds} rounds of ${seconds} s)`);
  for (const [name, values] of results) console.log(`${name.padEnd(62)} ${median(values).toFixed(1).padStart(7)} µs  [${values.map((v) => v.toFixed(0)).join(' ')}]`);
  if (base) {
    console.log('this tree / base, median of the per-round ratios:');
    for (const [name] of targets) {
      const a = results.get(name) ?? [];
      const b = results.get(`base: ${name}`) ?? [];
      console.log(`${name.padEnd(62)} ${median(a.map((v, i) => v / b[i]!)).toFixed(3)}`);
    }
  }
  child.send({ cmd: 'exit' });
  await new Promise((resolve) => child.once('exit', resolve));
}
