/**
 * A small Server-Sent Events parser (the WHATWG event-stream format): enough
 * for the orchestrator's named events, comments (keep-alives) and multi-line
 * data, with chunks split anywhere — even inside a CRLF pair.
 */

/** One dispatched event. `event` is `message` when the stream named none. */
export interface SseEvent {
  event: string;
  data: string;
  id?: string;
}

/** Incremental parser: feed it text as it arrives, it returns the events completed so far. */
export class SseParser {
  private buffer = '';
  private eventName = '';
  private dataLines: string[] = [];
  private lastId: string | undefined;
  private sawData = false;
  private started = false;
  /** A chunk ended on `\r`: a following `\n` belongs to the same line break. */
  private pendingCr = false;

  /** Parses a chunk of text and returns every event it completed. */
  feed(chunk: string): SseEvent[] {
    if (chunk === '') return [];
    let text = chunk;
    if (this.pendingCr && text.startsWith('\n')) text = text.slice(1);
    this.pendingCr = false;
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    this.buffer += text;
    const events: SseEvent[] = [];
    const lineBreak = /\r\n|\r|\n/g;
    let start = 0;
    for (let match = lineBreak.exec(this.buffer); match; match = lineBreak.exec(this.buffer)) {
      // A lone trailing `\r` may be the first half of `\r\n`: keep it as a break, skip a leading `\n` next time.
      if (match[0] === '\r' && match.index === this.buffer.length - 1) this.pendingCr = true;
      const event = this.line(this.buffer.slice(start, match.index));
      if (event) events.push(event);
      start = match.index + match[0].length;
    }
    this.buffer = this.buffer.slice(start);
    return events;
  }

  /** Call at end of stream: a final event without its blank line is dropped, as the spec says. */
  end(): SseEvent[] {
    this.buffer = '';
    this.reset();
    return [];
  }

  private line(line: string): SseEvent | null {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return null;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.eventName = value;
    else if (field === 'data') {
      this.dataLines.push(value);
      this.sawData = true;
    } else if (field === 'id' && !value.includes('\0')) this.lastId = value;
    return null;
  }

  private dispatch(): SseEvent | null {
    if (!this.sawData) {
      this.eventName = '';
      return null;
    }
    const event: SseEvent = { event: this.eventName || 'message', data: this.dataLines.join('\n') };
    if (this.lastId !== undefined) event.id = this.lastId;
    this.reset();
    return event;
  }

  private reset(): void {
    this.eventName = '';
    this.dataLines = [];
    this.sawData = false;
  }
}

/** Reads a byte stream (a fetch body) as SSE events, decoding UTF-8 across chunk boundaries. */
export async function* readSse(body: AsyncIterable<Uint8Array>): AsyncGenerator<SseEvent> {
  const decoder = new TextDecoder('utf-8');
  const parser = new SseParser();
  for await (const bytes of body) {
    yield* parser.feed(decoder.decode(bytes, { stream: true }));
  }
  yield* parser.feed(decoder.decode());
  parser.end();
}
