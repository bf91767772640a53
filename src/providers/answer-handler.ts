import type { Dispatcher } from 'undici';
import type { HeaderBag } from './retry-hint.js';

/** What an answer is handed, in order: its head, each body chunk as it arrives, then its end. */
export interface AnswerSink {
  /** The status and headers (lower-case names) of the final answer; a throw ends the exchange with that error. */
  start(status: number, headers: HeaderBag): void;
  /** One body chunk as it came off the socket; a throw ends the exchange with that error. */
  data(chunk: Buffer): void;
  /** Once: `null` when the body ended, else why the exchange failed (what `abort` was given, a throw of the sink, or undici's error). */
  end(err: unknown): void;
}

/**
 * Receives one HTTP exchange's answer through undici's dispatch handler API
 * (`Dispatcher.dispatch`, https://undici.nodejs.org/#/docs/api/Dispatcher): the head and each body
 * chunk go to the sink synchronously, from the socket read that carried them. An event stream is
 * parsed in the same call (http.ts `sse`), an answer read whole is joined once at its end
 * (whole-answer.ts), so `Pool.request`'s layers — a response stream (its buffer, 'data' / 'end' /
 * 'close' events and their ticks), an async resource, a listener on the caller's signal, the promise
 * of the response and the body mixin's promise — bought nothing for either.
 */
export class AnswerHandler implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | undefined;
  private done = false;
  /** An abort asked for before undici started the request. */
  private reason: unknown;

  constructor(private readonly sink: AnswerSink) {}

  /** True once the sink has had its end. */
  get ended(): boolean {
    return this.done;
  }

  /** Stops the exchange: the sink ends with `reason` (undici reports it as the error). */
  abort(reason: unknown): void {
    if (this.done) return;
    if (this.controller) this.controller.abort((reason ?? new Error('aborted')) as Error);
    else this.reason = reason ?? new Error('aborted');
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.reason !== undefined) controller.abort(this.reason as Error);
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>): void {
    // 1xx answers are informational: the real one follows.
    if (statusCode < 200 || this.done) return;
    try {
      this.sink.start(statusCode, headers);
    } catch (err) {
      controller.abort(err as Error);
    }
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.done) return;
    try {
      this.sink.data(chunk);
    } catch (err) {
      controller.abort(err as Error);
    }
  }

  onResponseEnd(): void {
    if (this.done) return;
    this.done = true;
    this.sink.end(null);
  }

  onResponseError(_controller: Dispatcher.DispatchController | undefined, err: Error): void {
    if (this.done) return;
    this.done = true;
    this.sink.end(err);
  }
}
