import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findingsOf, responseValidators, type Finding } from './checks.js';
import { SECRETS, startFuzzServer, type FuzzServer } from './fuzz-server.js';
import { operationsOf, requestPlans, type Operation, type RequestPlan } from './requests.js';

/**
 * A property-based fuzz of every operation of the OpenAPI document (issue 17), through real HTTP
 * against the real app (buildApp) over the fake provider, with fake secrets of every kind in its
 * environment. Each request is generated from the document: valid bodies from its schemas (mixed
 * with its examples and with realistic names), mutated ones, odd encodings, wrong content types,
 * huge and deep values, fuzzed path and query parameters and credentials. Properties: no 5xx but the
 * upstream ones (502/503/504) the operation documents; a documented status; a body (or each
 * event of a stream) matching the documented schema for it; x-request-id; no secret in any
 * answer or log line; heap flat across the run.
 *
 * Small in `npm test` (FUZZ_RUNS per operation, default 5) with a fixed seed, so the suite is
 * deterministic; `npm run fuzz` runs it large with a new random seed each time (FUZZ_RANDOM=1).
 * FUZZ_SEED replays a run (the seed is printed); FUZZ_OP="POST /chat" limits it to one operation;
 * FUZZ_COLLECT=1 reports every finding instead of stopping at the first.
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 5);
const FIXED_SEED = 20_261_130;
const SEED =
  process.env.FUZZ_SEED !== undefined
    ? Number(process.env.FUZZ_SEED)
    : process.env.FUZZ_RANDOM === '1'
      ? Math.floor(Math.random() * 2 ** 31)
      : FIXED_SEED;
const ONLY = process.env.FUZZ_OP;
const COLLECT = process.env.FUZZ_COLLECT === '1';

/** Every operation of the document, listed so that a new route is fuzzed or fails here. */
const EXPECTED_OPERATIONS = [
  'GET /',
  'GET /health',
  'GET /models',
  'GET /addons',
  'GET /templates',
  'GET /v1/models',
  'GET /v1/models/{*}',
  'POST /v1/chat/completions',
  'POST /chat',
  'POST /workflow',
  'POST /template/{name}',
  'GET /runs',
  'GET /runs/{run_id}',
  'POST /runs/{run_id}/cancel',
  'GET /runs/{run_id}/events',
  'GET /sessions',
  'GET /session/{id}',
  'DELETE /session/{id}',
  'GET /stats',
  'GET /stats/timeseries',
  'GET /drift',
  'GET /metrics',
  'GET /schedules',
  'GET /admin/config',
  'POST /admin/config',
  'GET /admin/config/versions',
  'GET /admin/config/versions/{hash}',
  'GET /admin/config/diff',
  'POST /admin/config/rollback',
  'GET /admin/audit',
  'POST /admin/ops',
  'POST /admin/keys',
  'GET /admin/keys',
  'GET /admin/keys/{id}',
  'PATCH /admin/keys/{id}',
  'DELETE /admin/keys/{id}',
  'DELETE /admin/cache',
  'GET /admin/experiments',
  'GET /admin/experiments/{id}',
];

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const heapAfterGc = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};

let server: FuzzServer;
let operations: Operation[] = [];
const validator = responseValidators();
const collected: Finding[] = [];
const heap: number[] = [];
let sent = 0;
/** Statuses seen per operation, printed at the end: the fuzz is only as good as what it reached. */
const statuses = new Map<string, Map<number, number>>();

beforeAll(async () => {
  process.stdout.write(`[fuzz] seed=${SEED} runs per operation=${RUNS} (replay: FUZZ_SEED=${SEED} FUZZ_RUNS=${RUNS})\n`);
  server = await startFuzzServer();
  const doc = (await (await fetch(`${server.app.url}/openapi.json`)).json()) as { paths: Record<string, Record<string, any>> };
  operations = operationsOf(doc).filter((op) => !ONLY || op.id === ONLY);
  heap.push(heapAfterGc());
}, 60_000);

afterAll(async () => {
  await server?.close();
  const reached = [...statuses].map(([id, seen]) => `${id} ${[...seen].sort(([a], [b]) => a - b).map(([s, n]) => `${s}×${n}`).join(' ')}`);
  process.stdout.write(`[fuzz] statuses reached:\n  ${reached.join('\n  ')}\n`);
  if (COLLECT) {
    const byKey = new Map<string, Finding & { count: number }>();
    for (const f of collected) {
      const key = `${f.op} ${f.kind} ${f.message.slice(0, 60)}`;
      byKey.set(key, { ...f, count: (byKey.get(key)?.count ?? 0) + 1 });
    }
    process.stdout.write(`[fuzz] ${collected.length} findings:\n${[...byKey.values()].map((f) => `  ${f.count}× ${f.op} ${f.kind}: ${f.message}`).join('\n')}\n`);
  }
});

describe('fuzz of every operation of the OpenAPI document', () => {
  it('covers every operation the document lists', () => {
    if (!ONLY) expect(operations.map((o) => o.id).sort()).toEqual([...EXPECTED_OPERATIONS].sort());
  });

  // One property per operation, all from the same seed, so a failure names its operation.
  const ids = ONLY ? [ONLY] : EXPECTED_OPERATIONS;
  for (const id of ids) {
    it(`${id}: no 5xx, documented statuses and bodies, no secret`, { timeout: 600_000 }, async () => {
      const op = operations.find((o) => o.id === id);
      expect(op, `${id} is no longer in the document: update EXPECTED_OPERATIONS`).toBeDefined();
      await fc.assert(
        fc.asyncProperty(requestPlans(op!, server.target), async (plan) => {
          const observed = await server.send(plan);
          sent++;
          const seen = statuses.get(op!.id) ?? new Map<number, number>();
          seen.set(observed.status, (seen.get(observed.status) ?? 0) + 1);
          statuses.set(op!.id, seen);
          const findings = findingsOf(plan, observed, validator, Object.values(SECRETS));
          if (COLLECT) {
            collected.push(...findings);
            return;
          }
          expect(findings, describePlan(plan)).toEqual([]);
        }),
        { seed: SEED, numRuns: RUNS, endOnFailure: false, verbose: 1 },
      );
      // The baseline once a few operations have warmed up the caches and pools.
      if (heap.length === 1 && sent >= RUNS * 5) heap.push(heapAfterGc());
    });
  }

  it('logged no secret and kept the heap flat across the run', () => {
    expect(server.logLeaks).toEqual([]);
    const end = heapAfterGc();
    const start = heap[1] ?? heap[0]!;
    process.stdout.write(`[fuzz] ${sent} requests; heap after gc ${(start / 1e6).toFixed(1)} MB → ${(end / 1e6).toFixed(1)} MB\n`);
    // Generous: caches and pools fill up to their bounds; what must not happen is growth with the request count.
    expect(end).toBeLessThan(start * 1.5 + 40e6);
  });
});

function describePlan(plan: RequestPlan): string {
  const { op, body, ...rest } = plan;
  const text = typeof body === 'string' ? Buffer.from(body, 'base64').toString('utf8').slice(0, 400) : undefined;
  return `${op.id} ${JSON.stringify(rest)} body=${text}`;
}
