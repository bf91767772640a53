import 'dotenv/config';
import { pino } from 'pino';
import { buildApp, VERSION } from './app.js';
import { startTracing } from './telemetry/tracing.js';
import { loggerOptions } from './telemetry/logger.js';
import { catalogRoot, catalogWarnings, loadCatalog } from './config/catalog.js';
import { ConfigError, loadConfig } from './config/load.js';
import { fileURLToPath } from 'node:url';
import { openStores, sharedRedisUrl } from './store/open-stores.js';
import { connectRedis, redactUrl } from './store/redis.js';
import { startRetention } from './store/retention.js';
import { openKeyStore } from './store/open-key-store.js';
import { shutdownGracefully } from './server/shutdown.js';
import { watchConfigFile } from './control/config-file-watch.js';

/** The built console: dist/ui beside dist/src (npm start), or the repository's dist/ui under tsx (npm run dev). */
const consoleDir = (): string => fileURLToPath(new URL(import.meta.url.endsWith('.ts') ? '../dist/ui/' : '../ui/', import.meta.url));

/** Startup: config → content → store → app → listen. The only place that exits the process. */
async function main(): Promise<void> {
  const loaded = loadConfig(process.env);
  const root = catalogRoot(process.env, loaded.source);
  const catalog = loadCatalog(root, loaded.config);
  const logger = pino(loggerOptions(process.env.LOG_LEVEL ?? loaded.config.monitoring.log_level));
  for (const warning of catalogWarnings(root, catalog)) logger.warn(warning);
  logger.info({ addons: catalog.addons.size, templates: catalog.templates.size, dir: root }, 'catalogue loaded');
  // Before the app is built: its HTTP server makes a span per request only when tracing is on.
  const tracing = await startTracing({ env: process.env, config: loaded.config.telemetry.tracing, serviceVersion: VERSION, log: logger });
  if (tracing) logger.info({ endpoint: tracing.endpoint, protocol: tracing.protocol }, 'tracing on: spans exported over OTLP/HTTP');
  const redisUrl = sharedRedisUrl(loaded.config.storage, process.env);
  const redis = redisUrl ? await connectRedis(redisUrl, logger) : undefined;
  const stores = await openStores(loaded.config.storage, process.env, { log: logger, redis, webhookMaxAgeH: loaded.config.webhooks.max_age_h });
  const shared = redis && redisUrl ? { redis, bottleneckRedisUrl: redisUrl } : undefined;
  const keyStore = openKeyStore(stores, { redis, log: logger });
  // Webhooks and schedules keep their tables in the stores' one SQLite database (in Redis in shared mode).
  const app = await buildApp({ loaded, catalog, stores, logger, shared, keyStore, uiDir: consoleDir() });
  if (shared) app.log.info({ redis: redactUrl(redisUrl!) }, 'shared mode: sessions, runs and provider rate limits live in Redis');

  const simulated = Object.entries(loaded.providerModes).filter(([, mode]) => mode === 'simulated').map(([name]) => name);
  if (simulated.length === Object.keys(loaded.providerModes).length) {
    app.log.warn('no provider API key is set: every answer comes from the built-in simulator (simulated: true)');
  } else if (simulated.length > 0) {
    app.log.info({ simulated }, 'providers without a key answer through the simulator');
  }

  const retention = startRetention(stores, loaded.config.storage, app.ctx.clock, app.log);
  app.addHook('onClose', async () => retention.stop());

  // The config file is watched, and SIGHUP reloads it: a valid change becomes the active version.
  const fileWatch = watchConfigFile({ path: loaded.source, control: app.ctx.control, log: app.log });
  app.addHook('onClose', async () => fileWatch.stop());
  process.on('SIGHUP', () => {
    app.log.info('SIGHUP: reloading the config file');
    void fileWatch.reload();
  });

  const port = Number(process.env.PORT ?? 8000);
  const host = process.env.HOST ?? '0.0.0.0';
  try {
    await app.listen({ port, host });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    app.log.fatal({ code }, code === 'EADDRINUSE' ? `port ${port} is already in use` : 'cannot listen');
    await app.close();
    process.exit(1);
  }

  // A library that drops a promise (seen with Redis clients during an outage) must not take
  // down a server with workflows in flight: log it for the operator and keep serving.
  process.on('unhandledRejection', (reason) => app.log.error({ err: reason }, 'unhandled promise rejection'));

  let stopping = false;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      app.log.info({ signal }, 'shutting down');
      // The last spans (the drained requests' and runs') are exported before the process exits.
      void shutdownGracefully(app, loaded.config.server.shutdown_grace_ms)
        .then(() => tracing?.shutdown().catch((err: unknown) => app.log.warn({ err }, 'flushing the last spans failed')))
        .then(
          () => process.exit(0),
          (err: unknown) => {
            app.log.error({ err }, 'shutdown failed');
            process.exit(1);
          },
        );
    });
  }
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\n`);
  } else {
    process.stderr.write(`startup failed: ${(err as Error)?.message ?? String(err)}\n`);
  }
  process.exit(1);
});
