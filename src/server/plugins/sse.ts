import type { ServerResponse } from 'node:http';
import type { FastifyReply } from 'fastify';

/** An open Server-Sent Events response. */
export interface SseStream {
  /** Writes `event: <name>` with `data: <json>`; a no-op once the stream has ended or the client left. */
  send(event: string, data: object): void;
  /** Writes the one terminal event (`completed` or `error`) and ends the response. */
  end(event: 'completed' | 'error', data: object): void;
  /** True once the client went away or the stream ended. */
  readonly closed: boolean;
}

/**
 * Takes the response over from Fastify and writes event-stream headers: the
 * reply's headers so far (x-request-id, security headers) plus the SSE ones,
 * with proxy buffering off. Shared by the named-event streams and the OpenAI one.
 */
export function hijackForEventStream(reply: FastifyReply): FastifyReply['raw'] {
  reply.hijack();
  // getHeaders() is a fresh object: the SSE headers are set on it rather than spread into another
  // (spreading an object of ~15 headers again cost ~5 µs per stream, against ~0.4 µs).
  const headers = reply.getHeaders() as Record<string, string>;
  headers['content-type'] = 'text/event-stream; charset=utf-8';
  headers['cache-control'] = 'no-cache';
  headers.connection = 'keep-alive';
  headers['x-accel-buffering'] = 'no';
  reply.raw.writeHead(200, headers);
  return reply.raw;
}

/**
 * Opens a named-event stream on the reply (see `hijackForEventStream`): the reply's
 * headers so far (x-request-id, security headers) plus the SSE ones, and a
 * `: keep-alive` comment every `keepAliveMs` so proxies do not close a quiet stream.
 */
export function openSse(reply: FastifyReply, keepAliveMs: number): SseStream {
  return new NamedEventStream(hijackForEventStream(reply), keepAliveMs);
}

/** The SseStream openSse returns (a class: an object literal with a getter is built on V8's slow path, ~1 µs per stream). */
class NamedEventStream implements SseStream {
  // Events sent in one turn of the event loop leave in one socket write (EventStreamWriter), which also keeps the stream alive.
  private readonly out: EventStreamWriter;
  private ended = false;
  private readonly stop = (): void => {
    this.ended = true;
    this.out.stopKeepAlive();
  };

  constructor(
    private readonly raw: ServerResponse,
    keepAliveMs: number,
  ) {
    this.out = new EventStreamWriter(raw, keepAliveMs);
    raw.once('close', this.stop);
  }

  send(event: string, data: object): void {
    if (this.ended || !this.out.open) return;
    this.out.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  end(event: 'completed' | 'error', data: object): void {
    this.send(event, data);
    this.stop();
    this.out.end();
  }

  get closed(): boolean {
    return this.ended || this.raw.destroyed;
  }
}

/**
 * Writes an event stream to a taken-over response, one socket write per turn of the event loop:
 * what is written within one turn (the events one upstream read carried, a finish chunk with its
 * usage and `[DONE]`) is joined and written at `setImmediate`, so a streamed answer costs one
 * `writev` per upstream read instead of one per event (each write system call is the dearest item
 * of a streamed request's profile; see BENCHMARKS.md, issue 18 second pass). `end` writes what is
 * left with the response's end, in the same call. Writes after the end, or once the client left,
 * are dropped. `drained()` is the backpressure: it resolves at once unless the socket's buffer is
 * full, else when it has drained (or the response closed).
 *
 * With `keepAliveMs`, a `: keep-alive` comment is written that often while the response is open, so
 * proxies do not close a quiet stream. Its interval is armed one turn after the writer is made (at
 * the first flush), not at once: an answer that is written and ended within that turn, as a streamed
 * answer read in one upstream read is, never had a timer. (An interval armed and cleared in one turn
 * still cost node a timer list made and dropped per stream: the duration's list is deleted once empty.)
 */
export class EventStreamWriter {
  private pending = '';
  private scheduled: NodeJS.Immediate | undefined;
  private keepAlive: NodeJS.Timeout | undefined;

  constructor(
    private readonly raw: ServerResponse,
    private keepAliveMs?: number,
  ) {
    if (keepAliveMs !== undefined) this.scheduled = setImmediate(this.flush);
  }

  /** False once the response ended or the client went away. */
  get open(): boolean {
    return !this.raw.writableEnded && !this.raw.destroyed;
  }

  write(text: string): void {
    if (!this.open) return;
    this.pending += text;
    this.scheduled ??= setImmediate(this.flush);
  }

  /** Writes what is pending (and `text`) and ends the response. */
  end(text = ''): void {
    this.stopKeepAlive();
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    const rest = this.pending + text;
    this.pending = '';
    if (this.raw.writableEnded) return;
    if (rest.length > 0 && !this.raw.destroyed) this.raw.end(rest);
    else this.raw.end();
  }

  /** Resolves when the client can take more: at once, or after the socket's buffer drained or the response closed. */
  drained(): Promise<void> | undefined {
    const raw = this.raw;
    if (!raw.writableNeedDrain || !this.open) return undefined;
    return new Promise((resolve) => {
      const done = () => {
        raw.off('drain', done);
        raw.off('close', done);
        resolve();
      };
      raw.on('drain', done);
      raw.on('close', done);
    });
  }

  /** No more keep-alive comments (the response closed or ended). */
  stopKeepAlive(): void {
    this.keepAliveMs = undefined;
    clearInterval(this.keepAlive);
    this.keepAlive = undefined;
  }

  private readonly flush = (): void => {
    this.scheduled = undefined;
    const text = this.pending;
    this.pending = '';
    if (!this.open) return;
    if (text.length > 0) this.raw.write(text);
    if (this.keepAliveMs !== undefined && this.keepAlive === undefined) this.keepAlive = setInterval(this.ping, this.keepAliveMs);
  };

  private readonly ping = (): void => this.write(': keep-alive\n\n');
}
