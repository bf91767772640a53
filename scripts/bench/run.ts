import { writeFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { BenchServerOptions } from './bench-config.js';
import { buildBaseline, buildForBench } from './build.js';
import { BASELINE_DIR, BUILD_DIR, serverNodeFlags } from './build-dirs.js';
import { startChild, type BenchChild } from './child.js';
import { benchGateway, directBody, gatewayRows, type GatewayFigures } from './gateway-bench.js';
import { asBenchChild } from './peer-process.js';
import { installPortkey, PORTKEY_VERSION, portkeyHeaders, startPortkey } from './portkey.js';
import { readyProbe, startServerProcess, startupRows, timeServerStarts, timeStarts, type Starts, type StartupFigures } from './startup.js';
import { beforeAfterTable, summaryTable } from './summary.js';
import { benchRateLimit, rateLimitRows, type RateLimitFigures } from './rate-limit-bench.js';
import { formatTable, type Row } from './report.js';
import { benchWorkflows, workflowRows, type WorkflowFigures } from './workflow-bench.js';
import { benchShadow, trafficRows, type TrafficFigures } from './traffic-bench.js';
import { benchCache, cacheRows, type CacheFigures } from './cache-bench.js';
import { benchTracing, startOtlpSink, tracingRows, type TracingFigures } from './tracing-bench.js';

/**
 * `npm run bench`: the gateway and the workflow engine measured against the fake
 * provider on this machine, side by side in one run. The fake, the server (and the
 * bare proxy) each run in their own child process; autocannon runs here.
 *
 *   --quick          3 s load runs and fewer repeats (for iterating on the bench itself)
 *   --profile        start the server children with --cpu-prof (profiles in scripts/bench/profiles/)
 *   --only=1,3,5     run only these sections (1 and 2 and 6 run together, as do 3 and 4; 7 is the
 *                    shadow, 8 the response cache, 9 tracing, 10 start-up)
 *   --src=<dir>      build the server from <dir>/src (a copy of the tree with a proposed fix:
 *                    a what-if run against the same fake, bare proxy and load)
 *   --no-portkey     leave out the Portkey gateway (otherwise installed on demand into os.tmpdir()
 *                    and measured beside the server; skipped with one line when it cannot be)
 *   --portkey=<ver>  another Portkey version than the pinned one
 *   --baseline=<ref> also build the server from git commit <ref>'s src/ and measure it beside this
 *                    tree's (start-up, 16 and 64 connections, ceiling, memory, section 3): before/after in one run
 *
 * Every child runs as plain JavaScript built from the sources first (build.ts), as production
 * runs. Prints the comparison with the peers, one table (figure, target, PASS/MISS), and
 * writes the raw figures to scripts/bench/last-run.json.
 */

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const profile = args.includes('--profile');
const only = args.find((a) => a.startsWith('--only='))?.slice(7).split(',');
const srcRoot = args.find((a) => a.startsWith('--src='))?.slice(6);
const measurePortkey = !args.includes('--no-portkey');
const portkeyVersion = args.find((a) => a.startsWith('--portkey='))?.slice(10) ?? PORTKEY_VERSION;
const baselineRef = args.find((a) => a.startsWith('--baseline='))?.slice(11);
const wants = (...sections: string[]) => !only || sections.some((s) => only.includes(s));

const settings = {
  durationS: quick ? 3 : 10,
  warmupS: quick ? 1 : 3,
  workflowRuns: 1000,
  fill: 11_000,
  limits: { max_concurrent_workflows: 1000, queue_depth: 10_000 },
  repeats: quick ? 1 : 3,
  /** Cold starts timed per server in section 10. */
  starts: quick ? 1 : 3,
  rateLimit: { calls: 500, limit: 100, windowMs: 2000 },
};

const log = (line: string) => process.stderr.write(`${line}\n`);
const profileDir = fileURLToPath(new URL('./profiles/', import.meta.url));
const children: BenchChild[] = [];

async function start(script: string, options: unknown, profiled = false, root?: string): Promise<BenchChild> {
  const child = await startChild(script, {
    options,
    ...(root ? { root } : {}),
    // The server runs with production's node flags (package.json's start script); the other children with none.
    nodeFlags: [...(script === 'server-child.ts' ? serverNodeFlags(root) : []), ...(profiled && profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [])],
  });
  children.push(child);
  return child;
}

/**
 * The production bundle (`node <start flags> dist/src/main.js`, NODE_ENV=production) on the load
 * sections' config, as a bench child: CPU and RSS come from /proc, as for the Portkey gateway.
 */
async function startBundled(fakeUrl: string, root?: string, profiled = false): Promise<BenchChild> {
  const { peer, cleanup } = await startServerProcess(fakeUrl, root, {
    store: 'memory',
    ...(profiled && profile ? { extraNodeFlags: ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] } : {}),
  });
  const child = asBenchChild(peer);
  const stopChild = child.stop;
  child.stop = async (graceMs?: number) => {
    await stopChild(graceMs);
    cleanup();
  };
  children.push(child);
  return child;
}

async function stop(child: BenchChild): Promise<void> {
  await child.stop();
  children.splice(children.indexOf(child), 1);
}

/**
 * `start(entry)` with the installed Portkey gateway, or why it is not measured: not installed
 * (`portkey` says why), or it failed to start (logged).
 */
async function withPortkey<T>(portkey: { entry: string } | { skipped: string }, start: (entry: string) => Promise<T>): Promise<T | { skipped: string }> {
  if ('skipped' in portkey) return portkey;
  try {
    return await start(portkey.entry);
  } catch (err) {
    const skipped = `cannot start: ${(err as Error).message.slice(0, 200)}`;
    log(`  Portkey skipped: ${skipped}`);
    return { skipped };
  }
}

async function main(): Promise<void> {
  const startedAt = new Date();
  const t0 = performance.now();
  const machine = {
    cores: cpus().length,
    cpu: cpus()[0]?.model ?? 'unknown',
    ramGiB: Number((totalmem() / 2 ** 30).toFixed(1)),
    node: process.version,
    kernel: release(),
    /** 1/5/15-minute load averages when the bench began: other work on a shared machine shows here. */
    loadAtStart: loadavg().map((v) => v.toFixed(2)).join(' '),
  };
  log(`bench ${quick ? '(quick) ' : ''}on ${machine.cores} cores, ${machine.ramGiB} GiB, node ${machine.node}, kernel ${machine.kernel}`);
  const built = await buildForBench(srcRoot);
  log(`built ${built.files} files${srcRoot ? ` (src from ${srcRoot})` : ''} in ${(built.ms / 1000).toFixed(1)} s`);
  let baseline: string | undefined;
  if (baselineRef) {
    const b = await buildBaseline(baselineRef);
    baseline = `${baselineRef} = ${b.commit}`;
    log(`built the baseline ${baseline} (${b.files} files) in ${(b.ms / 1000).toFixed(1)} s`);
  }

  let portkeyEntry: { entry: string } | { skipped: string } = { skipped: '--no-portkey' };
  if (measurePortkey && wants('1', '2', '6', '10')) {
    log(`Portkey gateway ${portkeyVersion}: installing on demand into os.tmpdir() (reused by later runs)`);
    const installed = await installPortkey(portkeyVersion);
    portkeyEntry = 'entry' in installed ? installed : { skipped: installed.error };
    if ('skipped' in portkeyEntry) log(`Portkey skipped: ${portkeyEntry.skipped}`);
  }

  const fake = await start('fake-child.ts', { latencyMs: 20 });
  const serverOptions = (extra: Partial<BenchServerOptions> = {}): BenchServerOptions => ({ fakeUrl: fake.info.url, ...extra });
  const rows: Row[] = [];
  const raw: {
    gateway?: GatewayFigures;
    workflows?: WorkflowFigures;
    rateLimit?: RateLimitFigures;
    traffic?: TrafficFigures;
    cache?: CacheFigures;
    tracing?: TracingFigures;
    startup?: StartupFigures;
  } = {};
  const portkeyProbe = readyProbe(directBody(false).model, portkeyHeaders(fake.info.url));

  if (wants('10')) {
    await fake.send('setLatency', 0);
    log(`10. start-up: ${settings.starts} cold start(s) each, spawn to the first 200 chat completion`);
    const starts = (label: string, t: { first: Starts; cached: Starts }) => {
      const list = (v: number[]) => v.map((x) => x.toFixed(0)).join(', ');
      log(`  ${label}: first starts ${list(t.first.startMs)} ms, RSS ${list(t.first.readyRssMiB)} MiB; later starts ${list(t.cached.startMs)} ms, RSS ${list(t.cached.readyRssMiB)} MiB`);
      return t;
    };
    const [serverStarts, baselineStarts] = await timeServerStarts(fake.info.url, settings.starts, baseline ? [BUILD_DIR, BASELINE_DIR] : [BUILD_DIR]);
    const server = starts('server', serverStarts!);
    const before = baselineStarts ? starts('baseline', baselineStarts) : undefined;
    const portkey: StartupFigures['portkey'] = measurePortkey
      ? await withPortkey(portkeyEntry, async (entry) => {
          const starts = await timeStarts(async () => ({ peer: await startPortkey(entry, portkeyProbe) }), settings.starts);
          log(`  Portkey: ${starts.startMs.map((v) => v.toFixed(0)).join(', ')} ms; RSS ${starts.readyRssMiB.map((v) => v.toFixed(0)).join(', ')} MiB`);
          return starts;
        })
      : null;
    raw.startup = { server: server.first, serverCached: server.cached, portkey, ...(before ? { baseline: before.first, baselineCached: before.cached } : {}) };
    rows.push(...startupRows(raw.startup));
    await fake.send('setLatency', 20);
  }

  if (wants('1', '2', '6')) {
    // The load sections measure what users run: the production bundle, started as section 10 starts it (the memory store).
    const server = await startBundled(fake.info.url, undefined, true);
    const bare = await start('bare-proxy.ts', { upstream: fake.info.url });
    const before = baseline ? await startBundled(fake.info.url, BASELINE_DIR) : undefined;
    // Registered with the other children, so a failed bench stops it too (its stderr pipe would keep the bench alive).
    const portkey = await withPortkey(portkeyEntry, async (entry) => {
      const child = asBenchChild(await startPortkey(entry, portkeyProbe));
      children.push(child);
      return child;
    });
    raw.gateway = await benchGateway({
      fake,
      server,
      bare,
      portkey,
      ...(before ? { baseline: before } : {}),
      durationS: settings.durationS,
      warmupS: settings.warmupS,
      log,
    });
    rows.push(...gatewayRows(raw.gateway));
    if (!('skipped' in portkey)) await stop(portkey);
    if (before) await stop(before);
    await stop(bare);
    await stop(server);
  }

  if (wants('3', '4')) {
    const server = await start('server-child.ts', serverOptions({ limits: settings.limits }), true);
    const before = baseline ? await start('server-child.ts', serverOptions({ limits: settings.limits }), false, BASELINE_DIR) : undefined;
    raw.workflows = await benchWorkflows({
      fake,
      server,
      ...(before ? { baseline: before } : {}),
      runs: settings.workflowRuns,
      fill: wants('3') ? settings.fill : 0,
      repeats: settings.repeats,
      log,
    });
    rows.push(...workflowRows(raw.workflows, settings.fill));
    if (before) await stop(before);
    await stop(server);
  }

  if (wants('5')) {
    const { limit, windowMs, calls } = settings.rateLimit;
    const server = await start('server-child.ts', serverOptions({ rateLimit: { requestsPerWindow: limit, windowMs, maxWaitMs: 120_000 } }));
    raw.rateLimit = await benchRateLimit({ fake, server, calls, limit, windowMs, log });
    rows.push(...rateLimitRows(raw.rateLimit));
    await stop(server);
  }

  if (wants('7')) {
    const off = await start('server-child.ts', serverOptions());
    const on = await start('server-child.ts', serverOptions({ shadow: true }));
    raw.traffic = await benchShadow({ fake, off, on, durationS: settings.durationS, warmupS: settings.warmupS, log });
    rows.push(...trafficRows(raw.traffic));
    await stop(on);
    await stop(off);
  }
  if (wants('8')) {
    const server = await start('server-child.ts', serverOptions({ cache: true }));
    raw.cache = await benchCache({ fake, server, durationS: settings.durationS, warmupS: settings.warmupS, log });
    rows.push(...cacheRows(raw.cache));
    await stop(server);
  }

  if (wants('9')) {
    const sink = await startOtlpSink();
    const off = await start('server-child.ts', serverOptions());
    const noop = await start('server-child.ts', serverOptions({ tracing: { exporter: 'noop' } }));
    const otlp = await start('server-child.ts', serverOptions({ tracing: { exporter: 'otlp', url: sink.url } }));
    raw.tracing = await benchTracing({ fake, off, noop, otlp, sink, durationS: settings.durationS, warmupS: settings.warmupS, log });
    rows.push(...tracingRows(raw.tracing));
    await stop(otlp);
    await stop(noop);
    await stop(off);
    await sink.close();
  }
  await stop(fake);

  const elapsedS = (performance.now() - t0) / 1000;
  const loadAtEnd = loadavg().map((v) => v.toFixed(2)).join(' ');
  const table = formatTable(rows);
  const misses = rows.filter((r) => r.pass === false).length;
  const passes = rows.filter((r) => r.pass === true).length;
  process.stdout.write(
    `\nMaster Orchestrator bench — ${startedAt.toISOString()} — ${machine.cores} x ${machine.cpu}, ${machine.ramGiB} GiB, node ${machine.node}, ${machine.kernel}\n` +
      `command: npm run bench${args.length ? ` -- ${args.join(' ')}` : ''}   elapsed ${elapsedS.toFixed(0)} s   load average at start ${machine.loadAtStart}, at end ${loadAtEnd}\n` +
      `targets: ${passes} PASS, ${misses} MISS\n\n` +
      `${summaryTable(raw)}\n\n` +
      (baseline ? `${beforeAfterTable(raw, baseline)}\n\n` : '') +
      `${table}\n`,
  );
  const out = fileURLToPath(new URL('./last-run.json', import.meta.url));
  writeFileSync(out, `${JSON.stringify({ startedAt, elapsedS, loadAtEnd, quick, srcRoot: srcRoot ?? null, settings, machine, portkeyVersion: measurePortkey ? portkeyVersion : null, baseline: baseline ?? null, rows, raw }, null, 2)}\n`);
  log(`\nraw figures: ${out}${profile ? `\nCPU profiles: ${profileDir}` : ''}`);
}

main().catch(async (err: unknown) => {
  log(`bench failed: ${(err as Error)?.stack ?? String(err)}`);
  await Promise.all(children.map((c) => c.stop(2000).catch(() => undefined)));
  process.exitCode = 1;
});
