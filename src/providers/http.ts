import { StringDecoder } from 'node:string_decoder';
import { createParser } from 'eventsource-parser';
import type { CallerSignal } from '../caller-signal.js';
import { pulled } from '../channel.js';
import { Pool } from '../undici-dispatchers.js';
import type { AttemptTimeouts } from './types.js';
import { AttemptScope } from './attempt-scope.js';
import type { HeaderBag } from './retry-hint.js';
import { malformedError, statusError, timeoutError } from './wire-errors.js';
import { AnswerHandler } from './answer-handler.js';
import { WholeAnswer, type WholeAnswerText } from './whole-answer.js';

/**
 * The HTTP layer every live adapter shares: one keep-alive undici Pool per provider
 * origin (and connect timeout), per-attempt timers tied to the caller's signal, and
 * every failure turned into a ProviderError by `wire-errors.ts` — or, when the
 * caller aborted, the caller's own `signal.reason`, rethrown untouched.
 */

/** Upstream error bodies are read only this far: enough to classify, never a memory hazard. */
const ERROR_BODY_LIMIT = 8 * 1024;

/** Where one provider lives and what every call to it carries. */
export interface HttpTarget {
  provider: string;
  baseUrl: string;
  headers?: Record<string, string>;
  /** Connections per origin; the gateway admits `rate_limits.max_concurrent` calls, so the pool matches it. */
  connections?: number;
}

/** One HTTP exchange of an attempt. `path` is appended to the base URL's path (`/chat/completions`). */
export interface HttpCall {
  method?: 'GET' | 'POST';
  path: string;
  body?: unknown;
  headers?: Record<string, string>;
  timeouts: AttemptTimeouts;
  /** The caller's cancellation: a gateway attempt's AttemptScope (the exchange then runs on its timer), or any other signal. */
  signal: CallerSignal;
  /** Called when the response headers arrive, with them (rate-limit windows are read from them). */
  onResponseStart?: (headers: HeaderBag) => void;
  /**
   * SSE only: whether a parsed event carries anything (text, a tool call, a finish...). An event
   * for which it answers false — a keep-alive chunk with an empty delta — does not restart the
   * first-token or idle timer, so a stream of nothing but those is still a stall. Default: every event counts.
   */
  progress?: (event: unknown) => boolean;
}

/** Marks the `data: [DONE]` terminator in an SSE stream. */
export const SSE_DONE = Symbol('sse-done');

/** Parsed JSON SSE events (malformed ones skipped), then `SSE_DONE` if the upstream sent it. */
export interface SseStream extends AsyncIterable<unknown> {
  /**
   * Reads the stream, handing each event to `onEvent` as it is parsed (synchronously, no promise per
   * event). Resolves when the stream ended (after `[DONE]`, once the rest drained or went quiet);
   * rejects with the wire's error as a ProviderError (or the caller's abort reason), or with what
   * `onEvent` threw, untouched — which also ends the request. A stream is read once.
   */
  read(onEvent: (event: unknown) => void): Promise<void>;
  /**
   * Called once the upstream has signalled the end (a finish reason): if it then goes silent
   * for `graceMs` the stream ends quietly instead of waiting for the idle timeout.
   */
  finishing(graceMs: number): void;
  /** Data lines that were not valid JSON and were dropped. */
  readonly skipped: number;
}

/**
 * What `sse` returns, which is also its state (`graceMs`, `skipped`): a class instance, since an object
 * literal with a getter or a computed key (`get skipped()`, `[Symbol.asyncIterator]`) is built on V8's
 * slow path, ~1 µs per stream against ~50 ns.
 */
class SseRead implements SseStream {
  graceMs = 0;
  skipped = 0;
  read!: (onEvent: (event: unknown) => void) => Promise<void>;
  /** Ends the exchange of an iterating reader that stopped early. */
  stop!: () => void;

  constructor(private readonly idleMs: number) {}

  [Symbol.asyncIterator](): AsyncIterableIterator<unknown> {
    return pulled<unknown>((push) => this.read(push), this.stop);
  }

  finishing(graceMs: number): void {
    this.graceMs = Math.max(1, Math.min(graceMs, this.idleMs));
  }
}

const parseMaybe = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return text.slice(0, 500);
  }
};

/** A response body that must be one JSON document, parsed; else throws a malformed error saying `what` (and the body's length). */
function parseJsonBody(provider: string, text: string, what = 'invalid JSON body'): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw malformedError(provider, `${what} (${text.length} bytes)`);
  }
}

/** True when the response is declared JSON (`application/json`, `application/problem+json`...), not an event stream. */
function isJsonResponse(headers: HeaderBag): boolean {
  const type = headers['content-type'];
  const value = (Array.isArray(type) ? type[0] : type)?.toLowerCase() ?? '';
  return /^application\/([\w.+-]*\+)?json\b/.test(value);
}

/**
 * Runs `exchange` in the attempt scope `signal` is, or, outside a gateway attempt, in a scope of its own
 * (the caller's signal, and `total_ms` as its deadline: a `total_timeout` then).
 */
function inScope<T>(provider: string, signal: CallerSignal, totalMs: number, exchange: (scope: AttemptScope) => Promise<T>): Promise<T> {
  if (signal instanceof AttemptScope) return exchange(signal);
  return new AttemptScope(signal, Date.now() + totalMs, () => timeoutError(provider, 'total_timeout', totalMs)).run(exchange);
}

/**
 * One JSON exchange (`HttpClient.json`): its answer read whole (WholeAnswer), due within response_ms of the
 * request — until the headers come, undici's headersTimeout applies; then the rest of the answer is due by
 * the same time, armed on the attempt's scope (an attempt that ends sooner needs no limit of the exchange's
 * own) — then parsed and read into the caller's value as it settles.
 */
class JsonExchange extends WholeAnswer {
  /** When the whole answer is due (Date.now ms), or undefined when the attempt's own deadline comes first. */
  private readonly dueAt: number | undefined;

  constructor(
    private readonly provider: string,
    private readonly scope: AttemptScope,
    private readonly call: HttpCall,
    private readonly read: ((payload: unknown) => unknown) | undefined,
    private readonly resolve: (value: unknown) => void,
    private readonly reject: (reason: unknown) => void,
    private readonly responseMs: number,
  ) {
    super(undefined, ERROR_BODY_LIMIT);
    const dueAt = Date.now() + responseMs;
    this.dueAt = scope.deadline > dueAt ? dueAt : undefined;
    if (this.dueAt !== undefined) scope.expect(this.dueAt);
  }

  protected override started(headers: HeaderBag): void {
    if (this.dueAt !== undefined) this.scope.arm('first_byte_timeout', this.dueAt - Date.now(), this.responseMs);
    this.call.onResponseStart?.(headers);
  }

  protected override settled(err: unknown, answer?: WholeAnswerText): void {
    const { scope, provider, reject } = this;
    scope.dispose();
    if (err !== null) return reject(scope.translate(provider, err));
    const { status, text } = answer!;
    if (status >= 300) return reject(scope.translate(provider, statusError(provider, status, parseMaybe(text), answer!.headers)));
    let value: unknown;
    try {
      value = parseJsonBody(provider, text);
    } catch (malformed) {
      return reject(scope.translate(provider, malformed));
    }
    if (this.read === undefined) return this.resolve(value);
    try {
      this.resolve(this.read(value));
    } catch (refused) {
      reject(refused);
    }
  }
}

/** A keep-alive HTTP client for one provider; create once per adapter, `close()` on shutdown. */
export class HttpClient {
  private readonly origin: string;
  private readonly basePath: string;
  private readonly pools = new Map<number, Pool>();
  /** The headers of a JSON exchange with a body and no headers of its own: built once. */
  private readonly jsonHeaders: Record<string, string>;
  /** The headers of an event-stream request with a body and no headers of its own: built once. */
  private readonly sseHeaders: Record<string, string>;

  constructor(private readonly target: HttpTarget) {
    const url = new URL(target.baseUrl);
    this.origin = url.origin;
    this.basePath = url.pathname.replace(/\/+$/, '');
    this.jsonHeaders = { accept: 'application/json', ...target.headers, 'content-type': 'application/json' };
    this.sseHeaders = { accept: 'text/event-stream', ...target.headers, 'content-type': 'application/json' };
  }

  get provider(): string {
    return this.target.provider;
  }

  /** Pools are keyed by connect timeout because undici fixes it per connection pool. */
  private pool(connectMs: number): Pool {
    let pool = this.pools.get(connectMs);
    if (!pool) {
      pool = new Pool(this.origin, {
        connections: this.target.connections ?? 256,
        connectTimeout: connectMs,
        keepAliveTimeout: 30_000,
        keepAliveMaxTimeout: 600_000,
      });
      this.pools.set(connectMs, pool);
    }
    return pool;
  }

  /**
   * A request whose answer is one JSON document (non-stream calls, polls), parsed once. The whole
   * answer is due within response_ms of the request (its headers come with the finished answer),
   * also when the headers came early and the body trickles (OpenRouter keeps a slow non-streamed
   * answer alive with whitespace); and within total_ms. The exchange runs in its gateway attempt's
   * AttemptScope (its signal is one): the attempt's timer and caller listener serve the exchange too,
   * no controller, listener or timer of its own (the attempt's timer is set for response_ms, so the
   * limit armed at the headers moves nothing), and no limit armed when the attempt ends sooner.
   */
  json(call: HttpCall): Promise<unknown>;
  /** `read` turns the parsed document into the answer, in the same turn (no promise of its own); what it throws rejects as it is. */
  json<T>(call: HttpCall, read: (payload: unknown) => T): Promise<T>;
  json(call: HttpCall, read?: (payload: unknown) => unknown): Promise<unknown> {
    const signal = call.signal;
    if (signal instanceof AttemptScope) return this.exchangeJson(call, signal, read);
    return inScope(this.provider, signal, call.timeouts.total_ms, (scope) => this.exchangeJson(call, scope, read));
  }

  private exchangeJson(call: HttpCall, scope: AttemptScope, read: ((payload: unknown) => unknown) | undefined): Promise<unknown> {
    if (scope.aborted) return Promise.reject(scope.reason);
    const { timeouts } = call;
    const responseMs = Math.min(timeouts.response_ms ?? timeouts.first_byte_ms, timeouts.total_ms);
    return new Promise<unknown>((resolve, reject) => {
      // The exchange's state and its answer's sink are one object (no closures per exchange).
      const exchange = new JsonExchange(this.provider, scope, call, read, resolve, reject, responseMs);
      const handler = new AnswerHandler(exchange);
      let body: string | undefined;
      try {
        body = call.body === undefined ? undefined : JSON.stringify(call.body);
      } catch (err) {
        return exchange.end(err);
      }
      const headers = exchangeHeaders('application/json', this.jsonHeaders, this.target.headers, call.headers, body);
      scope.exchange = handler;
      this.pool(timeouts.connect_ms).dispatch(
        {
          path: this.basePath + call.path,
          method: call.method ?? (body === undefined ? 'GET' : 'POST'),
          headers,
          body,
          headersTimeout: Math.max(1, responseMs),
          bodyTimeout: timeouts.stream_idle_ms,
        },
        handler,
      );
    });
  }

  /**
   * A server-sent-events request. The first event must arrive within `first_byte_ms`
   * of the request, each later one within `stream_idle_ms` of the previous (events that
   * carry nothing, per `call.progress`, and malformed ones do not count). Read it once, either
   * pushed (`read`: each event handed to a callback as it is parsed, no promise per event) or
   * iterated; an iterating consumer that is slow does not make the upstream look stalled,
   * since the events are read as they come and wait in a queue.
   *
   * The answer is read through undici's dispatch API (AnswerHandler): each socket read is
   * decoded, parsed and handed on in the call that received it. As for `json`, the exchange runs in
   * its attempt's AttemptScope (or one of its own outside a gateway attempt): its limits are armed on
   * the scope's one timer, which aborts the exchange.
   */
  sse(call: HttpCall): SseStream {
    const provider = this.provider;
    const { first_byte_ms, stream_idle_ms } = call.timeouts;
    const state = new SseRead(stream_idle_ms);
    const drainMs = Math.min(1000, stream_idle_ms);
    let reading = false;
    /** The exchange being read: an iterating reader that stops early ends it. */
    let exchange: AnswerHandler | undefined;
    const pool = this.pool(call.timeouts.connect_ms);
    const path = this.basePath + call.path;
    const sseHeaders = this.sseHeaders;
    const target = this.target;

    const read = (onEvent: (event: unknown) => void): Promise<void> => {
      if (reading) return Promise.reject(new Error('an SSE stream is read once'));
      reading = true;
      return inScope(provider, call.signal, call.timeouts.total_ms, (scope) => readIn(scope, onEvent));
    };

    const readIn = (scope: AttemptScope, onEvent: (event: unknown) => void): Promise<void> => {
      if (scope.aborted) return Promise.reject(scope.reason);
      const startedAt = Date.now();
      return new Promise<void>((resolve, reject) => {
        /** What `onEvent` threw: it ends the read and is rethrown as it is (not a wire error). */
        let refused: { error: unknown } | undefined;
        const deliver = (event: unknown): boolean => {
          try {
            onEvent(event);
            return true;
          } catch (error) {
            refused = { error };
            return false;
          }
        };
        /** The answer read whole instead of as events: an error answer (status ≥ 300, its body read to ERROR_BODY_LIMIT) or one JSON document. */
        let whole: WholeAnswer | undefined;
        // node's StringDecoder keeps a character split across reads, as TextDecoder's stream mode does, at
        // a third of its cost per read; the byte-order mark TextDecoder drops is dropped below.
        const decoder = new StringDecoder('utf8');
        let opening = true;
        const text = (decoded: string): string => {
          if (!opening || decoded.length === 0) return decoded;
          opening = false;
          return decoded.charCodeAt(0) === 0xfeff ? decoded.slice(1) : decoded;
        };
        // The event-stream format (WHATWG HTML §9.2.6) is parsed by eventsource-parser: CR, LF and
        // CRLF line ends, comments, `data:` with or without its space, multi-line data, any chunking.
        const pending: string[] = [];
        const parser = createParser({ onEvent: (event) => pending.push(event.data) });
        let started = false;
        let done = false;
        // first_byte_ms runs from the request to the first event, headers included.
        const firstEventMs = () => Math.max(1, first_byte_ms - (Date.now() - startedAt));
        const rearm = () =>
          state.graceMs > 0
            ? scope.arm('grace', state.graceMs)
            : started
              ? scope.arm('stream_idle_timeout', stream_idle_ms)
              : scope.arm('first_byte_timeout', firstEventMs(), first_byte_ms);
        /** After [DONE], the rest of the body is drained briefly so the connection can be reused; an end in the same read arms nothing. */
        const drain = () => {
          if (!handler.ended) scope.arm('grace', drainMs);
        };
        /**
         * Hands the events parsed so far to `onEvent`: JSON payloads, then SSE_DONE at `[DONE]` (after
         * which nothing more is delivered). The timer moves once per upstream read that carried progress
         * (the events of one read are handled in one go, so that is the last one's time). False when
         * `onEvent` threw.
         */
        const handOn = (live: boolean): boolean => {
          let progressed = false;
          for (let i = 0; i < pending.length; i++) {
            const payload = pending[i]!;
            if (payload === '[DONE]') {
              pending.length = 0;
              started = true;
              scope.disarm();
              done = true;
              if (!deliver(SSE_DONE)) return false;
              if (live) queueMicrotask(drain);
              return true;
            }
            let value: unknown;
            try {
              value = JSON.parse(payload);
            } catch {
              // Skipped; the running timer keeps running (garbage is no progress).
              state.skipped++;
              continue;
            }
            // A keep-alive (no progress per `call.progress`) is passed on, but the running timer keeps running.
            if (!call.progress || call.progress(value)) progressed = started = true;
            if (!deliver(value)) {
              pending.length = 0;
              return false;
            }
          }
          pending.length = 0;
          if (live && progressed) rearm();
          return true;
        };
        /** The event stream's end: an upstream that closes without the blank line ending its last event still sent that event. */
        const lastEvent = (): void => {
          if (done) return;
          parser.feed(`${text(decoder.end())}\n\n`);
          handOn(false);
        };
        /** An answer that came whole: an error answer's status error, or a JSON document's element(s) as the events. */
        const wholeEvents = (answer: WholeAnswerText): void => {
          if (answer.status >= 300) throw statusError(provider, answer.status, parseMaybe(answer.text), answer.headers);
          scope.disarm();
          const doc = parseJsonBody(provider, answer.text, 'a stream answered with an invalid JSON body');
          for (const event of Array.isArray(doc) ? doc : [doc]) if (!deliver(event)) return;
        };
        /** The exchange is over (`err` null when the body ended): `last` hands on what its end still holds. */
        const close = (err: unknown, last: () => void): void => {
          scope.dispose();
          exchange = undefined;
          if (refused) return reject(refused.error);
          if (err !== null) {
            // A quiet end after the finish reason (or [DONE]) is the upstream forgetting to close, not a failure.
            if (scope.fired?.code === 'grace' && !scope.aborted) return resolve();
            return reject(scope.translate(provider, err));
          }
          let failure: { error: unknown } | undefined;
          try {
            last();
          } catch (error) {
            failure = { error };
          }
          // last() hands the last events on: what the reader refused wins over a wire error.
          const refusal = refused as { error: unknown } | undefined;
          if (refusal) reject(refusal.error);
          else if (failure) reject(scope.translate(provider, failure.error));
          else resolve();
        };
        const handler = new AnswerHandler({
          start: (code, headers) => {
            call.onResponseStart?.(headers);
            if (code < 300 && !isJsonResponse(headers)) return rearm();
            // An error answer, or one JSON document instead of an event stream (an error in a 200, or a whole
            // answer from a server that ignores `stream`): read whole, its element(s) are the events, due within first_byte_ms.
            whole = new WholeAnswer((err, answer) => close(err, () => wholeEvents(answer!)), ERROR_BODY_LIMIT);
            whole.start(code, headers);
            if (code < 300) scope.arm('first_byte_timeout', firstEventMs(), first_byte_ms);
          },
          data: (chunk) => {
            if (whole) return whole.data(chunk);
            // After [DONE] the rest of the body is drained (briefly) so the connection can be reused.
            if (done || refused) return;
            parser.feed(text(decoder.write(chunk)));
            // No more events for a consumer that refused one: the request ends here (the handler aborts it).
            if (!handOn(true)) throw refused!.error;
          },
          end: (err) => (whole ? whole.end(err) : close(err, lastEvent)),
        });
        exchange = handler;
        let body: string | undefined;
        try {
          body = call.body === undefined ? undefined : JSON.stringify(call.body);
        } catch (err) {
          handler.onResponseError(undefined, err as Error);
          return;
        }
        const headers = exchangeHeaders('text/event-stream', sseHeaders, target.headers, call.headers, body);
        // The first event's limit is armed when the headers come: the scope's one timer is due no later already.
        scope.expect(startedAt + first_byte_ms);
        scope.exchange = handler;
        pool.dispatch(
          {
            path,
            method: call.method ?? (body === undefined ? 'GET' : 'POST'),
            headers,
            body,
            headersTimeout: first_byte_ms,
            bodyTimeout: Math.max(first_byte_ms, stream_idle_ms) + 1000,
          },
          handler,
        );
      });
    };

    state.read = read;
    state.stop = () => exchange?.abort(new Error('the reader stopped reading'));
    return state;
  }

  async close(): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((p) => p.close().catch(() => p.destroy())));
  }
}

/**
 * An exchange's request headers: `prebuilt` (built once per client) when the call sends a body and has no
 * headers of its own; else `accept`, the target's and the call's headers, with a JSON content-type when
 * there is a body.
 */
function exchangeHeaders(
  accept: string,
  prebuilt: Record<string, string>,
  targetHeaders: Record<string, string> | undefined,
  own: Record<string, string> | undefined,
  body: unknown,
): Record<string, string> {
  if (!own && body !== undefined) return prebuilt;
  const headers: Record<string, string> = { accept, ...targetHeaders, ...own };
  if (body !== undefined) headers['content-type'] = 'application/json';
  return headers;
}
