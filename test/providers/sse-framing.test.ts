import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeProvider, type FakeProvider } from '../../scripts/fake-provider/server.js';
import { createGoogleAdapter } from '../../src/providers/google/adapter.js';
import { createOpenAiCompatibleAdapter } from '../../src/providers/openai-compatible/adapter.js';
import type { ProviderAdapter } from '../../src/providers/types.js';
import { fakeGateway, seenFor } from '../gateway/fake-gateway.js';
import { collect, deltaText, fastTimeouts, request } from './support.js';

/**
 * Issue 11 class E: stream framing is parsed by eventsource-parser, so every framing the
 * event-stream format allows reads the same: CR, LF or CRLF line ends, comments and other
 * fields, `data:` without its space, multi-line data, long lines, any packet boundaries
 * (UTF-8 characters split across packets), a last event without its blank line.
 */

const UNICODE = 'héllo wörld — 漢字 😀';

let fake: FakeProvider;
let openai: ProviderAdapter;
let google: ProviderAdapter;

beforeAll(async () => {
  fake = await startFakeProvider();
  openai = createOpenAiCompatibleAdapter({ name: 'openrouter', baseUrl: `${fake.url}/v1`, apiKey: 'k' });
  google = createGoogleAdapter({ name: 'google_ai', baseUrl: `${fake.url}/v1beta`, apiKey: 'k' });
});
afterAll(async () => {
  await openai.close?.();
  await google.close?.();
  await fake.close();
});
beforeEach(() => fake.reset());

const FRAMINGS = ['line_cr', 'line_crlf', 'data_nospace', 'sse_comments', 'byte_split', 'line_cr+byte_split', 'line_crlf+data_nospace+sse_comments+byte_split'];

describe('the fake provider in every framing', () => {
  it.each(FRAMINGS)('OpenAI-compatible stream with %s reads the whole answer', async (fault) => {
    const chunks = await collect(openai.stream(request(`fault:${fault}/m`, { messages: [{ role: 'user', content: UNICODE }] })));
    expect(deltaText(chunks)).toBe(`echo: ${UNICODE}`);
    expect(chunks.at(-1)).toEqual({ type: 'finish', finish_reason: 'stop' });
    expect(chunks.some((c) => c.type === 'usage')).toBe(true);
  });

  it.each(FRAMINGS)('Gemini alt=sse stream with %s reads the whole answer', async (fault) => {
    const chunks = await collect(google.stream(request(`fault:${fault}/gemini-x`, { messages: [{ role: 'user', content: UNICODE }] })));
    expect(deltaText(chunks)).toBe(`echo: ${UNICODE}`);
    expect(chunks.at(-1)).toEqual({ type: 'finish', finish_reason: 'stop' });
    expect(fake.attempts[0]!.path).toContain('alt=sse');
  });

  it('the issue example: an upstream ending lines with a lone CR is answered by it, in one attempt, through the gateway', async () => {
    const g = fakeGateway(fake, { models: { primary: { provider: 'alpha', model: 'fault:line_cr/primary-model', fallbacks: ['backup'] } } });
    try {
      const stream = g.gateway.stream({ model: 'primary', messages: [{ role: 'user', content: 'hello there' }] });
      let text = '';
      for await (const chunk of stream.chunks) if (chunk.type === 'delta') text += chunk.text;
      const result = await stream.result;
      expect(text).toBe('echo: hello there');
      expect(result).toMatchObject({ model_used: 'primary', fallback_used: false });
      expect(seenFor(fake, 'primary-model')).toHaveLength(1);
    } finally {
      await g.close();
    }
  });
});

describe('exact bytes from a tiny upstream', () => {
  let server: Server | undefined;
  let adapter: ProviderAdapter | undefined;

  afterEach(async () => {
    await adapter?.close?.();
    server?.closeAllConnections();
    server?.close();
    server = undefined;
    adapter = undefined;
  });

  /** Serves `packets` (strings or raw bytes) as one SSE response, a few ms apart. */
  async function upstream(packets: Array<string | Buffer>, kind: 'openai' | 'google' = 'openai'): Promise<ProviderAdapter> {
    server = createServer((_req, res: ServerResponse) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      void (async () => {
        for (const p of packets) {
          await new Promise<void>((resolve) => res.write(p, () => resolve()));
          await new Promise((r) => setTimeout(r, 2));
        }
        res.end();
      })();
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    adapter = kind === 'openai' ? createOpenAiCompatibleAdapter({ name: 'tiny', baseUrl: `${url}/v1` }) : createGoogleAdapter({ name: 'tiny', baseUrl: `${url}/v1beta` });
    return adapter;
  }

  const delta = (content: string) => JSON.stringify({ choices: [{ index: 0, delta: { content }, finish_reason: null }] });
  const finish = JSON.stringify({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] });

  it('CR-only line ends, with a comment and an event name', async () => {
    const a = await upstream([`: hi\r\revent: message\rdata: ${delta('one ')}\r\r`, `data: ${delta('two')}\r\rdata: ${finish}\r\rdata: [DONE]\r\r`]);
    expect(deltaText(await collect(a.stream(request('m'))))).toBe('one two');
  });

  it('a CR and its LF split across packets count as one line end', async () => {
    const a = await upstream([`data: ${delta('a')}\r`, `\n\r`, `\ndata: ${delta('b')}\r\n\r\ndata: ${finish}\r\n\r\ndata: [DONE]\r\n\r\n`]);
    expect(deltaText(await collect(a.stream(request('m'))))).toBe('ab');
  });

  it('a JSON payload spread over several data lines', async () => {
    const a = await upstream([`data: {"choices":[{"index":0,\ndata: "delta":{"content":"multi"},\ndata: "finish_reason":null}]}\n\n`, `data:${finish}\n\ndata:[DONE]\n\n`]);
    expect(deltaText(await collect(a.stream(request('m'))))).toBe('multi');
  });

  it('a 300 KB line delivered in 10 KB packets', async () => {
    const long = 'x'.repeat(300_000);
    const line = `data: ${delta(long)}\n\n`;
    const packets: string[] = [];
    for (let i = 0; i < line.length; i += 10_240) packets.push(line.slice(i, i + 10_240));
    const a = await upstream([...packets, `data: ${finish}\n\ndata: [DONE]\n\n`]);
    expect(deltaText(await collect(a.stream(request('m', { timeouts: fastTimeouts({ first_byte_ms: 10_000, stream_idle_ms: 10_000, total_ms: 20_000 }) }))))).toBe(long);
  });

  it('UTF-8 characters split between packets', async () => {
    const bytes = Buffer.from(`data: ${delta(UNICODE)}\n\n`, 'utf8');
    const emoji = bytes.indexOf(Buffer.from('😀', 'utf8'));
    const kanji = bytes.indexOf(Buffer.from('漢', 'utf8'));
    const a = await upstream([bytes.subarray(0, kanji + 1), bytes.subarray(kanji + 1, emoji + 2), bytes.subarray(emoji + 2), `data: ${finish}\n\ndata: [DONE]\n\n`]);
    expect(deltaText(await collect(a.stream(request('m'))))).toBe(UNICODE);
  });

  it('a last event without its blank line before the connection closes', async () => {
    const a = await upstream([`data: ${delta('end')}\n\n`, `data: ${finish}`]);
    const chunks = await collect(a.stream(request('m')));
    expect(deltaText(chunks)).toBe('end');
    expect(chunks.at(-1)).toEqual({ type: 'finish', finish_reason: 'stop' });
  });

  it('Gemini alt=sse with CRLF line ends, as Google sends them', async () => {
    const part = (text: string, finishReason?: string) =>
      JSON.stringify({ candidates: [{ content: { role: 'model', parts: [{ text }] }, ...(finishReason ? { finishReason } : {}), index: 0 }] });
    const a = await upstream([`data: ${part('Hel')}\r\n\r\n`, `data: ${part('lo')}\r\n\r\ndata: ${part('', 'STOP')}\r\n\r\n`], 'google');
    const chunks = await collect(a.stream(request('gemini-x')));
    expect(deltaText(chunks)).toBe('Hello');
    expect(chunks.at(-1)).toEqual({ type: 'finish', finish_reason: 'stop' });
  });
});
