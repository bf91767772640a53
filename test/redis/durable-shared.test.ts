import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeProvider, type FakeProvider } from '../../scripts/fake-provider/server.js';
import { startTestRedis, type TestRedis } from '../helpers/redis.js';
import { startServerProcess, waitFor, waitForOutput, type ServerProcess, writeProcessConfig } from '../helpers/server-process.js';
import { promptsStartingWith } from '../orchestrator/support.js';

const STALL_S = 6;
let redis: TestRedis;
let fake: FakeProvider;
let dir: string;
let file: string;
const replicas = new Map<string, ServerProcess>();

/** Starts replica `name` (its REPLICA_ID) on the test's Redis. */
async function startReplica(name: string): Promise<ServerProcess> {
  const server = await startServerProcess(file, { REDIS_URL: redis.url, REPLICA_ID: name });
  replicas.set(name, server);
  return server;
}

beforeAll(async () => {
  redis = await startTestRedis();
  // No latency: where a test needs a call in flight, it holds the fake (holdAtDraft), not a timer.
  fake = await startFakeProvider();
  dir = mkdtempSync(join(tmpdir(), 'mo-shared-runs-'));
  file = writeProcessConfig(dir, fake.url, (raw) => {
    raw.limits.run_stall_s = STALL_S;
    raw.server.shutdown_grace_ms = 10_000;
  });
  await Promise.all([startReplica('replica-a'), startReplica('replica-b')]);
}, 60_000);
afterAll(async () => {
  for (const s of replicas.values()) s.child.kill('SIGKILL');
  await fake?.close();
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Calls whose prompt (the last user message) starts with `text`. */
const seen = (text: string) => promptsStartingWith(fake, text);

/** 3 linear tasks and 2 inline ones; `tag` keeps each test's prompts apart. */
const workflow = (tag: string) => ({
  name: `shared_${tag}`,
  linear_queue: ['alpha', 'beta', 'gamma'].map((id) => ({ id, model: 'fast_ai', prompt: `${tag} linear ${id}` })),
  inline_queue: [
    { id: 'draft', model: 'fast_ai', prompt: `${tag} inline draft {{alpha}} {{beta}} {{gamma}}`, output: 'draft' },
    { id: 'polish', model: 'fast_ai', prompt: `${tag} inline polish {{draft}}`, output: 'final' },
  ],
  output: 'final',
});

async function submit(via: ServerProcess, tag: string): Promise<string> {
  const res = await fetch(`${via.url}/workflow`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ workflow: workflow(tag), async: true }),
  });
  expect(res.status).toBe(202);
  return ((await res.json()) as { run_id: string }).run_id;
}

const record = async (via: ServerProcess, id: string): Promise<Record<string, any>> => (await fetch(`${via.url}/runs/${id}`)).json() as Promise<Record<string, any>>;

/** The replica running task `task` of run `id` (as `via` reports it), and the other replica. */
async function holderOf(via: ServerProcess, id: string, task: number) {
  const holderName = (await record(via, id)).tasks[task].replica as string;
  const otherName = holderName === 'replica-a' ? 'replica-b' : 'replica-a';
  return { holderName, holder: replicas.get(holderName)!, otherName, other: replicas.get(otherName)! };
}

/**
 * Holds every call at the fake until the run of `tag` is in its first inline task (draft): its three
 * linear calls are let through, and the draft's call is held, in flight on its replica, until the
 * returned function lets everything through. A signal sent meanwhile finds the draft running however
 * slow the machine (with a 1 s latency at the fake instead, a replica slow to be signalled could find
 * the draft done and the polish running). The fake holds a call after its latency, so it has none here.
 */
async function holdAtDraft(tag: string): Promise<() => void> {
  const linear = fake.hold();
  await waitFor(() => (['alpha', 'beta', 'gamma'].every((t) => seen(`${tag} linear ${t}`) > 0) ? true : undefined), 'the linear tasks to call the provider');
  const rest = fake.hold();
  linear();
  await waitFor(() => (seen(`${tag} inline draft`) > 0 ? true : undefined), 'the first inline task to start');
  return rest;
}

describe('durable runs shared by two replicas on one Redis (BullMQ)', () => {
  it('kill -9 of the replica running a run: the other resumes it within run_stall_s + task time, repeating no finished task', async () => {
    const atDraft = holdAtDraft('kill');
    const id = await submit(replicas.get('replica-a')!, 'kill');
    const release = await atDraft;
    const { holderName, holder, otherName, other } = await holderOf(replicas.get('replica-a')!, id, 3);
    holder.child.kill('SIGKILL');
    const killedAt = Date.now();
    await holder.exited;
    release();

    const run = await waitFor(async () => {
      const r = await record(other, id);
      return r.finished_at ? r : undefined;
    }, 'the run to finish on the other replica', 60_000);
    // Lock expiry and the stalled check (run_stall_s), then the two inline tasks, with room for a loaded machine.
    expect(Date.now() - killedAt).toBeLessThan((STALL_S + 2 + 4) * 1000);
    expect(run.status).toBe('completed');
    expect(run.resumed).toBe(1);
    for (const t of ['alpha', 'beta', 'gamma']) expect(seen(`kill linear ${t}`)).toBe(1);
    expect(seen('kill inline polish')).toBe(1);
    const draft = run.tasks[3];
    expect(draft.attempts.map((a: { replica: string; status: string }) => [a.replica, a.status])).toEqual([
      [holderName, 'interrupted'],
      [otherName, 'completed'],
    ]);
    expect(run.tasks[4].replica).toBe(otherName);
    await startReplica(holderName);
  }, 120_000);

  it('SIGTERM of the replica running a run: it finishes its task, hands the run back, and the other completes it; nothing is cancelled', async () => {
    const atDraft = holdAtDraft('term');
    const id = await submit(replicas.get('replica-b')!, 'term');
    const release = await atDraft;
    const { holderName, holder, otherName, other } = await holderOf(replicas.get('replica-b')!, id, 3);
    holder.child.kill('SIGTERM');
    // It logs 'shutting down' as it starts draining; only then does the draft's call answer.
    await waitForOutput(holder.output, 'shutting down', 'the replica to start shutting down');
    release();
    expect(await holder.exited).toBe(0);

    const run = await waitFor(async () => {
      const r = await record(other, id);
      return r.finished_at ? r : undefined;
    }, 'the handed-back run to finish', 60_000);
    expect(run.status).toBe('completed');
    expect(run.cancelled_by).toBeNull();
    for (const t of ['alpha', 'beta', 'gamma', 'draft', 'polish']) {
      const task = run.tasks.find((x: { id: string }) => x.id === t);
      expect(task.attempts.map((a: { status: string }) => a.status)).toEqual(['completed']);
    }
    // The draft in flight at SIGTERM finished where it was; the rest ran on the other replica.
    expect(run.tasks[3].replica).toBe(holderName);
    expect(run.tasks[4].replica).toBe(otherName);
    expect(seen('term inline draft')).toBe(1);
    expect(seen('term inline polish')).toBe(1);
    await startReplica(holderName);
  }, 120_000);

  it('cancels a run from the replica that does not hold it', async () => {
    // The linear calls are held: the run is still in its first tasks when the cancel comes, however slow the machine.
    const release = fake.hold();
    try {
      const id = await submit(replicas.get('replica-a')!, 'cancel');
      await waitFor(() => (seen('cancel linear alpha') > 0 ? true : undefined), 'the run to start');
      const { other } = await holderOf(replicas.get('replica-a')!, id, 0);
      const res = await fetch(`${other.url}/runs/${id}/cancel`, { method: 'POST' });
      expect(res.status).toBe(200);
      const run = (await res.json()) as Record<string, any>;
      expect(run).toMatchObject({ status: 'cancelled', cancelled_by: 'api' });
      expect(seen('cancel inline draft')).toBe(0);
    } finally {
      release();
    }
  }, 60_000);
});
