import Fastify from 'fastify';
import { Pool } from 'undici';
import { childOptions, serveChild } from './child.js';

/**
 * The ceiling of this stack on this machine: Fastify in front, an undici keep-alive
 * Pool behind, and nothing in between — no validation, no translation, no limiter,
 * no breaker, no accounting. The body goes to the fake provider as received and
 * the answer (JSON or SSE) is piped back as it arrives. Run as a bench child:
 * BENCH_CHILD_OPTS `{"upstream": "http://127.0.0.1:<fake port>"}`.
 */

const { upstream } = childOptions<{ upstream: string }>();
const origin = new URL(upstream).origin;
const pool = new Pool(origin, { connections: 256, pipelining: 1, keepAliveTimeout: 30_000 });

const app = Fastify({ logger: false });
app.removeAllContentTypeParsers();
app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

app.post('/v1/chat/completions', async (request, reply) => {
  const upstreamRes = await pool.request({
    method: 'POST',
    path: '/v1/chat/completions',
    headers: { 'content-type': 'application/json', authorization: 'Bearer bench' },
    body: request.body as Buffer,
  });
  const type = upstreamRes.headers['content-type'];
  reply.code(upstreamRes.statusCode);
  if (typeof type === 'string') void reply.header('content-type', type);
  return reply.send(upstreamRes.body);
});

await app.listen({ port: 0, host: '127.0.0.1' });
const address = app.server.address();
const port = typeof address === 'object' && address ? address.port : 0;
serveChild({ url: `http://127.0.0.1:${port}`, pid: process.pid }, {}, async () => {
  await app.close();
  await pool.close();
});
