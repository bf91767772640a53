import type { IncomingMessage } from 'node:http';
import { isSpanContextValid, trace, type SpanContext } from '@opentelemetry/api';
import { symbols as pinoSymbols, stdTimeFunctions, type Bindings, type ChildLoggerOptions, type LoggerOptions } from 'pino';

const SECRET_HEADERS = ['authorization', 'Authorization', '["proxy-authorization"]', '["x-api-key"]', '["x-goog-api-key"]', 'cookie', '["set-cookie"]'];
const SECRET_FIELDS = ['api_key', 'apiKey', 'apikey', 'api_keys', 'apiKeys'];

/**
 * Every path a secret could be logged under: request and response headers (as
 * Fastify's serializers or a hand-logged `headers` object carry them) and any
 * `api_key`/`apiKey` field up to four levels deep (a provider's config, a
 * loaded config). Keys must never reach a log line, at any level.
 */
export const REDACT_PATHS: string[] = [
  ...['req.headers', 'res.headers', 'request.headers', 'headers', '*.headers'].flatMap((base) =>
    SECRET_HEADERS.map((h) => (h.startsWith('[') ? `${base}${h}` : `${base}.${h}`)),
  ),
  ...SECRET_FIELDS.flatMap((f) => [f, `*.${f}`, `*.*.${f}`, `*.*.*.${f}`]),
];

/**
 * The log schema (JSON, one object per line; README "Logs"). Field names are stable:
 * - `time` ISO 8601 UTC, `level` (`trace` `debug` `info` `warn` `error` `fatal`), `msg`, `pid`, `hostname`;
 * - `request_id` on every line written while serving a request (also the `x-request-id` header);
 * - `trace_id` (32 hex) and `span_id` when an OpenTelemetry span is active, else `trace_id` from the
 *   caller's W3C `traceparent` header;
 * - `run_id` (and `task_id`) on workflow and model-call lines; `caller` on the request line once a
 *   JWT or API key signed the caller in;
 * - the request line (`msg: "request completed"`): `method`, `route`, `status`, `duration_ms`, and what
 *   the route learned: `category`, `model_used`, `cost_usd`, `session_id`, `run_id`, `caller`;
 * - `err` (`type`, `message`, `stack`) on failures.
 */
export const LOG_FORMATS = ['json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** The active OpenTelemetry span's context, when a tracer is registered and a span runs. */
function activeSpanContext(): SpanContext | undefined {
  const context = trace.getActiveSpan()?.spanContext();
  return context && isSpanContextValid(context) ? context : undefined;
}

/** The trace of the active span as log fields (pino's mixin: a new object each line, pino merges into it). */
function activeTrace(): { trace_id?: string; span_id?: string } {
  const context = activeSpanContext();
  return context ? { trace_id: context.traceId, span_id: context.spanId } : {};
}

const TRACEPARENT = /^[\da-f]{2}-([\da-f]{32})-[\da-f]{16}-[\da-f]{2}$/;

/** The trace id of the caller's W3C traceparent header (https://www.w3.org/TR/trace-context/), unless a span is active. */
export function callerTraceId(request: IncomingMessage): string | undefined {
  const header = request.headers.traceparent;
  if (typeof header !== 'string' || activeSpanContext()) return undefined;
  const match = TRACEPARENT.exec(header.trim());
  return match && !/^0+$/.test(match[1]!) ? match[1]! : undefined;
}

const NO_BINDINGS: Bindings = Object.freeze({});
const { chindingsSym } = pinoSymbols;

/**
 * A child of `parent` without bindings, made once per parent: pino rebuilds its formatters for each child of a
 * root logger, but not for a child of a child, so request loggers are made from this one. Its lines are the
 * parent's (same bindings, level and methods through the prototype, so a later level change still reaches it).
 */
const bases = new WeakMap<object, object>();
const baseOf = <L extends { child(bindings: Bindings, options?: ChildLoggerOptions): L }>(parent: L): L => {
  let base = bases.get(parent) as L | undefined;
  if (!base) bases.set(parent, (base = parent.child(NO_BINDINGS)));
  return base;
};

/** The bindings with the caller's trace id, when it sent one. */
const withTrace = (bindings: Bindings, traceId: string | undefined): Bindings => (traceId === undefined ? bindings : { ...bindings, trace_id: traceId });

/** True when child options ask for nothing (Fastify passes `{}` unless a route sets a level or serializers). */
const noOptions = (options: ChildLoggerOptions | undefined): boolean => {
  for (const _ in options) return false;
  return true;
};

/**
 * A request's child logger (Fastify's `childLoggerFactory`): `request_id`, and `trace_id` from the
 * caller's traceparent header. The line is the same as `parent.child(bindings)` writes: pino passes
 * each binding's value through the redaction of `*.`-paths, which can find nothing in a string, so
 * the string bindings are appended to the child's serialised bindings (`pino.symbols.chindingsSym`,
 * pino's documented integration point) as pino would write them, without that walk (~4 µs per request,
 * redaction's path walk over every `*.` path, in a loop; BENCHMARKS.md "Issue 18, fourth pass (JSON path)").
 * Other values, child options, or a logger that is not pino's take pino's own `child`.
 */
export function requestLogger<L extends { child(bindings: Bindings, options?: ChildLoggerOptions): L }>(
  parent: L,
  bindings: Bindings,
  options: ChildLoggerOptions | undefined,
  request: IncomingMessage,
): L {
  const traceId = callerTraceId(request);
  if (!noOptions(options) || typeof (parent as unknown as Record<symbol, unknown>)[chindingsSym] !== 'string') return parent.child(withTrace(bindings, traceId), options);
  let extra = '';
  for (const key in bindings) {
    const value: unknown = bindings[key];
    if (typeof value !== 'string' || (key === 'trace_id' && traceId !== undefined)) return parent.child(withTrace(bindings, traceId), options);
    extra += `,${JSON.stringify(key)}:${JSON.stringify(value)}`;
  }
  if (traceId !== undefined) extra += `,"trace_id":${JSON.stringify(traceId)}`;
  const child = baseOf(parent).child(NO_BINDINGS);
  (child as unknown as Record<symbol, string>)[chindingsSym] += extra;
  return child;
}

/** LOG_FORMAT, checked: `json` (default, for log stacks) or `pretty` (for a human at a terminal). */
export function logFormat(value: string | undefined): LogFormat {
  const format = value?.trim() || 'json';
  if (!(LOG_FORMATS as readonly string[]).includes(format)) throw new Error(`LOG_FORMAT must be one of ${LOG_FORMATS.join(', ')}, not '${format}'`);
  return format as LogFormat;
}

/**
 * pino options for the server's logger (Fastify's `logger:`): JSON lines of the schema above,
 * secrets redacted; with `pretty`, colourised single events through pino-pretty instead.
 */
export function loggerOptions(level: string, format: LogFormat = logFormat(process.env.LOG_FORMAT)): LoggerOptions {
  const common: LoggerOptions = {
    level,
    timestamp: stdTimeFunctions.isoTime,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    mixin: activeTrace,
  };
  if (format === 'pretty') {
    return { ...common, transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } } };
  }
  return { ...common, formatters: { level: (label) => ({ level: label }) } };
}
