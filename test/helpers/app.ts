import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { buildApp, type AppDeps } from '../../src/app.js';
import { loadCatalog } from '../../src/config/catalog.js';
import { parseConfig, type LoadedConfig } from '../../src/config/load.js';

/** The shipped config as plain JSON, to mutate per test. */
export const shippedConfig = (): Record<string, any> => JSON.parse(readFileSync('orchestration_config.json', 'utf8'));

export interface TestAppOptions extends Partial<Omit<AppDeps, 'loaded' | 'catalog'>> {
  /** Mutates a copy of the shipped config before it is validated. */
  config?: (raw: Record<string, any>) => void;
  /** Environment for `${VAR}` resolution (default: none, so every provider is simulated). */
  env?: NodeJS.ProcessEnv;
}

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
  const { config: _c, env, ...deps } = opts;
  const app = await buildApp({ logger: false, env: env ?? {}, ...deps, loaded, catalog });
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
