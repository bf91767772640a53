import { readSse, type SseEvent } from './sse.js';

/**
 * The client's HTTP side: global fetch with the API key, a per-request time
 * limit, the server's JSON error body turned into one readable sentence, and
 * streamed answers read as SSE.
 */

/** A failed call, with a message meant for the person running the client. */
export class ClientError extends Error {
  constructor(
    message: string,
    /** HTTP status when the server answered; undefined when it could not be reached. */
    readonly status?: number,
    /** The `error.type` of the server's error body. */
    readonly type?: string,
    readonly unreachable = false,
  ) {
    super(message);
    this.name = 'ClientError';
  }
}

export interface ApiResponse<T> {
  status: number;
  body: T;
  headers: Headers;
}

/** A thin JSON-over-HTTP client for one server. */
export interface Api {
  readonly baseUrl: string;
  readonly apiKey: string | undefined;
  get<T>(path: string): Promise<ApiResponse<T>>;
  post<T>(path: string, body: unknown): Promise<ApiResponse<T>>;
  /** POSTs with `stream: true` semantics: yields the SSE events of the answer. */
  stream(path: string, body: unknown): AsyncGenerator<SseEvent>;
}

export function createApi(baseUrl: string, apiKey: string | undefined, timeoutMs: number): Api {
  const headers = (json: boolean): Record<string, string> => ({
    accept: json ? 'application/json' : 'text/event-stream',
    ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}),
  });

  async function send(method: string, path: string, body: unknown, accept: 'json' | 'sse'): Promise<Response> {
    const init: RequestInit = { method, headers: headers(accept === 'json'), signal: AbortSignal.timeout(timeoutMs) };
    if (body !== undefined) {
      init.body = JSON.stringify(body);
      (init.headers as Record<string, string>)['content-type'] = 'application/json';
    }
    let response: Response;
    try {
      response = await fetch(`${baseUrl}${path}`, init);
    } catch (err) {
      throw networkError(err, baseUrl, method, path, timeoutMs);
    }
    if (!response.ok) throw await httpError(response, method, path, Boolean(apiKey));
    return response;
  }

  async function json<T>(method: string, path: string, body?: unknown): Promise<ApiResponse<T>> {
    const response = await send(method, path, body, 'json');
    const text = await readBody(response, baseUrl, method, path, timeoutMs);
    let parsed: unknown = null;
    if (text !== '') {
      try {
        parsed = JSON.parse(text);
      } catch {
        throw new ClientError(`${method} ${path} answered ${response.status} with a body that is not JSON: ${preview(text)}`, response.status);
      }
    }
    return { status: response.status, body: parsed as T, headers: response.headers };
  }

  return {
    baseUrl,
    apiKey,
    get: (path) => json('GET', path),
    post: (path, body) => json('POST', path, body),
    async *stream(path, body) {
      const response = await send('POST', path, body, 'sse');
      const type = response.headers.get('content-type') ?? '';
      if (!type.includes('text/event-stream')) {
        const text = await readBody(response, baseUrl, 'POST', path, timeoutMs);
        throw new ClientError(`POST ${path} was asked to stream but answered ${type || 'no content type'}: ${preview(text)}`, response.status);
      }
      if (!response.body) throw new ClientError(`POST ${path} answered a stream without a body`, response.status);
      try {
        yield* readSse(response.body as unknown as AsyncIterable<Uint8Array>);
      } catch (err) {
        throw networkError(err, baseUrl, 'POST', path, timeoutMs);
      }
    },
  };
}

async function readBody(response: Response, baseUrl: string, method: string, path: string, timeoutMs: number): Promise<string> {
  try {
    return await response.text();
  } catch (err) {
    throw networkError(err, baseUrl, method, path, timeoutMs);
  }
}

/** Why fetch itself failed, in words: unreachable, timed out, or cut off. */
export function networkError(err: unknown, baseUrl: string, method: string, path: string, timeoutMs: number): ClientError {
  if (err instanceof ClientError) return err;
  const e = err as Error & { cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') {
    return new ClientError(`${method} ${path}: no complete answer from ${baseUrl} within ${Math.round(timeoutMs / 1000)} s (raise --timeout)`);
  }
  const code = e?.cause?.code;
  if (code && ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET'].includes(code)) {
    return new ClientError(
      `cannot reach the server at ${baseUrl} (${code}). Is it running? Start it with \`npm start\`, or point the client elsewhere with --url or ORCHESTRATOR_URL.`,
      undefined,
      undefined,
      true,
    );
  }
  const reason = e?.cause?.message ?? e?.message ?? String(err);
  return new ClientError(`${method} ${path} to ${baseUrl} failed: ${reason}`);
}

/** Turns the API's error body into "POST /chat → 400 validation_error: message (path: problem; …)". */
async function httpError(response: Response, method: string, path: string, sentKey: boolean): Promise<ClientError> {
  const text = await response.text().catch(() => '');
  let type: string | undefined;
  let message = preview(text) || response.statusText;
  try {
    const body = JSON.parse(text) as { error?: { type?: string; message?: string; details?: Array<Record<string, unknown>>; request_id?: string } };
    if (body.error) {
      type = body.error.type;
      message = `${body.error.type ?? 'error'}: ${body.error.message ?? ''}`;
      const details = (body.error.details ?? []).map(describeDetail).filter(Boolean);
      if (details.length > 0) message += ` (${details.join('; ')})`;
      if (body.error.request_id) message += ` [request ${body.error.request_id}]`;
    }
  } catch {
    // not the API's JSON error body (a proxy's HTML page, say): show it raw
  }
  let hint = '';
  if (response.status === 401) hint = sentKey ? ' — the API key was refused; check --api-key / API_KEY' : ' — the server needs an API key: pass --api-key or set API_KEY';
  if (response.status === 404 && type === undefined) hint = ' — is this URL an orchestrator server?';
  const retry = response.headers.get('retry-after');
  if (retry && (response.status === 429 || response.status === 503)) hint += ` (retry after ${retry} s)`;
  return new ClientError(`${method} ${path} → ${response.status} ${message}${hint}`, response.status, type);
}

function describeDetail(d: Record<string, unknown>): string {
  const where = [d.path, d.model].filter((x) => typeof x === 'string' && x !== '').join(' ');
  const what = [d.kind, d.status, d.message].filter((x) => x !== undefined && x !== null && x !== '').join(' ');
  return where ? `${where}: ${what}` : what;
}

function preview(text: string, max = 200): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}
