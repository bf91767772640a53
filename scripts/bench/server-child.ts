import { BENCH_ENV, benchConfig, type BenchServerOptions } from './bench-config.js';
import { childOptions, cpuMs, serveChild } from './child.js';

/**
 * The product's server as a bench child, built the way src/main.ts builds it
 * (config → catalogue → buildApp → listen) on the bench config. Besides HTTP it
 * answers commands that drive the workflow engine in-process, through
 * `app.ctx.orchestrator.runWorkflow`, so the engine's own time and CPU are
 * measured without an HTTP client in the way.
 */

const opts = childOptions<BenchServerOptions>();
// The product's modules as built beside this file (build.ts: this tree's src/, or --src=<dir>'s for a what-if run).
const src = new URL('../../src/', import.meta.url).href;
const load = <T>(path: string): Promise<T> => import(new URL(path, src).href) as Promise<T>;
const [{ buildApp }, { systemClock }, { loadCatalog }, { parseConfig }, { EventBus }, { createGateway }, { WorkflowSchema }, { createAdapters }] =
  await Promise.all([
    load<typeof import('../../src/app.js')>('app.js'),
    load<typeof import('../../src/clock.js')>('clock.js'),
    load<typeof import('../../src/config/catalog.js')>('config/catalog.js'),
    load<typeof import('../../src/config/load.js')>('config/load.js'),
    load<typeof import('../../src/event-bus.js')>('event-bus.js'),
    load<typeof import('../../src/gateway/gateway.js')>('gateway/gateway.js'),
    load<typeof import('../../src/orchestrator/workflow/types.js')>('orchestrator/workflow/types.js'),
    load<typeof import('../../src/providers/registry.js')>('providers/registry.js'),
  ]);
type AppEvents = import('../../src/events.js').AppEvents;
type Workflow = import('../../src/orchestrator/workflow/types.js').Workflow;

const loaded = parseConfig(benchConfig(opts), BENCH_ENV, 'bench config');
// Tracing is started before the app is built, as src/main.ts does (section 9).
if (opts.tracing) {
  const [{ startTracing }, { TracingSchema }] = await Promise.all([
    load<typeof import('../../src/telemetry/tracing.js')>('telemetry/tracing.js'),
    load<typeof import('../../src/config/telemetry-schema.js')>('config/telemetry-schema.js'),
  ]);
  const endpoint = opts.tracing.exporter === 'otlp' ? opts.tracing.url : 'http://127.0.0.1:9';
  await startTracing({
    env: {},
    config: TracingSchema.parse({ endpoint, protocol: 'http/protobuf' }),
    serviceVersion: 'bench',
    ...(opts.tracing.exporter === 'noop' ? { exporter: { export: (_spans, done) => done({ code: 0 }), shutdown: async () => undefined } } : {}),
  });
}
const catalog = loadCatalog(process.cwd(), loaded.config);
// The scaled limiter needs a short "minute": only the gateway takes that option, so build it here.
const gateway = opts.rateLimit
  ? createGateway({
      config: loaded.config,
      providerModes: loaded.providerModes,
      adapters: createAdapters(loaded),
      // Its events reach no stats or metrics: the limiter section only counts what the fake saw.
      bus: new EventBus<AppEvents>(),
      clock: systemClock,
      windowMs: opts.rateLimit.windowMs,
    })
  : undefined;
const app = await buildApp({ loaded, catalog, logger: false, apiKeys: [], ...(gateway ? { gateway } : {}) });
await app.listen({ port: 0, host: '127.0.0.1' });
const address = app.server.address();
const port = typeof address === 'object' && address ? address.port : 0;

interface RunArgs {
  count: number;
  /** The workflow as JSON; parsed here (defaults applied) as POST /workflow would. */
  workflow: unknown;
  variables: Record<string, string>;
}

const maxRssMiB = (): number => process.resourceUsage().maxRSS / 1024;
const errorType = (err: unknown): string => (err as { type?: string })?.type ?? (err as Error)?.name ?? 'error';

let seq = 0;
/** The workflow of the current command, parsed once for all its runs. */
const parsed = new Map<unknown, Workflow>();
/** Starts one run; a refusal (thrown or rejected) comes back as a rejected promise either way. */
function start(args: RunArgs, signal: AbortSignal): Promise<{ status: string }> {
  seq += 1;
  try {
    let workflow = parsed.get(args.workflow);
    if (!workflow) {
      parsed.clear();
      workflow = WorkflowSchema.parse(args.workflow);
      parsed.set(args.workflow, workflow);
    }
    return Promise.resolve(app.ctx.orchestrator.runWorkflow(workflow, args.variables, { request_id: `bench-${seq}`, signal }));
  } catch (err) {
    return Promise.reject(err);
  }
}

const count = (values: string[]): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
};

/** Runs submitted by `submit` and still held, to be cancelled by `cancelHeld`. */
let held: Array<{ controller: AbortController; done: Promise<string> }> = [];
let cancelling = false;

serveChild(
  { url: `http://127.0.0.1:${port}`, pid: process.pid },
  {
    usage: () => ({ cpuMs: cpuMs(), rssMiB: process.memoryUsage.rss() / 2 ** 20, maxRssMiB: maxRssMiB() }),

    /** `count` runs at once; resolves when all ended, with the wall time, CPU time and outcomes. */
    runWorkflows: async (args: RunArgs) => {
      const cpu0 = cpuMs();
      const t0 = performance.now();
      const settled = await Promise.allSettled(
        Array.from({ length: args.count }, () => start(args, new AbortController().signal)),
      );
      const wallMs = performance.now() - t0;
      return {
        wallMs,
        cpuMs: cpuMs() - cpu0,
        maxRssMiB: maxRssMiB(),
        outcomes: count(settled.map((s) => (s.status === 'fulfilled' ? s.value.status : `refused:${errorType(s.reason)}`))),
      };
    },

    /**
     * Submits `count` runs and returns once every submission was answered or has been
     * pending for `settleMs`: a refusal is immediate, so a run still pending then was accepted.
     */
    submit: async (args: RunArgs & { settleMs: number }) => {
      const t0 = performance.now();
      cancelling = false;
      let refused = 0;
      const firstRefusal: string[] = [];
      for (let i = 0; i < args.count; i++) {
        const controller = new AbortController();
        const done = start(args, controller.signal).then(
          (r) => r.status,
          (err: unknown) => {
            // After cancelHeld began, a rejection is a run that was aborted while it waited in the queue.
            if (cancelling) return `aborted while queued (rejects with the abort reason)`;
            refused += 1;
            if (firstRefusal.length === 0) firstRefusal.push(errorType(err));
            return `refused:${errorType(err)}`;
          },
        );
        held.push({ controller, done });
      }
      const submitMs = performance.now() - t0;
      await new Promise((r) => setTimeout(r, args.settleMs));
      return { submitted: args.count, submitMs, refused, firstRefusal: firstRefusal[0] ?? null, admission: app.ctx.orchestrator.admission(), maxRssMiB: maxRssMiB() };
    },

    /**
     * Resolves once the event loop turns over quickly again (three setImmediate round trips under
     * 2 ms in a row, at most `maxMs`): the work a burst of submissions left behind is done. Reports
     * how long that took.
     */
    quiet: async (args: { maxMs: number }) => {
      const t0 = performance.now();
      let calm = 0;
      while (calm < 3 && performance.now() - t0 < args.maxMs) {
        const t = performance.now();
        await new Promise((r) => setImmediate(r));
        calm = performance.now() - t < 2 ? calm + 1 : 0;
        if (calm === 0) await new Promise((r) => setTimeout(r, 5));
      }
      return { ms: performance.now() - t0 };
    },

    /** One more run in-process: how it was answered and how long that took. */
    refuseOne: async (args: RunArgs) => {
      const controller = new AbortController();
      const t0 = performance.now();
      const outcome = await Promise.race([
        start(args, controller.signal).then(
          (r) => `accepted:${r.status}`,
          (err: unknown) => `refused:${errorType(err)}`,
        ),
        new Promise<string>((r) => setTimeout(() => r('pending'), 1000)),
      ]);
      const ms = performance.now() - t0;
      if (outcome === 'pending') {
        controller.abort();
        held.push({ controller, done: Promise.resolve('pending') });
      }
      return { outcome, ms };
    },

    /** Aborts every held run; resolves when all of them ended, with how long that took. */
    cancelHeld: async () => {
      const t0 = performance.now();
      cancelling = true;
      for (const h of held) h.controller.abort(new Error('bench: cancelled'));
      const statuses = await Promise.all(held.map((h) => h.done));
      held = [];
      return { ms: performance.now() - t0, outcomes: count(statuses) };
    },

    /** Closes the app (drains, stops the orchestrator and gateway) and reports how long that took. */
    close: async () => {
      const t0 = performance.now();
      await app.close();
      return { ms: performance.now() - t0 };
    },
  },
  async () => {
    await app.close();
  },
);
