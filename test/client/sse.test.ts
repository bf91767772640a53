import { describe, expect, it } from 'vitest';
import { readSse, SseParser, type SseEvent } from '../../scripts/test-client/sse.js';

function parseAll(chunks: string[]): SseEvent[] {
  const parser = new SseParser();
  return chunks.flatMap((c) => parser.feed(c));
}

describe('SSE parser', () => {
  it('reads named events with JSON data', () => {
    const events = parseAll(['event: task_started\ndata: {"run_id":"r1","task":{"id":"a"}}\n\nevent: completed\ndata: {"status":"completed"}\n\n']);
    expect(events).toEqual([
      { event: 'task_started', data: '{"run_id":"r1","task":{"id":"a"}}' },
      { event: 'completed', data: '{"status":"completed"}' },
    ]);
  });

  it('names an event without an event field "message"', () => {
    expect(parseAll(['data: hello\n\n'])).toEqual([{ event: 'message', data: 'hello' }]);
  });

  it('gives the same events however the text is split into chunks', () => {
    const text = 'event: token\ndata: {"delta":"Hel"}\n\nevent: token\r\ndata: {"delta":"lo"}\r\n\r\n: keep-alive\n\nevent: completed\rdata: {}\r\r';
    const whole = parseAll([text]);
    expect(whole).toHaveLength(3);
    for (let size = 1; size <= 7; size++) {
      const chunks: string[] = [];
      for (let i = 0; i < text.length; i += size) chunks.push(text.slice(i, i + size));
      expect(parseAll(chunks)).toEqual(whole);
    }
  });

  it('treats a CRLF split across two chunks as one line break, not two', () => {
    expect(parseAll(['data: a\r', '\ndata: b\r', '\n\r', '\n'])).toEqual([{ event: 'message', data: 'a\nb' }]);
  });

  it('joins multi-line data with newlines and strips only one leading space', () => {
    expect(parseAll(['data: line one\ndata:  indented\ndata\n\n'])).toEqual([{ event: 'message', data: 'line one\n indented\n' }]);
  });

  it('ignores comments (keep-alives), unknown fields and blank lines without data', () => {
    expect(parseAll([': keep-alive\n\nretry: 1000\nfoo: bar\n\n\n', 'event: x\n\n'])).toEqual([]);
  });

  it('does not leak an event name into the next event after a dispatch without data', () => {
    expect(parseAll(['event: ghost\n\ndata: real\n\n'])).toEqual([{ event: 'message', data: 'real' }]);
  });

  it('keeps the last id and strips a leading byte-order mark', () => {
    expect(parseAll(['\uFEFFid: 7\nevent: a\ndata: 1\n\nevent: b\ndata: 2\n\n'])).toEqual([
      { event: 'a', data: '1', id: '7' },
      { event: 'b', data: '2', id: '7' },
    ]);
  });

  it('drops an event whose terminating blank line never arrived', async () => {
    const parser = new SseParser();
    expect(parser.feed('event: partial\ndata: x\n')).toEqual([]);
    expect(parser.end()).toEqual([]);
  });

  it('decodes UTF-8 split inside a multi-byte character when reading a byte stream', async () => {
    const bytes = new TextEncoder().encode('event: token\ndata: {"delta":"héllo ✓"}\n\n');
    const body = (async function* () {
      for (const b of bytes) yield new Uint8Array([b]);
    })();
    const events: SseEvent[] = [];
    for await (const e of readSse(body)) events.push(e);
    expect(events).toEqual([{ event: 'token', data: '{"delta":"héllo ✓"}' }]);
  });
});
