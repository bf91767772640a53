import type { Writable } from 'node:stream';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Clock } from '../../src/clock.js';
import type { Config } from '../../src/config/schema.js';
import type { AppContext } from '../../src/context.js';
import { EventBus } from '../../src/event-bus.js';
import type { AppEvents } from '../../src/events.js';
import { registerDocs } from '../../src/server/plugins/docs.js';
import { registerErrorHandling } from '../../src/server/plugins/errors.js';
import { sessionRoutes } from '../../src/server/routes/sessions.js';
import { telemetryRoutes } from '../../src/server/routes/telemetry.js';
import { createMemoryStores } from '../../src/store/memory.js';
import type { Stores } from '../../src/store/types.js';
import { loggerOptions } from '../../src/telemetry/logger.js';
import { createMetrics } from '../../src/telemetry/metrics.js';
import { onRequestEnd } from '../../src/telemetry/request-end.js';
import { annotateRequest, logRequestEnd } from '../../src/telemetry/request-log.js';
import { createStats } from '../../src/telemetry/stats.js';
import { testConfig } from './config.js';

export interface MiniApp {
  app: FastifyInstance;
  url: string;
  ctx: AppContext;
  close(): Promise<void>;
}

/**
 * The state-and-accounting slice of the server — the real error handling, docs,
 * session and telemetry routes and hooks, wired as buildApp wires them — without
 * the gateway and orchestrator, listening on an ephemeral loopback port.
 * One extra route, POST /annotated, stands in for a route that annotates its log line.
 */
export async function startMiniApp(opts: { config?: Config; stores?: Stores; logStream?: Writable; clock?: Clock } = {}): Promise<MiniApp> {
  const config = opts.config ?? testConfig();
  const clock = opts.clock ?? { now: () => Date.now() };
  const app = Fastify({
    logger: opts.logStream ? { ...loggerOptions('info'), stream: opts.logStream } : false,
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'request_id' }),
    // find-my-way answers 414 past 100 characters by default; session ids may have 128.
    routerOptions: { maxParamLength: 256 },
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  const bus = new EventBus<AppEvents>();
  const stores = opts.stores ?? createMemoryStores();
  const stats = createStats({ bus, clock, config });
  const metrics = createMetrics({ bus, config });
  const ctx = { config, clock, bus, stores, stats, metrics, log: app.log, draining: false, startedAt: clock.now(), version: 'test' };
  app.decorate('ctx', ctx as unknown as AppContext);

  registerErrorHandling(app);
  await registerDocs(app, 'test');
  onRequestEnd(app, [stats.requestEnded, metrics.requestEnded, logRequestEnd]);
  await app.register(sessionRoutes);
  await app.register(telemetryRoutes);
  app.post('/annotated', async (request) => {
    annotateRequest(request, { category: 'M', model_used: 'medium_ai' });
    annotateRequest(request, { cost_usd: 0.0042, run_id: 'run-7' });
    request.log.info({ headers: request.headers }, 'headers as seen');
    return { ok: true };
  });
  app.addHook('onClose', async () => stores.close());

  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { app, url: `http://127.0.0.1:${port}`, ctx: app.ctx, close: () => app.close() };
}
