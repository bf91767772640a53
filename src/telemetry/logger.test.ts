import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { loggerOptions } from './logger.js';

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
});
