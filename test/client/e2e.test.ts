import { PassThrough } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { loadCatalog } from '../../src/config/catalog.js';
import { loadConfig } from '../../src/config/load.js';
import { AUTOMATED_MODES, type ClientOptions } from '../../scripts/test-client/args.js';
import { runClient } from '../../scripts/test-client/client.js';
import { createApi } from '../../scripts/test-client/http.js';
import { runMode } from '../../scripts/test-client/modes/index.js';
import { bufferOutput } from '../../scripts/test-client/output.js';
import { runRepl } from '../../scripts/test-client/repl.js';

/**
 * The test client against the real server, built in-process with no provider
 * key (every answer from the simulator) and API keys switched on, over real
 * HTTP on an ephemeral port.
 */

const API_KEY = 'client-e2e-key';
let app: FastifyInstance;
let url: string;

beforeAll(async () => {
  const loaded = loadConfig({});
  const catalog = loadCatalog(process.cwd(), loaded.config);
  app = await buildApp({ loaded, catalog, logger: false, apiKeys: [API_KEY] });
  url = (await app.listen({ port: 0, host: '127.0.0.1' })).replace('localhost', '127.0.0.1');
});

afterAll(async () => {
  await app?.close();
});

const options = (overrides: Partial<ClientOptions> = {}): ClientOptions => ({ mode: 'all', url, apiKey: API_KEY, timeoutMs: 60_000, ...overrides });

describe('test client against the simulated server', () => {
  it('passes every automated mode of `all`, in order, and prints the summary table', async () => {
    const out = bufferOutput();
    const { ok, reports } = await runClient(options(), out);
    const failures = reports.filter((r) => !r.ok).map((r) => `${r.mode}: ${r.details}`);
    expect(failures, out.text()).toEqual([]);
    expect(ok).toBe(true);
    expect(reports.map((r) => r.mode)).toEqual([...AUTOMATED_MODES]);
    expect(out.text()).toContain(`Results against ${url}`);
    expect(out.text()).toContain(`all ${AUTOMATED_MODES.length} passed`);
  });

  it('reports the shipped catalogue: 13 models, 50 addons in six categories, 3 templates', async () => {
    const ctx = { api: createApi(url, API_KEY, 60_000), out: bufferOutput(), options: options() };
    expect((await runMode('models', ctx)).details).toMatch(/^13 models/);
    expect((await runMode('addons', ctx)).details).toMatch(/^50 addons in 6 categories/);
    expect((await runMode('templates', ctx)).details).toMatch(/^3 templates: .*research_report/);
  });

  it('says what the categorizer answered for the simple and complex requests', async () => {
    const out = bufferOutput();
    const ctx = { api: createApi(url, API_KEY, 60_000), out, options: options() };
    expect(await runMode('simple', ctx)).toMatchObject({ ok: true, details: expect.stringMatching(/^category M/) });
    expect(await runMode('complex', ctx)).toMatchObject({ ok: true, details: expect.stringMatching(/^category H/) });
    expect(out.text()).toMatch(/categorizer: M \(source /);
    expect(out.text()).toMatch(/categorizer: H \(source /);
  });

  it('fails a mode with a hint to pass --api-key when the server wants a key and none was given', async () => {
    const report = await runMode('models', { api: createApi(url, undefined, 60_000), out: bufferOutput(), options: options({ apiKey: undefined }) });
    expect(report.ok).toBe(false);
    expect(report.details).toContain('401 unauthorized');
    expect(report.details).toContain('pass --api-key or set API_KEY');
  });

  it('keeps the session across chat turns and handles the REPL commands', async () => {
    const input = new PassThrough();
    const out = bufferOutput();
    const done = runRepl({ api: createApi(url, API_KEY, 60_000), out, input });
    for (const line of [
      '/help',
      '/addon add no_such_addon',
      '/addon add seo_writer',
      'What is the capital of France?',
      'And what is the capital of Italy?',
      '/session',
      '/addons social_media',
      '/addon remove seo_writer',
      '/addons clear',
      '/models',
      '/stats',
      '/new',
      '/session',
      '/quit',
      'never sent',
    ]) {
      input.write(`${line}\n`);
    }
    const state = await done;
    const text = out.text();
    // Both turns went to one session, which /new then let go of.
    const sessions = [...text.matchAll(/\] session (\S+)/g)].map((m) => m[1]);
    expect(sessions, text).toHaveLength(2);
    expect(sessions[1]).toBe(sessions[0]);
    expect(state.sessionId).toBeNull();
    expect(text).toContain('/addon add <id>');
    expect(text).toContain("no addon 'no_such_addon'");
    expect(text).toContain('selected: seo_writer');
    expect(text.match(/\[category [LMH] · model \S+ · \$[\d.]+ · \d+(\.\d)? m?s/g)).toHaveLength(2);
    expect(text).toContain(`session ${sessions[0]}: 4 turns`);
    expect(text).toContain('removed seo_writer');
    expect(text).toContain('medium_ai');
    expect(text).toContain('model calls on');
    expect(text).toContain('no session yet');
    expect(text).not.toContain('never sent');
  });
});
