import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import { describe, expect, it } from 'vitest';
import type { IncomingMessage } from 'node:http';
import { loggerOptions, requestLogger } from './logger.js';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { lines, stream };
}

describe('logger options', () => {
  it('redacts keys in headers and api_key fields wherever they are logged', () => {
    const { lines, stream } = capture();
    const log = pino(loggerOptions('debug'), stream);
    log.info(
      {
        req: {
          method: 'POST',
          headers: {
            authorization: 'Bearer sk-secret-1',
            'x-api-key': 'sk-secret-2',
            'x-goog-api-key': 'sk-secret-3',
            cookie: 'session=sk-secret-4',
            'content-type': 'application/json',
          },
        },
        res: { headers: { 'set-cookie': 'session=sk-secret-5' } },
        headers: { Authorization: 'Bearer sk-secret-6' },
        provider: { name: 'openrouter', api_key: 'sk-secret-7' },
        config: { providers: { google_ai: { api_key: 'sk-secret-8', apiKey: 'sk-secret-9' } } },
        api_key: 'sk-secret-10',
      },
      'calling upstream',
    );
    log.debug({ upstream: { headers: { authorization: 'Bearer sk-secret-11' } } }, 'attempt');
    const out = lines.join('');
    expect(lines).toHaveLength(2);
    expect(out).not.toMatch(/sk-secret/);
    expect(out).toContain('[redacted]');
    expect(out).toContain('application/json');
    expect(out).toContain('openrouter');
  });

  it('writes JSON lines at the configured level with ISO times', () => {
    const { lines, stream } = capture();
    const log = pino(loggerOptions('warn'), stream);
    log.info('hidden');
    log.warn('shown');
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0]!) as { msg: string; time: string; level: number };
    expect(line.msg).toBe('shown');
    expect(new Date(line.time).toISOString()).toBe(line.time);
  });

  it('writes the same lines from a request logger as from pino\'s child, bindings escaped and secrets redacted', () => {
    const request = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage;
    const lineOf = (make: (log: Logger) => Logger) => {
      const { lines, stream } = capture();
      const log = make(pino({ ...loggerOptions('info'), timestamp: false }, stream));
      log.info({ headers: { authorization: 'Bearer sk-secret-1' }, n: 1 }, 'done');
      log.child({ run_id: 'r1' }).warn('nested');
      return { lines, bindings: log.bindings() };
    };
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    for (const [id, headers] of [
      ['req-1', {}],
      ['quote"and\\back\u2028', { traceparent }],
    ] as const) {
      const ours = lineOf((log) => requestLogger(log, { request_id: id }, {}, request(headers)));
      const theirs = lineOf((log) => log.child({ request_id: id, ...('traceparent' in headers ? { trace_id: '0af7651916cd43dd8448eb211c80319c' } : {}) }, {}));
      expect(ours).toEqual(theirs);
      expect(ours.lines.join('')).not.toMatch(/sk-secret/);
      expect(ours.bindings).toMatchObject({ request_id: id });
    }
    // Child options (a route's log level) take pino's own child.
    const { lines, stream } = capture();
    const quiet = requestLogger(pino(loggerOptions('info'), stream), { request_id: 'r' }, { level: 'warn' }, request({}));
    quiet.info('hidden');
    quiet.warn('shown');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ request_id: 'r', msg: 'shown' });
  });
});
