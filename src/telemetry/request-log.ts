import type { FastifyRequest } from 'fastify';
import type { RequestEndListener } from './request-end.js';

/** What a route learned about a request that belongs on its log line. */
export interface RequestAnnotation {
  category?: 'L' | 'M' | 'H';
  model_used?: string;
  cost_usd?: number;
  run_id?: string;
  session_id?: string;
  /** Who sent it (server/plugins/caller.ts). */
  caller?: string;
}

// Keyed by the request object itself, so nothing leaks past the request's life.
const annotations = new WeakMap<FastifyRequest, RequestAnnotation>();

/** What has been annotated on a request so far (stats read the caller from here). */
export const annotationOf = (request: FastifyRequest): Readonly<RequestAnnotation> | undefined => annotations.get(request);

/** Adds fields to the request's log line; later calls add to or override earlier ones. */
export function annotateRequest(request: FastifyRequest, fields: RequestAnnotation): void {
  annotations.set(request, { ...annotations.get(request), ...fields });
}

/**
 * One info line per finished request: method, route template, status and
 * duration, plus the category, model, cost and run a route annotated. The
 * request id is on the line through Fastify's child logger (`request_id`).
 */
export const logRequestEnd: RequestEndListener = (request, end) => {
  request.log.info(
    {
      method: request.method,
      route: end.route,
      status: end.status,
      duration_ms: Math.round(end.durationMs * 1000) / 1000,
      ...(end.clientClosed ? { client_closed: true } : {}),
      ...annotations.get(request),
    },
    'request completed',
  );
};
