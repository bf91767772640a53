import { context } from '@opentelemetry/api';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { whenClosed } from '../server/request-close.js';
import { methodLabel, routeLabel } from './labels.js';

/** How a request ended, as every telemetry sink sees it. */
export interface RequestEnd {
  /** Bounded: a known method or OTHER. */
  method: string;
  /** The route template, or `not_found`: never the raw URL. */
  route: string;
  status: number;
  durationMs: number;
  /** The client went away before the response was complete. */
  clientClosed: boolean;
  /** The response's `x-cache` header (HIT or MISS from the response cache), when it has one. */
  cache?: string;
}

export type RequestEndListener = (request: FastifyRequest, end: RequestEnd) => void;

/**
 * Calls every listener once per request when its response closes. The raw
 * response's 'close' fires for every ending — sent, streamed (hijacked) or a
 * client that hung up — where Fastify's onResponse misses the last, so logs,
 * /stats and /metrics count the same requests.
 */
export function onRequestEnd(app: FastifyInstance, listeners: RequestEndListener[]): void {
  app.addHook('onRequest', (request, reply, done) => {
    const started = performance.now();
    // Bound to the request's context, so the request line carries the trace of its span (http-span.ts).
    whenClosed(reply, context.bind(context.active(), () => {
      const end: RequestEnd = {
        method: methodLabel(request.method),
        route: routeLabel(request),
        status: reply.raw.statusCode,
        durationMs: performance.now() - started,
        clientClosed: !reply.raw.writableFinished,
      };
      const cache = reply.getHeader('x-cache');
      if (typeof cache === 'string') end.cache = cache;
      for (const listener of listeners) listener(request, end);
    }));
    done();
  });
}
