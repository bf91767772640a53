import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { BENCH_ENV, benchConfig } from './bench-config.js';
import { BUILD_DIR, bundledMain, serverNodeFlags } from './build-dirs.js';
import { median } from './numbers.js';
import { freePort, startPeer, stopPeer, type ReadyProbe, type StartedPeer } from './peer-process.js';
import { ms, mib, type Row } from './report.js';

/**
 * Section 10: start-up. The server is started the way production starts it (`node <flags>
 * dist/src/main.js`: the bench's production bundle of src/, build.ts) on the bench config with the
 * shipped storage (SQLite in a fresh temporary DATA_DIR), and timed from spawn to its first
 * 200 answer to a real `POST /v1/chat/completions` through the fake provider; its RSS is
 * read right then. A peer is timed the same way. Each is started `repeats` times; the
 * medians are reported.
 *
 * The server's loader (src/start.ts) keeps V8's code cache in NODE_COMPILE_CACHE: the first
 * start after a build (a new container's first start) compiles everything and writes it, later
 * starts read it. Both are timed, each in its own cache folder: `first` with an empty one per
 * start, `cached` with one written by an unmeasured start before. The target is judged on the
 * first start, the one every deploy pays.
 */

/** Each cold start's wall time to the first 200, RSS then, and the CPU it had used. */
export interface Starts {
  startMs: number[];
  readyRssMiB: number[];
  readyCpuMs: number[];
}

export interface StartupFigures {
  /** First starts after a build: an empty code-cache folder each time. */
  server: Starts;
  /** Later starts: the code cache written by an earlier start of the same build. */
  serverCached?: Starts;
  /** The `--baseline=<ref>` server's later starts (a tree without a code cache ignores the folder). */
  baselineCached?: Starts;
  portkey: Starts | { skipped: string } | null;
  /** The `--baseline=<ref>` server, started the same way in the same run. */
  baseline?: Starts;
}

/** The same chat completion the load runs send, as each side names the model. */
export const readyProbe = (model: string, headers?: Record<string, string>): ReadyProbe => ({
  path: '/v1/chat/completions',
  ...(headers ? { headers } : {}),
  body: { model, messages: [{ role: 'user', content: 'ready?' }] },
});

/** How `startServerProcess` starts the server besides the production defaults. */
export interface ServerProcessOptions {
  /** The NODE_COMPILE_CACHE folder to read (and write); default an empty one, removed with the rest. */
  codeCacheDir?: string;
  /** 'sqlite' (default): what `npm start` opens; 'memory': the load sections' store (bench-config). */
  store?: 'sqlite' | 'memory';
  /** Node flags after production's (`--cpu-prof` for --profile). */
  extraNodeFlags?: string[];
}

/**
 * Starts the product's server once (the production bundle's main.js, with production's node
 * flags, NODE_ENV=production) and returns once it answered its first 200 (the peer carries that
 * start's time, RSS and CPU; timeStarts collects them). `cleanup` removes its temporary folder.
 * Section 10 times it; run.ts's load sections start the server through it too (`store: 'memory'`).
 */
export async function startServerProcess(fakeUrl: string, root = BUILD_DIR, opts: ServerProcessOptions = {}): Promise<{ peer: StartedPeer; cleanup: () => void }> {
  const dir = mkdtempSync(join(tmpdir(), 'mo-bench-start-'));
  const config = benchConfig({ fakeUrl });
  // What `npm start` opens: the shipped SQLite store (bench-config picks the memory store for the load sections).
  if (opts.store !== 'memory') config.storage.driver = 'sqlite';
  const configFile = join(dir, 'orchestration_config.json');
  writeFileSync(configFile, JSON.stringify(config));
  const port = await freePort();
  const peer = await startPeer({
    command: process.execPath,
    args: [...serverNodeFlags(root), ...(opts.extraNodeFlags ?? []), bundledMain(root)],
    env: {
      ...BENCH_ENV,
      ORCHESTRATION_CONFIG: configFile,
      CATALOG_DIR: resolve('.'),
      DATA_DIR: join(dir, 'data'),
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
      NODE_ENV: 'production',
      NODE_COMPILE_CACHE: opts.codeCacheDir ?? join(dir, 'code-cache'),
    },
    port,
    probe: readyProbe('medium_ai'),
  });
  return { peer, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** `repeats` cold starts of `start`, stopped after each; the start times and ready RSS of each. */
export async function timeStarts(start: () => Promise<{ peer: StartedPeer; cleanup?: () => void }>, repeats: number): Promise<Starts> {
  const startMs: number[] = [];
  const readyRssMiB: number[] = [];
  const readyCpuMs: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const { peer, cleanup } = await start();
    startMs.push(peer.startMs);
    readyCpuMs.push(peer.readyCpuMs);
    if (peer.readyRssMiB !== null) readyRssMiB.push(peer.readyRssMiB);
    await stopPeer(peer.process);
    cleanup?.();
  }
  return { startMs, readyRssMiB, readyCpuMs };
}

/**
 * The first starts (no code cache) of each build in `roots` and, in a folder per build that one
 * unmeasured start filled first, its later starts: `repeats` of each, per build. With two builds
 * (`--baseline`) their starts alternate, and the order flips every round, so neither build is
 * always the one started first, right after the baseline's build (see BENCHMARKS.md, "How it measures").
 */
export async function timeServerStarts(fakeUrl: string, repeats: number, roots: string[]): Promise<Array<{ first: Starts; cached: Starts }>> {
  const empty = (): Starts => ({ startMs: [], readyRssMiB: [], readyCpuMs: [] });
  const figures = roots.map(() => ({ first: empty(), cached: empty() }));
  const cacheDirs = roots.map(() => mkdtempSync(join(tmpdir(), 'mo-bench-code-cache-')));
  const add = (to: Starts, one: Starts) => {
    to.startMs.push(...one.startMs);
    to.readyRssMiB.push(...one.readyRssMiB);
    to.readyCpuMs.push(...one.readyCpuMs);
  };
  const inTurn = (round: number) => (round % 2 === 0 ? roots.map((_, at) => at) : roots.map((_, at) => roots.length - 1 - at));
  try {
    for (let round = 0; round < repeats; round++) {
      for (const at of inTurn(round)) add(figures[at]!.first, await timeStarts(() => startServerProcess(fakeUrl, roots[at]), 1));
    }
    // The loader writes the cache when the process exits (stopPeer's SIGTERM): this start fills it.
    for (const at of inTurn(0)) await timeStarts(() => startServerProcess(fakeUrl, roots[at], { codeCacheDir: cacheDirs[at] }), 1);
    for (let round = 0; round < repeats; round++) {
      for (const at of inTurn(round + 1)) add(figures[at]!.cached, await timeStarts(() => startServerProcess(fakeUrl, roots[at], { codeCacheDir: cacheDirs[at] }), 1));
    }
    return figures;
  } finally {
    for (const dir of cacheDirs) rmSync(dir, { recursive: true, force: true });
  }
}

/** The medians of `s`: start to first 200, RSS at ready, CPU used, joined by `sep` (' | ' in the table, ' / ' in the summary). */
export const startsMedians = (s: Starts, sep: string): string =>
  [ms(median(s.startMs), 0), mib(median(s.readyRssMiB)), ms(median(s.readyCpuMs), 0)].join(sep);

/** Table rows of section 10, with the target (start to first 200 <= 400 ms). */
export function startupRows(f: StartupFigures): Row[] {
  const s = '10 start-up (node, bundled)';
  const startMs = median(f.server.startMs);
  const rows: Row[] = [
    {
      section: s,
      figure: `server, first start after a build (no code cache): start to first 200 chat | RSS at ready | CPU used (median of ${f.server.startMs.length})`,
      value: startsMedians(f.server, ' | '),
      target: '<= 400 ms',
      pass: startMs <= 400,
    },
  ];
  const c = f.serverCached;
  if (c) {
    rows.push({
      section: s,
      figure: `server, later starts (code cache of an earlier start): start to first 200 chat | RSS at ready | CPU used (median of ${c.startMs.length})`,
      value: startsMedians(c, ' | '),
    });
  }
  const p = f.portkey;
  if (p && 'skipped' in p) rows.push({ section: s, figure: 'Portkey', value: `skipped: ${p.skipped}` });
  else if (p) {
    rows.push({
      section: s,
      figure: `Portkey: start to first 200 chat | RSS at ready | CPU used (median of ${p.startMs.length})`,
      value: startsMedians(p, ' | '),
    });
  }
  return rows;
}
