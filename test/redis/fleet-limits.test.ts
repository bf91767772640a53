import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeProvider, type FakeProvider } from '../../scripts/fake-provider/server.js';
import { startTestRedis, type TestRedis } from '../helpers/redis.js';
import { startServerProcess, waitFor, type ServerProcess, writeProcessConfig } from '../helpers/server-process.js';
import { userPrompts } from '../orchestrator/support.js';

const RUNS = 3000;
const LIMIT = 8;
let redis: TestRedis;
let fake: FakeProvider;
let dir: string;
let replicas: ServerProcess[] = [];

beforeAll(async () => {
  redis = await startTestRedis();
  fake = await startFakeProvider({ latencyMs: 20 });
  dir = mkdtempSync(join(tmpdir(), 'mo-fleet-'));
  const file = writeProcessConfig(
    dir,
    fake.url,
    (raw) => {
      raw.limits.max_concurrent_workflows = LIMIT;
      raw.limits.default_timeout_s = 600;
      raw.server.rate_limit.enabled = false;
      for (const provider of Object.values(raw.providers) as { rate_limits: Record<string, number> }[]) {
        provider.rate_limits.requests_per_minute = 1_000_000;
        delete provider.rate_limits.requests_per_day;
        delete provider.rate_limits.tokens_per_minute;
      }
    },
    30_000,
  );
  replicas = await Promise.all(['fleet-a', 'fleet-b'].map((name) => startServerProcess(file, { REDIS_URL: redis.url, REPLICA_ID: name })));
}, 60_000);
afterAll(async () => {
  for (const s of replicas) s.child.kill('SIGKILL');
  await fake?.close();
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs `fn` over `items` with at most `width` in flight. */
async function pool<T>(items: T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}

describe('3,000 async runs across two replicas', () => {
  it('all reach a final status exactly once, and the fleet never runs more than the limit at once', async () => {
    // What BullMQ counts as active is what the fleet is running: sample it from outside.
    const observer = new Queue('runs', { connection: { url: redis.url }, prefix: 'mo:bull' });
    let maxActive = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        maxActive = Math.max(maxActive, await observer.getActiveCount());
        await new Promise((r) => setTimeout(r, 10));
      }
    })();

    const ids: string[] = [];
    await pool(
      Array.from({ length: RUNS }, (_, i) => i),
      48,
      async (i) => {
        const res = await fetch(`${replicas[i % 2]!.url}/workflow`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            workflow: { name: 'fleet', inputs: { n: { required: true } }, linear_queue: [{ id: 'only', model: 'fast_ai', prompt: 'fleet run {{n}}' }] },
            variables: { n: String(i) },
            async: true,
          }),
        });
        expect(res.status).toBe(202);
        ids.push(((await res.json()) as { run_id: string }).run_id);
      },
    );

    const finals = await waitFor(
      async () => {
        const runs: { run_id: string; status: string; variables: Record<string, string>; tasks: { attempts: unknown[]; calls: number }[] }[] = [];
        let cursor: string | null = null;
        do {
          const page = (await (await fetch(`${replicas[0]!.url}/runs?workflow=fleet&limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)).json()) as {
            runs: typeof runs;
            next_cursor: string | null;
          };
          runs.push(...page.runs);
          cursor = page.next_cursor;
        } while (cursor);
        return runs.length === RUNS && runs.every((r) => r.status !== 'queued' && r.status !== 'running') ? runs : undefined;
      },
      'every run to end',
      240_000,
    );
    sampling = false;
    await sampler;
    await observer.close();

    expect(new Set(finals.map((r) => r.run_id))).toEqual(new Set(ids));
    // On a loaded machine a model call may fail for good (the run then ends failed: still one final status).
    expect(finals.filter((r) => r.status === 'completed').length).toBeGreaterThan(RUNS * 0.95);
    // Exactly once: one try per run, and the fake never saw a run's prompt more often than that one try
    // called a model (retries and fallbacks included) — a second try would call it again.
    expect(finals.filter((r) => r.tasks[0]!.attempts.length !== 1)).toEqual([]);
    const seen = new Map<string, number>();
    for (const prompt of userPrompts(fake)) if (prompt.startsWith('fleet run ')) seen.set(prompt, (seen.get(prompt) ?? 0) + 1);
    const overcalled = finals.filter((r) => (seen.get(`fleet run ${r.variables.n}`) ?? 0) > r.tasks[0]!.calls);
    expect(overcalled.map((r) => [r.variables.n, r.tasks[0]!.calls])).toEqual([]);
    const unseen = finals.filter((r) => r.status === 'completed' && !seen.has(`fleet run ${r.variables.n}`));
    expect(unseen).toEqual([]);
    expect(maxActive).toBeGreaterThan(0);
    expect(maxActive).toBeLessThanOrEqual(LIMIT);
  }, 300_000);
});
