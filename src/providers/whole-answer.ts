import type { Dispatcher } from 'undici';
import type { HeaderBag } from './retry-hint.js';

/** An HTTP answer read whole: its status, headers (lower-case names) and body as text. */
export interface WholeAnswer {
  status: number;
  headers: HeaderBag;
  text: string;
}

/**
 * Receives one HTTP exchange's answer whole, through undici's dispatch handler API
 * (`Dispatcher.dispatch`, https://undici.nodejs.org/#/docs/api/Dispatcher): the body's chunks are
 * kept as they arrive and joined once at the end. A non-streamed answer is parsed whole anyway,
 * so `Pool.request`'s layers — a response stream, an async resource, a caller-signal listener and
 * the body mixin's promise per request — bought nothing here. An error answer (status ≥ 300) is
 * read to `errorLimit` bytes at most, then the exchange is cut (never a memory hazard).
 */
export class WholeAnswerHandler implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | undefined;
  private status = 0;
  private headers: HeaderBag = {};
  private readonly chunks: Buffer[] = [];
  private size = 0;
  /** Set when the error body reached its limit and the exchange was cut on purpose. */
  private cut = false;
  private done = false;
  /** An abort asked for before undici started the request. */
  private reason: unknown;

  constructor(
    private readonly settle: (err: unknown, answer?: WholeAnswer) => void,
    private readonly onStart: ((headers: HeaderBag) => void) | undefined,
    private readonly errorLimit: number,
  ) {}

  /** Stops the exchange: it settles with `reason` (undici reports it as the error). */
  abort(reason: unknown): void {
    if (this.done) return;
    if (this.controller) this.controller.abort(reason as Error);
    else this.reason = reason ?? new Error('aborted');
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.reason !== undefined) controller.abort(this.reason as Error);
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>): void {
    // 1xx answers are informational: the real one follows.
    if (statusCode < 200) return;
    this.status = statusCode;
    this.headers = headers;
    try {
      this.onStart?.(headers);
    } catch (err) {
      controller.abort(err as Error);
    }
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.cut) return;
    this.chunks.push(chunk);
    this.size += chunk.length;
    if (this.status >= 300 && this.size >= this.errorLimit) {
      this.cut = true;
      controller.abort(new Error('error body read up to its limit'));
    }
  }

  onResponseEnd(): void {
    this.finish();
  }

  onResponseError(_controller: Dispatcher.DispatchController | undefined, err: Error): void {
    if (this.cut) this.finish();
    else if (!this.done) {
      this.done = true;
      this.settle(err);
    }
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    let body = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.size);
    if (this.cut) body = body.subarray(0, this.errorLimit);
    let text = body.toString('utf8');
    // An answer is decoded as the fetch body mixin's text() does (UTF-8 decode strips a leading byte order mark).
    if (this.status < 300 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    this.settle(null, { status: this.status, headers: this.headers, text });
  }
}
