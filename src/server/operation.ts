import { CallerAbort } from '../caller-signal.js';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { errorBody } from '../errors.js';
import { CancelledError } from '../orchestrator/cancellation.js';
import { annotateRequest, type RequestAnnotation } from '../telemetry/request-log.js';
import { openSse, type SseStream } from './plugins/sse.js';
import { whenClosed } from './request-close.js';

/**
 * Aborts when the client goes away before the answer was sent, so its run and
 * model calls are cancelled. `reason` is the abort reason to use. The gateway takes the
 * CallerAbort itself (a CallerSignal); its `signal`, a real AbortSignal, is made only when asked for.
 */
export function abortOnDisconnect(reply: FastifyReply, reason: () => unknown): CallerAbort {
  const controller = new CallerAbort();
  whenClosed(reply, (res) => {
    if (!res.writableFinished) controller.abort(reason());
  });
  return controller;
}

/**
 * Runs one operation for a client that asked for `stream: true`. The stream
 * opens with the first progress event; a failure before any work started
 * (validation, a full queue) is still a plain HTTP error. Once open, the stream
 * always ends with exactly one `completed` (the full body) or `error` event.
 */
export async function streamOperation(
  request: FastifyRequest,
  reply: FastifyReply,
  opts: { keepAliveMs: number; signal: AbortSignal },
  run: (emit: (event: string, data: object) => void) => Promise<object>,
): Promise<FastifyReply> {
  let sse: SseStream | null = null;
  const open = (): SseStream => (sse ??= openSse(reply, opts.keepAliveMs));
  const operation = run((event, data) => open().send(event, data));
  // Observe the outcome now so a rejection before we await it is never unhandled.
  const outcome = operation.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  const early = await Promise.race([outcome, new Promise<null>((resolve) => setImmediate(() => resolve(null)))]);
  if (early && !early.ok && sse === null) throw early.error;
  const stream = open();
  const result = early ?? (await outcome);
  if (result.ok) {
    stream.end('completed', result.value);
  } else {
    if (opts.signal.aborted) request.log.info('client closed the stream; its run was cancelled');
    const appError = request.server.outboundError(result.error);
    if (appError.type === 'internal_error') request.log.error({ err: result.error }, 'streamed request failed');
    stream.end('error', errorBody(appError, request.id));
  }
  return reply;
}

/** The log-line fields of a chat response or a run record. */
function annotationOf(result: object): RequestAnnotation {
  const r = result as Partial<Record<'category' | 'model_used' | 'cost_usd' | 'run_id' | 'session_id', unknown>> & {
    workflow?: { run?: { run_id?: unknown } } | null;
  };
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  const category = str(r.category);
  return {
    ...(category === 'L' || category === 'M' || category === 'H' ? { category } : {}),
    ...(str(r.model_used) ? { model_used: str(r.model_used) } : {}),
    ...(typeof r.cost_usd === 'number' ? { cost_usd: r.cost_usd } : {}),
    ...(str(r.run_id ?? r.workflow?.run?.run_id) ? { run_id: str(r.run_id ?? r.workflow?.run?.run_id) } : {}),
    ...(str(r.session_id) ? { session_id: str(r.session_id) } : {}),
  };
}

/**
 * The common shape of /chat, /workflow and /template: cancel on disconnect, then
 * answer as JSON or as an event stream. (New work while draining never gets here:
 * the lifecycle hook in shutdown.ts refuses it first.)
 */
export async function serveOperation(
  request: FastifyRequest,
  reply: FastifyReply,
  stream: boolean,
  run: (signal: AbortSignal, emit?: (event: string, data: object) => void) => Promise<object>,
): Promise<unknown> {
  const ctx = request.server.ctx;
  const controller = abortOnDisconnect(reply, () => new CancelledError('client_closed'));
  // The request's log line carries what the operation learned (category, model, cost, run).
  const operate = (emit?: (event: string, data: object) => void) =>
    run(controller.signal, emit).then((result) => {
      annotateRequest(request, annotationOf(result));
      return result;
    });
  if (stream) {
    return streamOperation(request, reply, { keepAliveMs: ctx.config.server.keep_alive_ms, signal: controller.signal }, operate);
  }
  try {
    return await operate();
  } catch (err) {
    if (!controller.signal.aborted || !(controller.signal.reason instanceof CancelledError) || controller.signal.reason.cancelCause !== 'client_closed') throw err;
    // Nobody is left to answer; the run record says what happened.
    request.log.info('client closed the connection; its run and model calls were cancelled');
    reply.hijack();
    return reply;
  }
}
