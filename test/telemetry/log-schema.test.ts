import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logFormat, loggerOptions } from '../../src/telemetry/logger.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { logLines } from '../helpers/log-lines.js';
import { startServerProcess } from '../helpers/server-process.js';

const { sink, lines, lineWhere } = logLines();
let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ logger: pino(loggerOptions('debug', 'json'), sink) });
});
afterAll(async () => t?.close());

/** A request's 'request completed' line: written as its response finishes, which may be after the client read it. */
const requestLine = (requestId: string) => lineWhere((l) => l.request_id === requestId && l.msg === 'request completed');

describe('the JSON log schema (README "Logs")', () => {
  it('has time, a level name, msg and request_id on request lines, and the trace id of a traceparent header', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const res = await fetch(`${t.url}/models`, { headers: { 'x-request-id': 'schema-1', traceparent: `00-${traceId}-00f067aa0ba902b7-01` } });
    // Tracing off: no trace of ours, the caller's trace id is echoed.
    expect(res.headers.get('x-trace-id')).toBe(traceId);
    const line = await requestLine('schema-1');
    expect(line).toMatchObject({ level: 'info', request_id: 'schema-1', trace_id: traceId, method: 'GET', route: '/models', status: 200 });
    expect(line!.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(line).not.toHaveProperty('reqId');
  });

  it('ignores a malformed or all-zero traceparent', async () => {
    await fetch(`${t.url}/models`, { headers: { 'x-request-id': 'schema-2', traceparent: '00-00000000000000000000000000000000-00f067aa0ba902b7-01' } });
    await fetch(`${t.url}/models`, { headers: { 'x-request-id': 'schema-3', traceparent: 'garbage' } });
    for (const id of ['schema-2', 'schema-3']) expect(await requestLine(id)).not.toHaveProperty('trace_id');
  });

  it('puts run_id on the lines of a workflow run, beside its request_id', async () => {
    const res = await fetch(`${t.url}/workflow`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'schema-run' },
      body: JSON.stringify({ workflow: { linear_queue: [{ id: 'a', prompt: 'hello' }] } }),
    });
    const run = (await res.json()) as { run_id: string };
    // The attempt's line is written before the run's answer, the request's as its response finishes.
    const attempt = lines.find((l) => l.msg === 'model attempt' && l.request_id === 'schema-run');
    expect(attempt).toMatchObject({ run_id: run.run_id, level: 'debug' });
    expect(await requestLine('schema-run')).toMatchObject({ run_id: run.run_id });
  });
});

describe('LOG_FORMAT', () => {
  it('is json by default, pretty on request, and anything else is refused by name', () => {
    expect(logFormat(undefined)).toBe('json');
    expect(logFormat('pretty')).toBe('pretty');
    expect(() => logFormat('xml')).toThrow("LOG_FORMAT must be one of json, pretty, not 'xml'");
  });

  it('pretty: the real server writes human lines (pino-pretty), not JSON', async () => {
    const { child, output, exited } = await startServerProcess('orchestration_config.json', { LOG_FORMAT: 'pretty', NO_COLOR: '1' });
    child.kill('SIGTERM');
    await exited;
    const out = output.join('');
    const listening = out.split('\n').find((l) => l.includes('Server listening'))!;
    expect(listening).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO/);
    expect(() => JSON.parse(listening)).toThrow();
  }, 60_000);
});
