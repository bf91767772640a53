import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeProvider, type FakeProvider } from '../../scripts/fake-provider/server.js';
import { exportAtExitEnv, startOtlpReceiver, type OtlpReceiver } from '../helpers/otlp-receiver.js';
import { startServerProcess, writeProcessConfig } from '../helpers/server-process.js';

/** The real entry point with the standard OTEL_* variables: tracing starts, and the SIGTERM drain exports the last spans. */

let receiver: OtlpReceiver;
let fake: FakeProvider;
let dir: string;
let file: string;

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  fake = await startFakeProvider();
  dir = mkdtempSync(join(tmpdir(), 'mo-tracing-'));
  file = writeProcessConfig(dir, fake.url);
});
afterAll(async () => {
  await receiver?.close();
  await fake?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('tracing in the server process', () => {
  it('is turned on by OTEL_EXPORTER_OTLP_ENDPOINT, honours OTEL_SERVICE_NAME, and flushes the last spans on SIGTERM', async () => {
    const server = await startServerProcess(file, {
      // No batch is due before the process exits: only the shutdown's flush can deliver the spans.
      ...exportAtExitEnv(receiver),
      OTEL_EXPORTER_OTLP_HEADERS: 'x-collector-token=abc123',
      OTEL_SERVICE_NAME: 'mo-process',
    });
    try {
      expect(server.output.join('')).toMatch(/tracing on: spans exported over OTLP\/HTTP/);
      const res = await fetch(`${server.url}/chat`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ message: 'hello', category: 'M' }),
      });
      expect(res.status).toBe(200);
      const traceId = res.headers.get('x-trace-id')!;
      expect(traceId).toMatch(/^[\da-f]{32}$/);
      expect(receiver.spans).toEqual([]);
      server.child.kill('SIGTERM');
      expect(await server.exited).toBe(0);
      const ours = receiver.spans.filter((s) => s.traceId === traceId);
      expect(ours.map((s) => s.name)).toEqual(expect.arrayContaining(['POST /chat', 'categorize']));
      expect(ours.every((s) => s.service === 'mo-process')).toBe(true);
      expect(receiver.headers[0]!['x-collector-token']).toBe('abc123');
    } finally {
      server.child.kill('SIGKILL');
    }
  }, 60_000);
});
