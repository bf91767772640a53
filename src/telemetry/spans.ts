import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
  type Tracer,
} from '@opentelemetry/api';

/**
 * The spans the server makes, and how code that is not about tracing asks for them.
 *
 * Tracing is off unless telemetry/tracing.ts started the OpenTelemetry SDK (OTLP endpoint set).
 * While it is off, `tracer` stays undefined and every helper here returns at once: no span
 * object, no context switch, no attribute object is made on the hot path. The tracer is the
 * one process-wide thing here because OpenTelemetry's context manager and propagator are
 * process-wide too (the API's global registration); startTracing sets it, its shutdown clears it.
 *
 * Names follow the OpenTelemetry semantic conventions (https://opentelemetry.io/docs/specs/semconv/):
 * HTTP server spans, GenAI client spans (`gen_ai.*`, see gateway/call-trace.ts), `error.type`;
 * ours are `mo.*` (ATTR below).
 */

let tracer: Tracer | undefined;

/** Our span attributes (pinned names, issue 14). */
export const ATTR = {
  category: 'mo.category',
  runId: 'mo.run_id',
  taskId: 'mo.task_id',
  costUsd: 'mo.cost_usd',
  configVersion: 'mo.config_version',
  requestId: 'mo.request_id',
  resumed: 'mo.resumed',
} as const;

/** Installs (or, with undefined, removes) the tracer every helper here uses. Called by startTracing only. */
export function useTracer(next: Tracer | undefined): void {
  tracer = next;
}

/** The tracer, while tracing is on (telemetry/http-span.ts starts the request's span with it). */
export function activeTracer(): Tracer | undefined {
  return tracer;
}

/** True while traces are made. */
export function tracingOn(): boolean {
  return tracer !== undefined;
}

/** The span running now (the request's, a task's, an attempt's), when tracing is on. */
export function currentSpan(): Span | undefined {
  return tracer ? trace.getActiveSpan() : undefined;
}

/** Options of a span started by `inSpan`/`startSpan`. */
export interface SpanOptions {
  kind?: SpanKind;
  attributes?: Attributes;
  /** Parent context instead of the active one (a resumed run's stored trace context). */
  parent?: Context;
}

/**
 * Runs `fn` inside a new child span of the active one (or of `opts.parent`) and ends the span
 * when `fn` settles: a rejection sets status ERROR and `error.type` (the error's kind, code or
 * class), and is rethrown. With tracing off, just runs `fn(undefined)`.
 */
export function inSpan<T>(name: string, opts: SpanOptions, fn: (span: Span | undefined) => Promise<T>): Promise<T> {
  // Off: the plain call, not even an extra promise.
  if (!tracer) return fn(undefined);
  return traced(tracer, name, opts, fn);
}

async function traced<T>(tracer: Tracer, name: string, opts: SpanOptions, fn: (span: Span | undefined) => Promise<T>): Promise<T> {
  const parent = opts.parent ?? context.active();
  const span = tracer.startSpan(name, { kind: opts.kind ?? SpanKind.INTERNAL, attributes: opts.attributes }, parent);
  try {
    return await context.with(trace.setSpan(parent, span), () => fn(span));
  } catch (err) {
    failSpan(span, err);
    throw err;
  } finally {
    span.end();
  }
}

/**
 * Starts a span and makes it active for `fn` (synchronously) without ending it: for work whose
 * end is known later (a stream). The caller ends it. Undefined (and `fn` called plainly) when off.
 */
export function startActiveSpan<T>(name: string, opts: SpanOptions, fn: (span: Span | undefined) => T): T {
  if (!tracer) return fn(undefined);
  const parent = opts.parent ?? context.active();
  const span = tracer.startSpan(name, { kind: opts.kind ?? SpanKind.INTERNAL, attributes: opts.attributes }, parent);
  return context.with(trace.setSpan(parent, span), () => fn(span));
}

/** Marks a span failed: status ERROR with the message, `error.type` from the error's kind/code/name. */
export function failSpan(span: Span, err: unknown, type?: string): void {
  const e = err as { kind?: unknown; code?: unknown; type?: unknown; name?: unknown; message?: unknown } | undefined;
  const errorType = type ?? String(e?.code ?? e?.kind ?? e?.type ?? e?.name ?? 'Error');
  span.setAttribute('error.type', errorType);
  span.setStatus({ code: SpanStatusCode.ERROR, message: typeof e?.message === 'string' ? e.message.slice(0, 500) : undefined });
}

/** W3C trace context headers of a stored run (RunSpec.trace) or an outgoing call. */
export interface TraceHeaders {
  traceparent: string;
  tracestate?: string;
}

/**
 * The active span's W3C `traceparent`/`tracestate` (https://www.w3.org/TR/trace-context/), for
 * a provider request or a run record; undefined when tracing is off or no span is active.
 */
export function traceHeaders(): TraceHeaders | undefined {
  if (!tracer) return undefined;
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent ? { traceparent: carrier.traceparent, ...(carrier.tracestate ? { tracestate: carrier.tracestate } : {}) } : undefined;
}

/** The context a stored `traceparent` names (a resumed run's parent); the active one when none is stored. */
export function contextOf(headers: TraceHeaders | undefined): Context | undefined {
  if (!tracer || !headers) return undefined;
  return propagation.extract(ROOT_CONTEXT, { ...headers });
}

export { SpanKind, type Span };
