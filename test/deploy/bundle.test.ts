import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleServer } from '../../scripts/build-server.js';
import { startFakeProvider, type FakeProvider } from '../../scripts/fake-provider/server.js';
import { exportAtExitEnv, startOtlpReceiver, type OtlpReceiver } from '../helpers/otlp-receiver.js';
import { startServerProcess, writeProcessConfig } from '../helpers/server-process.js';

/**
 * The production build (`npm run build`: scripts/build-server.ts bundles src/ with esbuild) is
 * what `npm start`, the Dockerfile and Railway run: the bundle itself serves, with the parts that
 * load on demand (the OpenTelemetry SDK, Swagger UI's files, the SQLite addon) still found,
 * the bundle is ASCII (V8 keeps it at one byte a character), and it leaves out the code of
 * packages the server never runs.
 */

// Inside node_modules, as dist/src sits beside it: the bundle's external packages resolve from there.
const out = resolve(`node_modules/.cache/mo-bundle-test-${process.pid}`);
let receiver: OtlpReceiver;
let fake: FakeProvider;
let dir: string;

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  fake = await startFakeProvider();
  dir = mkdtempSync(join(tmpdir(), 'mo-bundle-'));
});
afterAll(async () => {
  await receiver?.close();
  await fake?.close();
  rmSync(dir, { recursive: true, force: true });
  rmSync(out, { recursive: true, force: true });
});

/** One chat completion through the started bundle, checked to be a 200. */
async function chatOnce(url: string): Promise<Response> {
  const chat = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'medium_ai', messages: [{ role: 'user', content: 'hello' }] }),
  });
  expect(chat.status).toBe(200);
  return chat;
}

describe('the production bundle', () => {
  it('serves the API, the docs and the SQLite store, starts tracing on demand, and drains on SIGTERM', async () => {
    const { inputs } = await bundleServer('.', join(out, 'dist/src'));
    // Code the server never runs stays out of what every start parses (BENCHMARKS.md, "Issue 18, third pass (start-up)"):
    // undici's index (fetch, WebSocket, mocks), zod's locales but English, Fastify's Ajv and fast-json-stringify compilers.
    expect(inputs.filter((i) => /node_modules\/(undici\/index\.js|zod\/v4\/locales\/(?!en\.js)|ajv\/|@fastify\/ajv-compiler\/|fast-json-stringify\/index\.js|light-my-request\/)/.test(i))).toEqual([]);
    expect(inputs).toContain('node_modules/undici/lib/dispatcher/pool.js');
    // Strict mode, as the sources (ES modules) and the bundled CommonJS files that say so were written for.
    const bundled = readFileSync(join(out, 'dist/src/server.cjs'), 'utf8');
    expect(bundled.startsWith("'use strict';")).toBe(true);
    expect(bundled).toMatch(/"node_modules\/@fastify\/swagger-ui\/index\.js"\(\w+,\w+\)\{"use strict";var __filename=/);
    const file = writeProcessConfig(dir, fake.url, (raw) => {
      raw.storage.driver = 'sqlite';
    });
    const server = await startServerProcess(
      file,
      {
        STORE_DRIVER: '',
        DATA_DIR: join(dir, 'data'),
        NODE_COMPILE_CACHE: join(dir, 'first-cache'),
        ...exportAtExitEnv(receiver),
      },
      { args: [join(out, 'dist/src/main.js')] },
    );
    try {
      const chat = await chatOnce(server.url);
      expect(((await chat.json()) as { choices: { message: { content: string } }[] }).choices[0]!.message.content).toEqual(expect.any(String));
      const traceId = chat.headers.get('x-trace-id')!;
      expect(traceId).toMatch(/^[\da-f]{32}$/);

      const openapi = await fetch(`${server.url}/openapi.json`);
      expect(openapi.status).toBe(200);
      expect(Object.keys(((await openapi.json()) as { paths: object }).paths)).toContain('/v1/chat/completions');
      // Swagger UI's page and files come from @fastify/swagger-ui's own directory in node_modules.
      expect((await fetch(`${server.url}/docs`)).status).toBe(200);
      const docs = await fetch(`${server.url}/docs/static/swagger-ui.css`);
      expect(docs.status).toBe(200);
      expect((await docs.text()).length).toBeGreaterThan(1000);

      const health = await fetch(`${server.url}/health`);
      expect(((await health.json()) as { store: unknown }).store).toMatchObject({ status: 'ok', driver: 'sqlite' });
      for (const file of readdirSync(join(out, 'dist/src')).filter((f) => f.endsWith('.js'))) {
        expect(/[\u0080-\uffff]/.test(readFileSync(join(out, 'dist/src', file), 'utf8')), file).toBe(false);
      }

      server.child.kill('SIGTERM');
      expect(await server.exited).toBe(0);
      expect(receiver.spans.filter((s) => s.traceId === traceId).map((s) => s.name)).toContain('POST /v1/chat/completions');
    } finally {
      server.child.kill('SIGKILL');
    }
  }, 120_000);

  it('keeps V8\'s code cache: a start without one writes it at exit (and deletes stale ones), the next start uses it, a damaged one is replaced', async () => {
    // The bundle of the first test; its own data directory and cache directory.
    const cacheDir = join(dir, 'code-cache');
    const file = writeProcessConfig(dir, fake.url, (raw) => {
      raw.storage.driver = 'memory';
    });
    const start = async (): Promise<void> => {
      const server = await startServerProcess(file, { STORE_DRIVER: '', NODE_COMPILE_CACHE: cacheDir, NODE_DISABLE_COMPILE_CACHE: '' }, { args: [join(out, 'dist/src/main.js')] });
      try {
        await chatOnce(server.url);
        server.child.kill('SIGTERM');
        expect(await server.exited).toBe(0);
      } finally {
        server.child.kill('SIGKILL');
      }
    };
    const cacheFiles = (): string[] => readdirSync(cacheDir).filter((f) => f.endsWith('.v8cache'));
    // Another build's cache, not written for 8 days, and a file that is not a cache of this server.
    mkdirSync(cacheDir);
    const stale = join(cacheDir, 'master-orchestrator-0123456789abcdef.v8cache');
    writeFileSync(stale, 'old');
    const eightDaysAgo = new Date(Date.now() - 8 * 24 * 3600 * 1000);
    utimesSync(stale, eightDaysAgo, eightDaysAgo);
    writeFileSync(join(cacheDir, 'someone-else.v8cache'), 'theirs');
    utimesSync(join(cacheDir, 'someone-else.v8cache'), eightDaysAgo, eightDaysAgo);

    await start();
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(join(cacheDir, 'someone-else.v8cache'))).toBe(true);
    rmSync(join(cacheDir, 'someone-else.v8cache'));
    expect(cacheFiles()).toHaveLength(1);
    const cache = join(cacheDir, cacheFiles()[0]!);
    const written = readFileSync(cache);
    expect(written.length).toBeGreaterThan(100_000);

    // Accepted by V8: not written again.
    await start();
    expect(readFileSync(cache).equals(written)).toBe(true);

    // Damaged: V8 refuses it, the server starts all the same and writes a good one.
    writeFileSync(cache, 'not a code cache');
    await start();
    expect(readFileSync(cache).length).toBeGreaterThan(100_000);
    expect(cacheFiles()).toHaveLength(1);
  }, 120_000);
});
