import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeProvider, type FakeProvider } from '../../scripts/fake-provider/server.js';
import { shippedConfig } from '../helpers/app.js';
import { startServerProcess as startServer, waitFor, waitForOutput, writeProcessConfig } from '../helpers/server-process.js';

let fake: FakeProvider;
let dir: string;

beforeAll(async () => {
  fake = await startFakeProvider();
  dir = mkdtempSync(join(tmpdir(), 'mo-sigterm-'));
});
afterAll(async () => {
  await fake?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the real process (src/main.ts)', () => {
  it('lets a running workflow finish after SIGTERM, refuses new work, and exits 0', async () => {
    const file = writeProcessConfig(dir, fake.url, (raw) => {
      raw.server.shutdown_grace_ms = 10_000;
    });
    const { child, url, output, exited } = await startServer(file);

    // The fake answers nothing until released, so the workflow is still running when the
    // server has begun to shut down, however slow the machine (ordering, not a latency race).
    const release = fake.hold();
    const running = fetch(`${url}/workflow`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ workflow: { linear_queue: [{ id: 'slow', model: 'fast_ai', prompt: 'take your time' }] } }),
    });
    await waitFor(() => (fake.attempts.length > 0 ? true : undefined), 'the workflow to call the provider');
    child.kill('SIGTERM');
    // The process logs 'shutting down' in the turn it starts draining: from then on new work is refused.
    await waitForOutput(output, 'shutting down', 'the server to start shutting down');

    const late = await fetch(`${url}/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ message: 'hello' }),
    }).then(
      (res) => res.status,
      () => 'refused',
    );
    expect([503, 'refused']).toContain(late);

    release();
    const res = await running;
    expect(res.status).toBe(200);
    const run = (await res.json()) as { status: string; output: string };
    expect(run.status).toBe('completed');
    expect(run.output).toContain('take your time');
    expect(await exited).toBe(0);
  }, 30_000);

  it('refuses to start on a bad config, listing every problem, with a non-zero exit', async () => {
    const raw = shippedConfig();
    raw.models.medium_ai.fallbacks = ['nope'];
    raw.routing.tiers.L.model = 'ghost';
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify(raw));
    const err = await startServer(file).then(
      () => null,
      (e: Error) => e.message,
    );
    expect(err).toContain("models.medium_ai.fallbacks.0: unknown model 'nope'");
    expect(err).toContain("routing.tiers.L.model: unknown model 'ghost'");
    expect(err).toMatch(/exited early \(1\)/);
  }, 30_000);

  it('refuses to start on a port already in use, saying so', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as AddressInfo).port;
    try {
      const err = await startServer('orchestration_config.json', { PORT: String(port) }).then(
        () => null,
        (e: Error) => e.message,
      );
      expect(err).toContain(`port ${port} is already in use`);
      expect(err).toMatch(/exited early \(1\)/);
    } finally {
      blocker.close();
    }
  }, 30_000);

  it('refuses to start when the data directory cannot be written, naming it', async () => {
    const file = join(dir, 'not-a-directory');
    writeFileSync(file, 'x');
    const err = await startServer('orchestration_config.json', { STORE_DRIVER: 'sqlite', DATA_DIR: join(file, 'data') }).then(
      () => null,
      (e: Error) => e.message,
    );
    expect(err).toContain(`data directory ${join(file, 'data')} is not writable`);
    expect(err).toMatch(/exited early \(1\)/);
  }, 30_000);
});
