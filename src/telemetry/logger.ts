import type { IncomingMessage } from 'node:http';
import { isSpanContextValid, trace } from '@opentelemetry/api';
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

/** The trace of the active OpenTelemetry span, when a tracer is registered and a span runs. */
function activeTrace(): { trace_id?: string; span_id?: string } {
  const context = trace.getActiveSpan()?.spanContext();
  return context && isSpanContextValid(context) ? { trace_id: context.traceId, span_id: context.spanId } : {};
}

const TRACEPARENT = /^[\da-f]{2}-([\da-f]{32})-[\da-f]{16}-[\da-f]{2}$/;

/** `trace_id` of a W3C traceparent header (https://www.w3.org/TR/trace-context/), unless a span is active. */
export function traceBindings(request: IncomingMessage): { trace_id?: string } {
  if (activeTrace().trace_id) return {};
  const header = request.headers.traceparent;
  const match = typeof header === 'string' ? TRACEPARENT.exec(header.trim()) : null;
  return match && !/^0+$/.test(match[1]!) ? { trace_id: match[1]! } : {};
}

const NO_BINDINGS: Bindings = Object.freeze({});
const { chindingsSym } = pinoSymbols;

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
  const all: Bindings = { ...bindings, ...traceBindings(request) };
  let extra = '';
  for (const key in all) {
    const value: unknown = all[key];
    if (typeof value !== 'string') return parent.child(all, options);
    extra += `,${JSON.stringify(key)}:${JSON.stringify(value)}`;
  }
  if ((options && Object.keys(options).length > 0) || typeof (parent as unknown as Record<symbol, unknown>)[chindingsSym] !== 'string') return parent.child(all, options);
  const child = parent.child(NO_BINDINGS);
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
