import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeProvider, type FakeProvider } from '../../scripts/fake-provider/server.js';
import { newRunRecord } from '../../src/orchestrator/workflow/executor.js';
import type { Workflow } from '../../src/orchestrator/workflow/types.js';
import type { OutboxMessage } from '../../src/store/outbox-types.js';
import { createSqliteStores } from '../../src/store/sqlite.js';
import { startHttpsReceiver, type HttpsReceiver } from '../helpers/https-receiver.js';
import { startServerProcess, waitFor, type ServerProcess, writeProcessConfig } from '../helpers/server-process.js';

const SECRET = `whsec_${randomBytes(32).toString('base64')}`;
const workflow: Workflow = { name: 'hooked', inputs: {}, linear_queue: [{ id: 'only', model: 'fast_ai', prompt: 'say hi', type: 'text', optional: false }], inline_queue: [], output: 'only' };

let dir: string;
let fake: FakeProvider;
let receiver: HttpsReceiver;
const servers: ServerProcess[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mo-outbox-'));
  fake = await startFakeProvider();
  receiver = await startHttpsReceiver();
});
afterAll(async () => {
  for (const s of servers) s.child.kill('SIGKILL');
  await fake?.close();
  await receiver?.close();
  rmSync(dir, { recursive: true, force: true });
});

const message = (runId: string, over: Partial<OutboxMessage> = {}): OutboxMessage => ({
  id: `msg_${runId}`,
  run_id: runId,
  event: 'run.completed',
  url: 'https://example.com/hook',
  shown_url: 'https://example.com/hook',
  payload: '{"type":"run.completed"}',
  created_ms: 1,
  ...over,
});

describe('a run’s final record and its webhooks commit in one transaction (SQLite)', () => {
  it('both are written together, and a failure writing the outbox leaves the record as it was', async () => {
    const stores = createSqliteStores(join(dir, 'tx.db'));
    try {
      const run = newRunRecord({ run_id: 'run-tx', workflow, variables: {}, session_id: null, started_at: new Date().toISOString(), config_version: 'v' });
      await stores.runs.create(run, { workflow, goal: 'g', request_id: 'r', accepted_at: 0, deadline: 1 });
      run.status = 'running';
      await stores.runs.save(run);

      // A crash planted inside the transaction: the outbox insert fails (payload NOT NULL) after the record was written.
      const finished = { ...run, status: 'completed' as const, output: 'done' };
      await expect(stores.runs.save(finished, [message('run-tx', { payload: null as unknown as string })])).rejects.toThrow();
      expect((await stores.runs.get('run-tx'))!.status).toBe('running');
      expect(await stores.outbox.nextDue()).toBeNull();

      await stores.runs.save(finished, [message('run-tx')]);
      expect((await stores.runs.get('run-tx'))!.status).toBe('completed');
      expect((await stores.outbox.claim(10, 10, 1_000)).map((m) => m.id)).toEqual(['msg_run-tx']);
    } finally {
      await stores.close();
    }
  });
});

describe('pending webhooks survive kill -9 and are delivered at the next start', () => {
  it('a run finished, its receiver failing, the server killed -9: the restarted server delivers the webhook', async () => {
    const file = writeProcessConfig(dir, fake.url, (raw) => {
      // Short timeouts so the lease of an attempt cut by the kill lapses soon (2 × timeout_ms + 5 s).
      raw.webhooks = { timeout_ms: 500, retry_base_ms: 20, retry_cap_ms: 100, poll_ms: 50 };
    });
    const certFile = join(dir, 'receiver.pem');
    writeFileSync(certFile, receiver.cert);
    const env = {
      STORE_DRIVER: 'sqlite',
      DATA_DIR: join(dir, 'data'),
      WEBHOOK_SECRET: SECRET,
      WEBHOOK_ALLOW_HOSTS: `127.0.0.1:${receiver.port}`,
      NODE_EXTRA_CA_CERTS: certFile,
    };
    receiver.answer = () => 503;

    const first = await startServerProcess(file, env);
    servers.push(first);
    const res = await fetch(`${first.url}/workflow`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ workflow, callback_url: `${receiver.url}/crash-hook` }),
    });
    const run = (await res.json()) as { run_id: string; status: string };
    expect(res.status).toBe(200);
    expect(run.status).toBe('completed');
    // The message is in the outbox: the receiver has refused it at least once.
    await waitFor(() => (receiver.received.some((r) => r.path === '/crash-hook') ? true : undefined), 'a first refused delivery');
    first.child.kill('SIGKILL');
    await first.exited;
    const refused = receiver.received.filter((r) => r.path === '/crash-hook').length;

    receiver.answer = () => 204;
    const second = await startServerProcess(file, env);
    servers.push(second);
    const attempts = await waitFor(async () => {
      const record = (await (await fetch(`${second.url}/runs/${run.run_id}`)).json()) as { webhooks: { status_code: number | null }[] };
      return record.webhooks.some((a) => a.status_code === 204) ? record.webhooks : undefined;
    }, 'the webhook delivered by the restarted server', 60_000);
    const hooks = receiver.received.filter((r) => r.path === '/crash-hook');
    expect(hooks.length).toBeGreaterThan(refused);
    expect(hooks.at(-1)!.status).toBe(204);
    // One message throughout: the same webhook-id before and after the crash.
    expect(new Set(hooks.map((r) => r.headers['webhook-id'])).size).toBe(1);
    expect(attempts.at(-1)).toMatchObject({ status_code: 204 });
    expect(attempts.filter((a) => a.status_code === 204)).toHaveLength(1);
    second.child.kill('SIGTERM');
    await second.exited;
  }, 180_000);
});
