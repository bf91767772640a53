import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import { activeTracer, ATTR, tracingOn } from './spans.js';
import { callerTraceId } from './logger.js';
import { pathOf } from '../server/url-path.js';

/**
 * One trace per HTTP request: a SERVER span per request, named `METHOD /route/template`
 * (e.g. `POST /chat`), with the stable HTTP semantic-convention attributes
 * (https://opentelemetry.io/docs/specs/semconv/http/http-spans/): `http.request.method`,
 * `url.path`, `url.scheme`, `http.route`, `http.response.status_code`, `user_agent.original`,
 * `client.address`, `network.protocol.version`, `server.port`; `error.type` (the status) and
 * status ERROR for a 5xx. A caller's W3C `traceparent`/`tracestate` make the span's parent.
 *
 * The span is started around Fastify's whole handling of the request (a server factory), so
 * every hook, the handler, and the request-end listeners run with it active — log lines get
 * its `trace_id`/`span_id` from the logger's mixin, and model calls become its children.
 */

/** Fastify's `serverFactory` that starts the request's span, or undefined when tracing is off (Fastify's own server). */
export function tracedServerFactory(): FastifyServerOptions['serverFactory'] | undefined {
  const tracer = activeTracer();
  if (!tracer) return undefined;
  return (handler, options) => {
    const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const parent = propagation.extract(ROOT_CONTEXT, req.headers);
      const method = req.method ?? 'GET';
      const span = tracer.startSpan(
        method,
        {
          kind: SpanKind.SERVER,
          attributes: {
            'http.request.method': method,
            'url.path': pathOf(req.url ?? '/'),
            'url.scheme': 'http',
            'network.protocol.version': req.httpVersion,
            ...(req.headers['user-agent'] ? { 'user_agent.original': req.headers['user-agent'] } : {}),
            ...(req.socket.remoteAddress ? { 'client.address': req.socket.remoteAddress } : {}),
            ...(req.socket.localPort ? { 'server.port': req.socket.localPort } : {}),
          },
        },
        parent,
      );
      res.once('close', () => endServerSpan(span, res));
      context.with(trace.setSpan(parent, span), () => handler(req, res));
    });
    // What Fastify sets on the server it makes itself (lib/server.js).
    const opts = options as FastifyServerOptions;
    if (opts.keepAliveTimeout) server.keepAliveTimeout = opts.keepAliveTimeout;
    if (opts.requestTimeout) server.requestTimeout = opts.requestTimeout;
    if (opts.connectionTimeout) server.setTimeout(opts.connectionTimeout);
    return server;
  };
}

function endServerSpan(span: Span, res: ServerResponse): void {
  const status = res.statusCode;
  span.setAttribute('http.response.status_code', status);
  if (status >= 500) {
    span.setAttribute('error.type', String(status));
    span.setStatus({ code: SpanStatusCode.ERROR });
  } else if (!res.writableFinished) {
    // The client went away before the answer was whole.
    span.setAttribute('error.type', 'client_closed');
  }
  span.end();
}

/**
 * Names the request's span after its route (`POST /chat`) and tags it with the config version
 * the request starts under; sets `x-trace-id` on every response that has a trace: the span's,
 * or — tracing off — the trace id of the caller's `traceparent`, echoed (no trace of ours exists then).
 */
export function registerTraceHeader(app: FastifyInstance, configVersion: () => string): void {
  app.addHook('onRequest', (request, reply, done) => {
    const span = tracingOn() ? trace.getActiveSpan() : undefined;
    if (span) {
      const route = request.routeOptions.url;
      if (route) {
        span.updateName(`${request.method} ${route}`);
        span.setAttribute('http.route', route);
      }
      span.setAttribute(ATTR.configVersion, configVersion());
      span.setAttribute(ATTR.requestId, request.id);
      void reply.header('x-trace-id', span.spanContext().traceId);
      return done();
    }
    const given = callerTraceId(request.raw);
    if (given) void reply.header('x-trace-id', given);
    done();
  });
}
