import { stdTimeFunctions, type LoggerOptions } from 'pino';

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

/** pino options for the server's logger (Fastify's `logger:`): JSON lines, ISO times, secrets redacted. */
export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    timestamp: stdTimeFunctions.isoTime,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
  };
}
