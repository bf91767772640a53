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

// On the request object itself (a symbol property), so nothing outlives the request's life.
const kAnnotation = Symbol('request annotation');
type Annotated = FastifyRequest & { [kAnnotation]?: RequestAnnotation };

/** What has been annotated on a request so far (stats read the caller from here). */
export const annotationOf = (request: FastifyRequest): Readonly<RequestAnnotation> | undefined => (request as Annotated)[kAnnotation];

/** Adds fields to the request's log line; later calls add to or override earlier ones. */
export function annotateRequest(request: FastifyRequest, fields: RequestAnnotation): void {
  const annotated = request as Annotated;
  const had = annotated[kAnnotation];
  if (had) Object.assign(had, fields);
  else annotated[kAnnotation] = { ...fields };
}

/** Log levels at which an info line is dropped. */
const QUIET_LEVELS: ReadonlySet<string> = new Set(['warn', 'error', 'fatal', 'silent']);

/**
 * One info line per finished request: method, route template, status and
 * duration, plus the category, model, cost and run a route annotated. The
 * request id is on the line through Fastify's child logger (`request_id`).
 */
export const logRequestEnd: RequestEndListener = (request, end) => {
  // At warn and above (or silent) the line would be dropped: it is not built.
  if (QUIET_LEVELS.has(request.log.level)) return;
  request.log.info(
    {
      method: request.method,
      route: end.route,
      status: end.status,
      duration_ms: Math.round(end.durationMs * 1000) / 1000,
      ...(end.clientClosed ? { client_closed: true } : {}),
      ...annotationOf(request),
    },
    'request completed',
  );
};
