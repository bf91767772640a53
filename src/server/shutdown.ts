import type { FastifyInstance } from 'fastify';
import { shuttingDown } from '../errors.js';
import { sleep } from '../clock.js';
import { whenClosed } from './request-close.js';

const inflight = new WeakMap<FastifyInstance, { count: number }>();

/**
 * Counts requests in flight and, once draining starts, refuses new work (any
 * non-GET) with 503 `overloaded`; reads such as /health stay answerable.
 */
export function registerLifecycle(app: FastifyInstance): void {
  const state = { count: 0 };
  inflight.set(app, state);
  const ended = () => {
    state.count -= 1;
  };
  app.addHook('onRequest', (request, reply, done) => {
    if (app.ctx.draining && request.method !== 'GET') return done(shuttingDown(5));
    state.count += 1;
    // 'close' fires for every ending: sent, hijacked stream finished, or client gone.
    whenClosed(reply, ended);
    done();
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
  // Past the grace period nothing may hold the exit (a long OpenAI-compatible stream, say):
  // cut the remaining connections so the platform's SIGKILL never lands first.
  if (state && state.count > 0) app.server.closeAllConnections();
  await app.close();
}
