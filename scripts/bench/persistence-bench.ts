import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { buildApp } from '../../src/app.js';
import { loadCatalog } from '../../src/config/catalog.js';
import { parseConfig } from '../../src/config/load.js';
import { createMemoryStores } from '../../src/store/memory.js';
import { createSqliteStores } from '../../src/store/sqlite.js';
import type { Stores } from '../../src/store/types.js';

/**
 * `npx tsx scripts/bench/persistence-bench.ts [runs]`: what durable runs add per
 * task. The same workflow (3 linear + 2 inline tasks, answered at once by the
 * built-in simulator, so model latency does not hide the cost) runs `runs` times
 * one after another on the memory store and on SQLite (the default; a file in a
 * temporary directory). Every store write is counted and timed. Prints JSON:
 * store writes per task, ms inside store writes per task, and wall ms per task
 * for each store, plus the difference SQLite − memory per task.
 */

const RUNS = Number(process.argv[2] ?? 300);
const TASKS = 5;
const workflow = {
  name: 'persistence_bench',
  inputs: {},
  linear_queue: ['a', 'b', 'c'].map((id) => ({ id, model: 'fast_ai', prompt: `bench ${id}`, type: 'text' as const, optional: false })),
  inline_queue: [
    { id: 'd', model: 'fast_ai', prompt: 'bench d {{a}} {{b}} {{c}}', type: 'text' as const, optional: false },
    { id: 'e', model: 'fast_ai', prompt: 'bench e {{d}}', type: 'text' as const, optional: false },
  ],
};

/** Wraps every write of the stores' run and event log, counting and timing it. */
function instrument(stores: Stores): { writes: number; ms: number } {
  const tally = { writes: 0, ms: 0 };
  const wrap = <T extends object>(target: T, name: keyof T) => {
    const original = (target[name] as (...a: unknown[]) => Promise<unknown>).bind(target);
    (target as Record<keyof T, unknown>)[name] = async (...args: unknown[]) => {
      const started = performance.now();
      try {
        return await original(...args);
      } finally {
        tally.writes += 1;
        tally.ms += performance.now() - started;
      }
    };
  };
  wrap(stores.runs, 'create');
  wrap(stores.runs, 'save');
  wrap(stores.events, 'append');
  // SQLite writes a turn's run writes in one batch (TurnWrites): each write in it counts, the batch's time once.
  const batch = stores.writeRuns?.bind(stores);
  if (batch) {
    stores.writeRuns = async (writes) => {
      const started = performance.now();
      try {
        return await batch(writes);
      } finally {
        tally.writes += writes.length;
        tally.ms += performance.now() - started;
      }
    };
  }
  return tally;
}

async function measure(label: string, stores: Stores) {
  const raw = JSON.parse(readFileSync('orchestration_config.json', 'utf8')) as Record<string, any>;
  const loaded = parseConfig(raw, {});
  const catalog = loadCatalog(process.cwd(), loaded.config);
  const tally = instrument(stores);
  const app = await buildApp({ loaded, catalog, stores, logger: false });
  await app.ready();
  const run = async (i: number) => {
    const submitted = await app.ctx.runs.submit({ workflow, variables: {}, request_id: `bench-${i}` });
    const result = await submitted.done;
    if (result.status !== 'completed') throw new Error(`run ended ${result.status}`);
  };
  for (let i = 0; i < 20; i++) await run(i);
  tally.writes = 0;
  tally.ms = 0;
  const started = performance.now();
  for (let i = 0; i < RUNS; i++) await run(i);
  const wallMs = performance.now() - started;
  await app.close();
  const tasks = RUNS * TASKS;
  return {
    store: label,
    writes_per_task: tally.writes / tasks,
    store_ms_per_task: tally.ms / tasks,
    wall_ms_per_task: wallMs / tasks,
  };
}

const dir = mkdtempSync(join(tmpdir(), 'mo-persist-bench-'));
try {
  const memory = await measure('memory', createMemoryStores());
  const sqlite = await measure('sqlite', createSqliteStores(join(dir, 'orchestrator.db')));
  const round = (n: number) => Math.round(n * 1000) / 1000;
  const out = {
    runs: RUNS,
    tasks_per_run: TASKS,
    results: [memory, sqlite].map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'number' ? round(v) : v]))),
    sqlite_minus_memory_wall_ms_per_task: round(sqlite.wall_ms_per_task - memory.wall_ms_per_task),
  };
  process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
