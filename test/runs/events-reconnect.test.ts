import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeProvider, type FakeProvider } from '../../scripts/fake-provider/server.js';
import { startServerProcess, type ServerProcess, writeProcessConfig } from '../helpers/server-process.js';
import { readEvents } from '../helpers/sse-reader.js';

let fake: FakeProvider;
let dir: string;
let server: ServerProcess;

beforeAll(async () => {
  fake = await startFakeProvider({ latencyMs: 300 });
  dir = mkdtempSync(join(tmpdir(), 'mo-events-'));
  const file = writeProcessConfig(dir, fake.url);
  server = await startServerProcess(file, { STORE_DRIVER: 'sqlite', DATA_DIR: join(dir, 'data') });
}, 30_000);
afterAll(async () => {
  server?.child.kill('SIGKILL');
  await fake?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('GET /runs/{id}/events on a real server process', () => {
  it('gives a client that drops and reconnects with Last-Event-ID every event exactly once', async () => {
    const accepted = await fetch(`${server.url}/workflow`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        async: true,
        workflow: {
          linear_queue: [
            { id: 'a', model: 'fast_ai', prompt: 'one' },
            { id: 'b', model: 'fast_ai', prompt: 'two' },
          ],
          inline_queue: [
            { id: 'c', model: 'fast_ai', prompt: 'three {{a}} {{b}}' },
            { id: 'd', model: 'fast_ai', prompt: 'four {{c}}' },
          ],
        },
      }),
    });
    const { run_id } = (await accepted.json()) as { run_id: string };
    const url = `${server.url}/runs/${run_id}/events`;

    // Drop the connection after the third event, mid-run; then reconnect from the last id seen, twice.
    const first = await readEvents(url, { stopAfter: (_e, all) => all.length === 3 });
    const second = await readEvents(url, { lastEventId: first.at(-1)!.id!, stopAfter: (e) => e.event === 'task_started' });
    const third = await readEvents(url, { lastEventId: second.at(-1)!.id! });
    const joined = [...first, ...second, ...third];

    const whole = await readEvents(url);
    expect(joined.map((e) => e.id)).toEqual(whole.map((e) => e.id));
    expect(new Set(joined.map((e) => e.id)).size).toBe(joined.length);
    expect(joined.at(-1)).toMatchObject({ event: 'completed', data: { run_id, status: 'completed' } });
    expect(joined.filter((e) => e.event === 'task_completed')).toHaveLength(4);
  }, 60_000);
});
