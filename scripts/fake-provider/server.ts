/**
 * A fault-injecting fake upstream for tests and benchmarks, on plain node:http.
 *
 * Dialects
 *   OpenAI:  POST /v1/chat/completions (or /chat/completions), GET /v1/models
 *   Google:  POST /v1beta/models/{model}:generateContent | :streamGenerateContent?alt=sse
 *            | :predict (Imagen) | :predictLongRunning (Veo) ; GET /v1beta/operations/{id} (poll)
 * Answers echo the request: `echo: <first 200 chars of the last user message>`
 * (`{"echo": "..."}` in JSON mode); with a prefill (trailing assistant / model turn) only
 * the continuation is returned. A request offering tools gets a tool call instead (the forced
 * tool, else the first; both wires, streamed and not), and after a tool result the answer is
 * `tool result: <result>` (see tools.ts). Every answer carries usage. Every request is recorded in
 * `attempts` — including failed ones — with its arrival time, path, model, faults and headers.
 *
 * Fault syntax: a model prefix `fault:<spec>/<real model>` and/or the header
 * `x-fake-fault: <spec>`. A spec is one or more faults joined by `+`, each `name` or
 * `name_<n>` with a numeric parameter, e.g. `fault:latency_50+stream_cut_2/gpt-x`.
 *   rate_limit                  429 without Retry-After
 *   rate_limit_retry_after_<s>  429 with `Retry-After: <s>` (seconds)
 *   rate_limit_retry_date_<s>   429 with Retry-After as an HTTP date <s> seconds ahead
 *   rate_limit_once_<s>         429 with `Retry-After: <s>` (default 1) the first time per key, then healthy
 *   rate_limit_retry_after_ms_<ms>  429 with `retry-after-ms: <ms>`
 *   rate_limit_reset_<ms>       429 with x-ratelimit-remaining-requests 0 and x-ratelimit-reset-requests <ms> (Go duration)
 *   rate_limit_retry_info_<ms>  429 RESOURCE_EXHAUSTED with google.rpc.RetryInfo retryDelay <ms>
 *   insufficient_quota          429 OpenAI insufficient_quota      credits     402 OpenRouter "requires more credits"
 *   overloaded                  Anthropic 529 overloaded_error (Google: 503 "The model is overloaded")
 *   context_relay               400 OpenRouter relaying Anthropic's context overflow in metadata.raw
 *   abnormal_finish             200 whose finish reason is abnormal (OpenAI `error`, Gemini `OTHER`)
 *   truncated                   200 ending at the token limit (`length` / `MAX_TOKENS`)
 *   empty_answer                200 with no text (stream: no deltas), finish `stop`
 *   empty_candidates            200 with `choices: []` / `candidates: []`
 *   choice_error                OpenAI: 200 with an empty message, finish_reason `error` and `choices[0].error` (OpenRouter)
 *   midstream_error_<n>         stream: <n> chunks, then an error chunk (OpenRouter: with finish_reason `error`, then [DONE])
 *   line_cr / line_crlf         stream: SSE lines end with a lone CR / with CRLF
 *   data_nospace                stream: `data:` without the space      sse_comments  comments, event:, id:, retry: lines
 *   byte_split                  stream: every byte in its own packet (UTF-8 characters split across packets)
 *   window_spent_<ms>           any answer carries x-ratelimit-remaining-requests 0 and x-ratelimit-reset-requests <ms>ms
 *   fail_once                   500 the first time per key, then healthy
 *   fail_times_<n>              500 the first <n> times per key, then healthy
 *   fail_percent_<n>            500 for <n> % of the requests per key, spread evenly (3 of every 10 for 30)
 *   server_error                500 always          unavailable    503 always
 *   unavailable_retry_after_<s> 503 with `Retry-After: <s>`
 *   auth                        401                 forbidden      403          not_found  404
 *   reset                       socket destroyed before any response headers
 *   reset_once                  like reset the first time per key, then healthy
 *   no_response                 never answers (the client must time out)
 *   slow_first_token_<ms>       waits before the answer (stream: after the headers, before the first chunk)
 *   latency_<ms>                fixed latency for this request (also header `x-fake-latency-ms`)
 *   chunk_delay_<ms>            pause between stream chunks
 *   stream_cut_<n>              stream: <n> chunks, then the socket is destroyed
 *   stream_stall_<n>            stream: <n> chunks, then silence with the connection open
 *   word_chunks                 stream: one chunk per word (so stream_cut_<n> / stream_stall_<n> count words)
 *   malformed_chunk             stream: one garbage `data:` line after the first chunk
 *   missing_done                stream: finish (and usage) chunks, then the end without [DONE]
 *   missing_done_hang           stream: finish (and usage) chunks, then silence without [DONE]
 *   no_finish                   stream: chunks, then the end without finish_reason nor [DONE]
 *   malformed_body              non-stream: 200 with a truncated JSON body
 *   context_length              400 context_length_exceeded (Google: INVALID_ARGUMENT token count)
 *   content_filter              OpenAI: 400 code content_filter; Gemini: finishReason SAFETY; Imagen: filtered
 *   reject_prefill              400 prefill_unsupported when the last message is the assistant's
 *   ignore_prefill              a prefill is ignored: the whole answer comes again from its beginning
 *   reword                      the answer is `reworded: ...` instead of `echo: ...` (a different answer)
 *   unavailable_model           503 whose body names the model (error.model and a top-level `model`)
 *   flap_<ms>                   503 for <ms> from the first sighting of the key, then healthy
 *   veo_polls_<n>               Veo: the operation is done at the <n>th poll (default 3)
 *   operation_error_<code>      Veo: the operation ends with `error.code` <code> (default 13)
 * A key is the fault spec + the model string as sent + the optional `x-fake-key` header.
 * `setDown(model, true)` answers 503 for a model (as sent, or its real id) until `setDown(model, false)`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sendError, sendJson, sleep, type Dialect, type Exchange } from './exchange.js';
import { Faults, FaultState, faultSpec, splitModel } from './faults.js';
import { answerGemini, answerImagen, googleHasPrefill, Operations } from './google.js';
import { answerOpenAi, openAiHasPrefill, openAiModels } from './openai.js';

/** One request the fake saw. */
export interface FakeAttempt {
  at: number;
  path: string;
  /** The model string as sent (fault prefix included). */
  model: string;
  fault: string | null;
  stream: boolean;
  body: unknown;
  headers: Record<string, string>;
  /** True once the connection closed before the answer was complete: the client hung up (or a cut/reset fault). */
  closedEarly?: boolean;
}

export interface FakeProvider {
  url: string;
  port: number;
  attempts: FakeAttempt[];
  /** TCP connections accepted since start (or the last reset): shows whether clients keep connections alive. */
  readonly connections: number;
  /** Forgets attempts, fault state (once/flap/down) and operations. */
  reset(): void;
  setLatency(ms: number): void;
  /**
   * Holds every request (recorded in `attempts` at once) unanswered until the returned function is called:
   * tests assert what reached the provider before any answer came back, without timing bounds.
   */
  hold(): () => void;
  setDown(model: string, down: boolean): void;
  close(): Promise<void>;
}

export interface FakeProviderOptions {
  port?: number;
  host?: string;
  latencyMs?: number;
  /** Called as each request arrives, before any latency or fault: a test advances its fake clock here to give calls a latency. */
  onRequest?: (attempt: FakeAttempt) => void;
}

const GOOGLE_CALL = /^\/v1(?:beta)?\/models\/(.+):(generateContent|streamGenerateContent|predict|predictLongRunning)$/;
const OPERATION = /\/operations\/([^/]+)$/;

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function flatHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

/** Go's time.Duration text, as OpenAI's x-ratelimit-reset-* headers carry it (`1s`, `6m0s`, `250ms`). */
function goDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const m = Math.floor(ms / 60_000);
  const s = (ms % 60_000) / 1000;
  return m > 0 ? `${m}m${s}s` : `${s}s`;
}

/** Google's 429 with a RetryInfo detail (ai.google.dev/gemini-api/docs/troubleshooting). */
const retryInfoBody = (ms: number) => ({
  error: {
    code: 429,
    message: 'You exceeded your current quota, please check your plan and billing details.',
    status: 'RESOURCE_EXHAUSTED',
    details: [
      { '@type': 'type.googleapis.com/google.rpc.QuotaFailure', violations: [{ quotaMetric: 'generativelanguage.googleapis.com/generate_content_free_tier_requests', quotaId: 'GenerateRequestsPerMinutePerProjectPerModel-FreeTier' }] },
      { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: `${ms / 1000}s` },
    ],
  },
});

/** OpenRouter's 402 (openrouter.ai/docs/api-reference/errors). */
const OPENROUTER_CREDITS = {
  error: {
    message: 'This request requires more credits, or fewer max_tokens. You requested up to 64000 tokens, but can only afford 1234. To increase, visit https://openrouter.ai/settings/credits and upgrade to a paid account',
    code: 402,
    metadata: { provider_name: null },
  },
};

/** Anthropic's context overflow as OpenRouter relays it: the upstream body as JSON text in metadata.raw. */
const CONTEXT_RELAY = {
  error: {
    message: 'Provider returned error',
    code: 400,
    metadata: {
      raw: JSON.stringify({
        type: 'error',
        error: { type: 'invalid_request_error', message: 'input length and `max_tokens` exceed context limit: 178959 + 64000 > 200000, decrease input length or `max_tokens` and try again' },
        request_id: 'req_011CUWu7a8bGeMSvA9d7DRLa',
      }),
      provider_name: 'Anthropic',
    },
  },
};

export async function startFakeProvider(opts: FakeProviderOptions = {}): Promise<FakeProvider> {
  const attempts: FakeAttempt[] = [];
  const state = new FaultState();
  const operations = new Operations();
  let latencyMs = opts.latencyMs ?? 0;
  let held: Promise<void> | undefined;
  let baseUrl = '';

  /** Faults that end the request before an answer; true when the request was handled. */
  async function preFaults(ex: Exchange, sentModel: string, key: string, hasPrefill: boolean): Promise<boolean> {
    const f = ex.faults;
    const fail = (status: number, code: string, message: string, headers?: Record<string, string>) => {
      sendError(ex, status, code, message, headers);
      return true;
    };
    const send = (status: number, payload: unknown) => {
      sendJson(ex.res, status, payload);
      return true;
    };
    if (f.unknown.length > 0) return fail(400, 'unknown_fault', `unknown fake fault(s): ${f.unknown.join(', ')}`);
    if (state.isDown(sentModel, ex.model)) return fail(503, 'unavailable', 'model is down (setDown)');
    if (f.has('flap') && state.sinceFirst(`flap|${key}`, Date.now()) < f.n('flap', 1000)) return fail(503, 'unavailable', 'model is flapping (down)');
    if (f.has('reset') || (f.has('reset_once') && state.seen(`reset_once|${key}`) === 0)) {
      ex.res.socket?.destroy();
      return true;
    }
    if (f.has('no_response')) return true;
    if (f.has('auth')) return fail(401, 'invalid_api_key', 'invalid API key');
    if (f.has('forbidden')) return fail(403, 'forbidden', 'forbidden');
    if (f.has('not_found')) return fail(404, 'model_not_found', `model ${ex.model} not found`);
    if (f.has('rate_limit_retry_after')) {
      return fail(429, 'rate_limit_exceeded', 'rate limited', { 'retry-after': String(f.n('rate_limit_retry_after', 1)) });
    }
    if (f.has('rate_limit_retry_date')) {
      const date = new Date(Date.now() + f.n('rate_limit_retry_date', 1) * 1000).toUTCString();
      return fail(429, 'rate_limit_exceeded', 'rate limited', { 'retry-after': date });
    }
    if (f.has('rate_limit_once') && state.seen(`rate_limit_once|${key}`) === 0) {
      return fail(429, 'rate_limit_exceeded', 'rate limited (once)', { 'retry-after': String(f.n('rate_limit_once', 1)) });
    }
    if (f.has('rate_limit_retry_after_ms')) {
      return fail(429, 'rate_limit_exceeded', 'rate limited', { 'retry-after-ms': String(f.n('rate_limit_retry_after_ms', 1000)) });
    }
    if (f.has('rate_limit_reset')) {
      const ms = f.n('rate_limit_reset', 1000);
      return fail(429, 'rate_limit_exceeded', 'Rate limit reached for requests', {
        'x-ratelimit-limit-requests': '60',
        'x-ratelimit-remaining-requests': '0',
        'x-ratelimit-reset-requests': goDuration(ms),
        'x-ratelimit-remaining-tokens': '40000',
        'x-ratelimit-reset-tokens': '1ms',
      });
    }
    if (f.has('rate_limit_retry_info')) return send(429, retryInfoBody(f.n('rate_limit_retry_info', 1000)));
    if (f.has('rate_limit')) return fail(429, 'rate_limit_exceeded', 'rate limited');
    if (f.has('insufficient_quota')) {
      return send(429, {
        error: { message: 'You exceeded your current quota, please check your plan and billing details.', type: 'insufficient_quota', param: null, code: 'insufficient_quota' },
      });
    }
    if (f.has('credits')) return send(402, OPENROUTER_CREDITS);
    if (f.has('overloaded')) {
      return ex.dialect === 'google'
        ? fail(503, 'unavailable', 'The model is overloaded. Please try again later.')
        : send(529, { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } });
    }
    if (f.has('context_relay')) return send(400, CONTEXT_RELAY);
    if (f.has('fail_once') && state.seen(`fail_once|${key}`) === 0) return fail(500, 'server_error', 'internal error (once)');
    if (f.has('fail_times') && state.seen(`fail_times|${key}`) < f.n('fail_times', 1)) return fail(500, 'server_error', 'internal error');
    if (f.has('fail_percent')) {
      // Request n (0-based) fails when it crosses the next multiple of 100/p: exactly p of every 100, evenly spread.
      const n = state.seen(`fail_percent|${key}`);
      const p = f.n('fail_percent', 50);
      if (Math.floor(((n + 1) * p) / 100) > Math.floor((n * p) / 100)) return fail(500, 'server_error', 'internal error (flaky)');
    }
    if (f.has('server_error')) return fail(500, 'server_error', 'internal error');
    if (f.has('unavailable_retry_after')) {
      return fail(503, 'unavailable', 'service unavailable', { 'retry-after': String(f.n('unavailable_retry_after', 1)) });
    }
    if (f.has('unavailable')) return fail(503, 'unavailable', 'service unavailable');
    if (f.has('unavailable_model')) {
      // As some relays answer: the error names the model, and the body carries a top-level `model` too.
      sendJson(ex.res, 503, {
        error: { message: `The model ${ex.model} is overloaded. Please try again later.`, type: 'server_error', code: 503, model: ex.model },
        model: ex.model,
      });
      return true;
    }
    if (f.has('context_length')) {
      return ex.dialect === 'google'
        ? fail(400, 'invalid_argument', 'The input token count (1048577) exceeds the maximum number of tokens allowed (1048576).')
        : fail(400, 'context_length_exceeded', "This model's maximum context length is 8192 tokens. However, your messages resulted in 9000 tokens.");
    }
    if (f.has('content_filter') && ex.dialect === 'openai') return fail(400, 'content_filter', 'The response was filtered due to the content management policy.');
    if (f.has('reject_prefill') && hasPrefill) return fail(400, 'prefill_unsupported', 'This model does not support assistant message prefill.');
    if (f.has('slow_first_token') && !ex.stream) await sleep(f.n('slow_first_token', 1000));
    return false;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const path = decodeURIComponent(url.pathname);
    const raw = req.method === 'POST' ? await readBody(req) : '';
    let body: Record<string, unknown> = {};
    let parseFailed = false;
    if (raw) {
      try {
        body = JSON.parse(raw) as Record<string, unknown>;
      } catch {
        parseFailed = true;
      }
    }
    const headers = flatHeaders(req);
    const google = GOOGLE_CALL.exec(path);
    const operation = req.method === 'GET' ? OPERATION.exec(path) : null;
    const dialect: Dialect = google || operation || path.startsWith('/v1beta') ? 'google' : 'openai';
    const sentModel = google ? google[1]! : typeof body.model === 'string' ? body.model : '';
    const split = splitModel(sentModel);
    const spec = faultSpec(split.spec, headers['x-fake-fault']);
    const stream = google ? google[2] === 'streamGenerateContent' : body.stream === true;
    const attempt: FakeAttempt = { at: Date.now(), path: url.pathname + url.search, model: sentModel, fault: spec, stream, body: parseFailed ? raw : body, headers };
    attempts.push(attempt);
    opts.onRequest?.(attempt);
    res.on('close', () => {
      if (!res.writableFinished) attempt.closedEarly = true;
    });

    const faults = new Faults(spec);
    const ex: Exchange = { dialect, res, body, faults, model: split.model, baseUrl, stream };
    if (faults.has('window_spent')) {
      // A successful answer that spends the request window: the next request would be refused until the reset.
      res.setHeader('x-ratelimit-remaining-requests', '0');
      res.setHeader('x-ratelimit-reset-requests', `${faults.n('window_spent', 1000)}ms`);
    }
    const latency = Number(headers['x-fake-latency-ms'] ?? (faults.has('latency') ? faults.n('latency', 0) : latencyMs));
    if (latency > 0) await sleep(latency);
    if (held) await held;
    if (parseFailed) return sendError(ex, 400, 'invalid_json', 'request body is not JSON');

    if (req.method === 'GET' && (path === '/v1/models' || path === '/models')) return sendJson(res, 200, openAiModels());
    if (operation) return operations.poll(ex, operation[1]!);
    if (req.method === 'GET' && /^\/v1beta\/files\/[^/]+:download$/.test(path)) {
      res.writeHead(200, { 'content-type': 'video/mp4' });
      return void res.end('fake video bytes');
    }
    if (req.method !== 'POST') return sendError(ex, 404, 'not_found', `no route for ${req.method} ${path}`);

    if (google) {
      const key = `${spec ?? ''}|${sentModel}|${headers['x-fake-key'] ?? ''}`;
      if (await preFaults(ex, sentModel, key, googleHasPrefill(body))) return;
      const method = google[2]!;
      if (method === 'predict') return answerImagen(ex);
      if (method === 'predictLongRunning') return operations.start(ex);
      return answerGemini(ex);
    }
    if (path === '/v1/chat/completions' || path === '/chat/completions') {
      const key = `${spec ?? ''}|${sentModel}|${headers['x-fake-key'] ?? ''}`;
      if (await preFaults(ex, sentModel, key, openAiHasPrefill(body))) return;
      return answerOpenAi(ex);
    }
    sendError(ex, 404, 'not_found', `no route for POST ${path}`);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: { message: `fake provider failed: ${String(err)}`, code: 'fake_failure' } });
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 30_000;
  let connections = 0;
  server.on('connection', () => connections++);
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  baseUrl = `http://${host}:${port}`;

  return {
    url: baseUrl,
    port,
    attempts,
    get connections() {
      return connections;
    },
    reset() {
      connections = 0;
      attempts.length = 0;
      state.reset();
      operations.clear();
    },
    setLatency(ms: number) {
      latencyMs = ms;
    },
    hold() {
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      held = gate;
      return () => {
        if (held === gate) held = undefined;
        release();
      };
    },
    setDown(model: string, down: boolean) {
      state.setDown(model, down);
    },
    close() {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
