import { readFileSync } from 'node:fs';
import type { Writable } from 'node:stream';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import pino from 'pino';
import { buildApp, type AppDeps } from '../../src/app.js';
import { loadCatalog } from '../../src/config/catalog.js';
import { parseConfig, type LoadedConfig } from '../../src/config/load.js';
import { loggerOptions } from '../../src/telemetry/logger.js';
import { readingThrough, startedForTests } from './for-tests.js';

/** The shipped config as plain JSON, to mutate per test. */
export const shippedConfig = (): Record<string, any> => JSON.parse(readFileSync('orchestration_config.json', 'utf8'));

export interface TestAppOptions extends Partial<Omit<AppDeps, 'loaded' | 'catalog'>> {
  /** Mutates a copy of the shipped config before it is validated. */
  config?: (raw: Record<string, any>) => void;
  /** Environment for `${VAR}` resolution (default: none, so every provider is simulated). */
  env?: NodeJS.ProcessEnv;
  /** Adds test-only routes to the built app before it listens. */
  extend?: (app: FastifyInstance) => void;
}

/** The shipped logger (its options, redaction included) writing JSON lines to `stream`. */
export const streamLogger = (stream: Writable | { write(line: string): void }, level = 'info'): FastifyBaseLogger =>
  pino(loggerOptions(level, 'json'), stream as Writable) as unknown as FastifyBaseLogger;

export interface TestApp {
  app: FastifyInstance;
  url: string;
  loaded: LoadedConfig;
  close(): Promise<void>;
}

/** Builds the whole server (real plugins and routes) and listens on an ephemeral loopback port. */
export async function startTestApp(opts: TestAppOptions = {}): Promise<TestApp> {
  const raw = shippedConfig();
  opts.config?.(raw);
  const loaded = parseConfig(raw, opts.env ?? {});
  const catalog = loadCatalog(process.cwd(), loaded.config);
  const { config: _c, env, extend, ...deps } = opts;
  const app = await buildApp({ logger: false, env: env ?? {}, ...deps, loaded, catalog });
  extend?.(app);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  // Idle keep-alive sockets left by a hung-up client would hold close() open.
  const close = async () => {
    app.server.closeAllConnections();
    await app.close();
  };
  return { app, url: `http://127.0.0.1:${port}`, loaded, close };
}

/** A server shared by the tests of a file, and a JSON POST to it. */
export interface SharedTestApp {
  readonly url: string;
  readonly app: FastifyInstance;
  readonly loaded: LoadedConfig;
  /** POSTs `body` as JSON to `path`; the status, parsed body and headers. */
  post(path: string, body: unknown): Promise<{ status: number; body: any; headers: Headers }>;
}

/** `startTestApp(opts)` for every test of a file (or `describe`): started in beforeAll, closed in afterAll. */
export function testAppForTests(opts: TestAppOptions = {}): SharedTestApp {
  const get = startedForTests(() => startTestApp(opts), 'the server');
  return Object.assign(readingThrough(get, ['url', 'app', 'loaded']), {
    async post(path: string, body: unknown) {
      const res = await fetch(`${get().url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      return { status: res.status, body: (await res.json()) as any, headers: res.headers };
    },
  });
}
