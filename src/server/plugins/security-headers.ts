import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import helmet, { type HelmetOptions } from 'helmet';

/**
 * The headers helmet (https://helmetjs.github.io) sets with `options`, worked out once: helmet is run a
 * single time against a response that only records them. Without a Content-Security-Policy (which may
 * carry per-request nonces) every header is the same for every request, so a request only copies them;
 * @fastify/helmet instead built helmet's whole middleware chain again on every request. A header helmet
 * removes (X-Powered-By) is one neither Fastify nor node sets.
 */
export function helmetHeaders(options: Readonly<HelmetOptions>): ReadonlyArray<readonly [name: string, value: string]> {
  if (options.contentSecurityPolicy !== false) throw new Error('helmetHeaders: a Content-Security-Policy may vary per request; turn it off');
  const headers: Array<[string, string]> = [];
  const recorder = {
    setHeader: (name: string, value: string | number | readonly string[]) => {
      headers.push([name.toLowerCase(), Array.isArray(value) ? value.join(', ') : String(value)]);
    },
    removeHeader: () => undefined,
  };
  helmet(options)({} as IncomingMessage, recorder as unknown as ServerResponse, (err?: unknown) => {
    if (err) throw err;
  });
  return headers;
}

/**
 * Helmet's security headers (CSP off: the API answers JSON, the console and docs ship their own
 * policy-free pages) on every response, errors included: set in the first onRequest hook, as
 * @fastify/helmet did. Per request this is a copy of ~11 fixed strings into the reply's headers.
 */
export function registerSecurityHeaders(app: FastifyInstance): void {
  const headers = helmetHeaders({ contentSecurityPolicy: false });
  app.addHook('onRequest', (_request, reply, done) => {
    for (const [name, value] of headers) void reply.header(name, value);
    done();
  });
}
