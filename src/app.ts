import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Database } from 'better-sqlite3';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { systemClock, type Clock } from './clock.js';
import type { Catalog } from './config/catalog.js';
import type { LoadedConfig } from './config/load.js';
import type { AppContext } from './context.js';
import { configHash } from './control/canonical.js';
import { createConfigControl } from './control/config-control.js';
import { createConfigRuntime } from './control/config-runtime.js';
import { startConfigSync } from './control/config-sync.js';
import { createOps } from './control/ops.js';
import { EventBus } from './event-bus.js';
import { providerSecrets } from './secrets.js';
import type { AppEvents } from './events.js';
import { createGateway } from './gateway/gateway.js';
import { withResponseCache } from './cache/caching-gateway.js';
import { createMemoryCacheDriver } from './cache/memory-driver.js';
import { createRedisCacheDriver } from './cache/redis-driver.js';
import { adminCacheRoutes } from './server/routes/admin-cache.js';
import { driftRoutes } from './server/routes/drift.js';
import { createDriftDetector } from './telemetry/drift/detector.js';
import { createRequestTiers } from './telemetry/request-tiers.js';
import { registerDriftMetrics } from './telemetry/drift/drift-metrics.js';
import type { SharedLimits } from './gateway/limiter.js';
import type { Gateway } from './gateway/types.js';
import { createOrchestrator } from './orchestrator/orchestrator.js';
import { createTraffic } from './control/traffic.js';
import { createShadows } from './control/shadow.js';
import { createCanaries } from './control/canary.js';
import { canaryChanges } from './control/canary-changes.js';
import { createMemoryCanaryStore } from './store/canary-store.js';
import { createRedisCanaryStore } from './store/canary-redis.js';
import { createClientKeys } from './control/keys.js';
import { createMemoryKeyStore } from './store/key-memory.js';
import type { KeyStore } from './store/key-types.js';
import { createAdapters } from './providers/registry.js';
import type { ProviderAdapter } from './providers/types.js';
import { registerDocs } from './server/plugins/docs.js';
import { registerUi } from './server/plugins/ui.js';
import { frameworkErrorHandler, registerErrorHandling } from './server/plugins/errors.js';
import { clientErrorHandler, rememberRequestId } from './server/plugins/client-errors.js';
import { registerJsonBody } from './server/plugins/json-body.js';
import { adminSecrets, parseAdminKeys, registerAdminAuth } from './server/plugins/admin-auth.js';
import { parseApiKeys, registerSecurity } from './server/plugins/security.js';
import { createJwtAuth, resolveJwtConfig } from './server/plugins/jwt-auth.js';
import type { JwtAuthConfig } from './config/auth-schema.js';
import { adminAuditRoutes } from './server/routes/admin-audit.js';
import { adminConfigRoutes } from './server/routes/admin-config.js';
import { adminOpsRoutes } from './server/routes/admin-ops.js';
import { adminExperimentRoutes } from './server/routes/admin-experiments.js';
import { adminKeyRoutes } from './server/routes/admin-keys.js';
import { catalogueRoutes } from './server/routes/catalogue.js';
import { chatRoutes } from './server/routes/chat.js';
import { metaRoutes } from './server/routes/meta.js';
import { openaiRoutes } from './server/routes/openai.js';
import { sessionRoutes } from './server/routes/sessions.js';
import { telemetryRoutes } from './server/routes/telemetry.js';
import { registerLifecycle } from './server/shutdown.js';
import { runRoutes } from './server/routes/runs.js';
import { workflowRoutes } from './server/routes/workflows.js';
import { createRunEngineFor } from './runs/engine.js';
import { replicaId } from './runs/replica.js';
import { scheduleDbHandle } from './runs/schedules/schedule-db.js';
import { createWebhooks, webhookMessages } from './runs/webhooks/webhooks.js';
import { createRedisScheduleState, createSqliteScheduleState } from './runs/schedules/schedule-state.js';
import { startSchedules } from './runs/schedules/schedules.js';
import { scheduleRoutes } from './server/routes/schedules.js';
import { createMemoryStores } from './store/memory.js';
import type { Stores } from './store/types.js';
import { createMetrics } from './telemetry/metrics.js';
import { createStats } from './telemetry/stats.js';
import { createTimeseries } from './telemetry/timeseries.js';
import { loggerOptions, requestLogger } from './telemetry/logger.js';
import { registerGatewayLog } from './telemetry/gateway-log.js';
import { onRequestEnd } from './telemetry/request-end.js';
import { logRequestEnd } from './telemetry/request-log.js';
import { registerTraceHeader, tracedServerFactory } from './telemetry/http-span.js';

export const VERSION = '1.0.0';

/** Everything a server instance is built from; tests pass fakes for any of them. */
export interface AppDeps {
  loaded: LoadedConfig;
  catalog: Catalog;
  clock?: Clock;
  /** Default: in-memory stores (main.ts passes the configured durable ones). */
  stores?: Stores;
  /** Replace provider adapters by provider name. */
  adapters?: Record<string, ProviderAdapter>;
  gateway?: Gateway;
  /** A pino logger instance, or false for none. Default: pino per config. */
  logger?: FastifyBaseLogger | false;
  /** API keys callers must present; default from API_KEYS. */
  apiKeys?: string[];
  /** Admin keys as `name:key,name:key`; default ADMIN_API_KEYS. */
  adminApiKeys?: string;
  /** Environment that `${VAR}` references of new config versions resolve against; default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Client keys managed through /admin/keys; default: in memory. */
  keyStore?: KeyStore;
  /** JWT sign-in; default from `auth.jwt` and JWT_* env (resolveJwtConfig), false for none. */
  jwt?: JwtAuthConfig | false;
  /** Shared mode: provider rate limits held in Redis for every replica (and the webhook outbox, schedules). */
  shared?: SharedLimits;
  /** This process's name in run records; default from REPLICA_ID or host and pid. */
  replica?: string;
  /** Single-node home of the schedules' state; default the SQLite stores' database (orchestrator.db), else in memory. */
  scheduleDb?: Database;
  /** Trust roots for webhook receivers' certificates instead of Node's (tests' self-signed receivers). */
  webhookCa?: string | Buffer;
  /** The built console (dist/ui) to serve at /ui; default none (main.ts passes it). */
  uiDir?: string;
}

/**
 * The zod compilers as the app's compiler factories, given to Fastify at construction (what
 * `setValidatorCompiler`/`setSerializerCompiler` install, set before any route exists): Fastify
 * then never loads its default Ajv and fast-json-stringify compilers, which the zod ones replace
 * on every route anyway (BENCHMARKS.md, "Issue 18, third pass (start-up)"). Fastify's types
 * describe a factory in Ajv's terms; at run time it is any function returning the route compiler.
 */
const zodCompilers = {
  buildValidator: () => validatorCompiler,
  buildSerializer: () => serializerCompiler,
} as unknown as NonNullable<FastifyServerOptions['schemaController']>['compilersFactory'];

/** Builds the whole server without listening: tests inject or listen(0), main.ts listens. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { loaded, catalog } = deps;
  const config = loaded.config;
  const serverFactory = tracedServerFactory();
  const app = Fastify({
    ...(deps.logger === undefined
      ? { logger: loggerOptions(process.env.LOG_LEVEL ?? config.monitoring.log_level) }
      : deps.logger === false
        ? { logger: false }
        : { loggerInstance: deps.logger }),
    bodyLimit: config.server.body_limit_bytes,
    // Slow clients (issue 17): a request must arrive whole in time, or it gets 408 and the connection closes.
    requestTimeout: config.server.request_timeout_ms,
    connectionTimeout: config.server.connection_timeout_ms,
    keepAliveTimeout: config.server.keep_alive_timeout_ms,
    http: {
      headersTimeout: config.server.headers_timeout_ms,
      connectionsCheckingInterval: config.server.timeout_check_ms,
      maxHeaderSize: config.server.max_header_bytes,
    },
    clientErrorHandler,
    // Session ids may be up to 128 characters; Fastify's default cap is 100.
    routerOptions: { maxParamLength: 256 },
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return rememberRequestId(req, typeof given === 'string' && /^[\w.-]{1,100}$/.test(given) ? given : randomUUID());
    },
    requestIdHeader: false,
    // The documented log schema (telemetry/logger.ts): trace_id from a traceparent header.
    childLoggerFactory: (logger, bindings, options, rawReq) => requestLogger(logger, bindings, options, rawReq as IncomingMessage),
    frameworkErrors: frameworkErrorHandler,
    // One line per request comes from telemetry/request-log.ts instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'request_id' }),
    return503OnClosing: false,
    schemaController: { compilersFactory: zodCompilers },
    // Tracing on: each request runs inside its HTTP span (telemetry/http-span.ts).
    ...(serverFactory ? { serverFactory } : {}),
  }).withTypeProvider<ZodTypeProvider>();

  const clock = deps.clock ?? systemClock;
  const bus = new EventBus<AppEvents>();
  bus.on('listener_error', (err) => app.log.error({ err }, 'event listener failed'));
  registerGatewayLog(bus, app.log);
  const adapters = { ...createAdapters(loaded), ...deps.adapters };
  const apiKeys = deps.apiKeys ?? parseApiKeys(process.env.API_KEYS);
  const adminKeysText = deps.adminApiKeys ?? process.env.ADMIN_API_KEYS;
  // Secrets besides the provider keys; none may ever leave in an answer or an error.
  const clientSecrets = [...apiKeys, ...adminSecrets(adminKeysText), ...(config.webhooks.secret ? [config.webhooks.secret] : [])];
  // Shared mode keeps answers in Redis, so every replica hits what any replica stored. The cache
  // wraps the gateway, so it stores answers already scrubbed of secrets.
  const cacheDriver = deps.shared
    ? createRedisCacheDriver(deps.shared.redis, deps.shared.prefix)
    : createMemoryCacheDriver(clock, { maxEntries: config.cache.max_entries, maxBytes: config.cache.max_bytes });
  const gateway = withResponseCache(
    deps.gateway ?? createGateway({ config, providerModes: loaded.providerModes, adapters, bus, clock, shared: deps.shared, secrets: clientSecrets }),
    config,
    { driver: cacheDriver, clock, bus, log: app.log },
  );
  const stores = deps.stores ?? createMemoryStores();
  const stats = createStats({ bus, clock, config });
  const timeseries = createTimeseries({ bus, clock, models: Object.keys(config.models) });
  const tiers = createRequestTiers(bus);
  const metrics = createMetrics({
    bus,
    config,
    tiers,
    storeHealth: () => stores.health(),
    gatewayHealth: () => runtime.current().gateway.health(),
    stateSizes: () => ({ ...runtime.current().gateway.stateSizes?.(), ...stats.stateSizes(), ...drift.stateSizes(), request_tiers: tiers.size() }),
  });
  const runtime = createConfigRuntime({ hash: configHash(loaded.document), loaded, gateway, adapters, overrides: deps.adapters, bus });
  /** The config new work starts with (a request keeps the version it started with). */
  const activeConfig = () => runtime.current().config;
  const canaries = createCanaries({
    bus,
    clock,
    store: deps.shared ? createRedisCanaryStore(deps.shared.redis, { prefix: deps.shared.prefix, log: app.log }) : createMemoryCanaryStore(),
    config: activeConfig,
    actions: () => canaryActions,
    log: app.log,
  });
  const traffic = createTraffic({ bus, canaryShare: canaries.share });
  const shadows = createShadows({ clock, log: app.log });
  const keyStore = deps.keyStore ?? createMemoryKeyStore();
  const clientKeys = createClientKeys({ store: keyStore, clock, bus, config: activeConfig, log: app.log });
  const versioned = () => {
    const active = runtime.current();
    return { config: active.config, gateway: active.gateway, config_version: active.hash };
  };
  const base = { config, config_version: runtime.current().hash, catalog, gateway, stores, bus, clock, log: app.log, traffic, shadows };
  const replica = deps.replica ?? replicaId();
  const drift = createDriftDetector({ bus, clock, config: activeConfig, store: stores.drift, log: app.log, replica, tiers });
  registerDriftMetrics(metrics.registry, drift, bus);
  const runs = createRunEngineFor(
    { ...base, replica, outboxFor: (run) => webhookMessages(config.webhooks, run, clock.now()) },
    versioned,
    deps.shared ? { redisUrl: deps.shared.bottleneckRedisUrl, redis: deps.shared.redis, prefix: deps.shared.prefix ?? 'mo:' } : undefined,
  );
  const orchestrator = createOrchestrator({ ...base, runs }, versioned);
  const control = createConfigControl({ store: stores.control, runtime, catalog, env: deps.env ?? process.env, clock, log: app.log });
  const canaryActions = canaryChanges(control);
  const scheduleDb = scheduleDbHandle(deps.scheduleDb ?? stores.sqlite);
  // The outbox lives beside the run records: a run's final save writes its messages in the same transaction.
  const webhooks = createWebhooks({ config: config.webhooks, outbox: config.webhooks.secret ? stores.outbox : null, bus, clock, log: app.log, ca: deps.webhookCa });
  // A schedule naming an unknown template is a config error: nothing started so far may outlive it.
  const schedules = await startSchedules({
    schedules: config.schedules,
    source: loaded.source,
    catalog,
    engine: runs,
    runs: stores.runs,
    clock,
    log: app.log,
    state:
      config.schedules.length === 0
        ? null
        : deps.shared
          ? createRedisScheduleState(deps.shared.redis, deps.shared.prefix)
          : createSqliteScheduleState(scheduleDb.get()),
    fleet: deps.shared ? { redisUrl: deps.shared.bottleneckRedisUrl, prefix: `${deps.shared.prefix ?? 'mo:'}bull` } : undefined,
  }).catch(async (err: unknown) => {
    await webhooks.close();
    await gateway.close();
    scheduleDb.close();
    throw err;
  });

  // config, loaded, gateway and adapters follow the active config version.
  const ctx: AppContext = {
    get loaded() {
      return runtime.current().loaded;
    },
    get config() {
      return runtime.current().config;
    },
    catalog,
    clock,
    bus,
    get adapters() {
      return runtime.current().adapters;
    },
    get gateway() {
      return runtime.current().gateway;
    },
    runtime,
    control,
    ops: createOps({ control, store: stores.control, runtime, clock }),
    stores,
    stats,
    timeseries,
    metrics,
    orchestrator,
    runs,
    clientKeys,
    shadows,
    canaries,
    webhooks,
    schedules,
    cache: cacheDriver,
    drift,
    log: app.log,
    draining: false,
    startedAt: clock.now(),
    version: VERSION,
  };
  app.decorate('ctx', ctx);

  // Hooks here and below are callback-style where nothing is awaited: no promise per request.
  app.addHook('onRequest', (request, reply, done) => {
    void reply.header('x-request-id', request.id);
    done();
  });
  registerTraceHeader(app, () => runtime.current().hash);
  const adminKeys = parseAdminKeys(adminKeysText);
  const secrets = [...clientSecrets, ...providerSecrets(config)];
  registerErrorHandling(app, secrets);
  registerJsonBody(app);
  registerLifecycle(app);
  const jwtConfig = deps.jwt === undefined ? resolveJwtConfig(config.auth.jwt, process.env) : deps.jwt || undefined;
  await registerSecurity(app, { apiKeys, adminKeys, clientKeys, jwt: jwtConfig ? createJwtAuth(jwtConfig) : undefined });
  registerAdminAuth(app, { adminKeys, clientKeys: apiKeys });
  await registerDocs(app, VERSION);
  onRequestEnd(app, [stats.requestEnded, timeseries.requestEnded, metrics.requestEnded, logRequestEnd]);

  await app.register(metaRoutes);
  await app.register(catalogueRoutes);
  await app.register(openaiRoutes);
  await app.register(chatRoutes);
  await app.register(workflowRoutes);
  await app.register(runRoutes);
  await app.register(sessionRoutes);
  await app.register(telemetryRoutes);
  await app.register(driftRoutes);
  await app.register(scheduleRoutes);
  await app.register(adminConfigRoutes);
  await app.register(adminAuditRoutes);
  await app.register(adminOpsRoutes);
  await app.register(adminKeyRoutes);
  await app.register(adminExperimentRoutes);
  await app.register(adminCacheRoutes);
  if (deps.uiDir) await registerUi(app, deps.uiDir);

  await control.start();
  // Baselines are matched to the active config version (control.start may have restored a stored one).
  // Without its stored baselines drift detection learns new ones; the server still starts.
  await drift.start().catch((err: unknown) => app.log.warn({ err: { message: (err as Error)?.message } }, 'drift: stored baselines could not be read; learning new ones'));
  // Shared mode: every replica follows the version active in Redis.
  const sync = deps.shared
    ? startConfigSync({ redis: deps.shared.redis, control, log: app.log, prefix: deps.shared.prefix, replica, activeHash: () => runtime.current().hash, now: () => clock.now() })
    : undefined;
  ctx.configFleet = sync?.fleet;

  // Runs a previous process left queued or running resume once the server is ready.
  app.addHook('onReady', async () => {
    await runs.start();
  });
  app.addHook('onClose', async () => {
    await schedules.close();
    await sync?.stop();
    await orchestrator.shutdown();
    await webhooks.close();
    await shadows.idle();
    await canaries.idle();
    await runtime.current().gateway.close();
    drift.close();
    await drift.idle();
    await stores.close();
    await keyStore.close();
    scheduleDb.close();
  });
  return app;
}
