import type { FastifyInstance } from 'fastify';
import { AppError } from '../errors.js';
import { sleep } from '../clock.js';

const inflight = new WeakMap<FastifyInstance, { count: number }>();

/** Paths that stay answerable while draining, so the platform can watch the shutdown. */
const ALWAYS_OPEN = new Set(['/', '/health', '/metrics', '/stats']);

/**
 * Counts requests in flight and refuses new work with 503 `overloaded` once
 * draining starts; reads stay answerable so health checks see the drain.
 */
export function registerLifecycle(app: FastifyInstance): void {
  const state = { count: 0 };
  inflight.set(app, state);
  app.addHook('onRequest', async (request, reply) => {
    if (app.ctx.draining && !ALWAYS_OPEN.has(request.url.split('?')[0]!) && request.method !== 'GET') {
      throw new AppError('overloaded', 'server is shutting down', [], 5);
    }
    state.count += 1;
    // 'close' fires for every ending: sent, hijacked stream finished, or client gone.
    reply.raw.once('close', () => {
      state.count -= 1;
    });
  });
}

/**
 * SIGTERM path: stop accepting connections, refuse new work, let in-flight
 * requests and runs finish within the grace period, cancel what is left (runs
 * end `cancelled` with their record saved), then close stores and pools.
 */
export async function shutdownGracefully(app: FastifyInstance, graceMs: number): Promise<void> {
  const deadline = Date.now() + graceMs;
  app.ctx.draining = true;
  app.server.close();
  await app.ctx.orchestrator.shutdown(graceMs);
  const state = inflight.get(app);
  while (state && state.count > 0 && Date.now() < deadline) await sleep(25);
  await app.close();
}
