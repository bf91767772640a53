/**
 * The console's only door to the server: the public and admin HTTP API, nothing private, so
 * whatever the console does a script can do. Keys live in sessionStorage (gone when the tab
 * closes) and travel as `Authorization: Bearer <key>`, the header the server's auth reads
 * (src/server/plugins/credentials.ts) — never in a URL.
 *
 * Which key a request carries: `/admin/*` → the admin key; other paths → the client key when one
 * was given, else the admin key for reads (the server lets an admin key GET the client API, never
 * start model work). With no key at all the request goes bare (a server without API_KEYS is open).
 */
import type { StatsSnapshot } from '../../src/telemetry/stats-schema.js';
import type { TimeseriesResponse, TimeseriesSeries } from '../../src/telemetry/timeseries-schema.js';

export type { StatsSnapshot, TimeseriesResponse, TimeseriesSeries };

const STORAGE = 'mo.console.keys';

/** The keys signed in with; `role` is what the server said they may do (see signIn). */
export interface Credentials {
  admin: string | null;
  client: string | null;
  /** admin: an admin key the server accepted; read_only: only a client key (or an open server). */
  role: 'admin' | 'read_only';
}

/** One problem the server named, with its path (e.g. `query.window`). */
export interface ErrorDetail {
  path: string;
  message: string;
}

/** A non-2xx answer, carrying the server's error body (API.md "Errors") so pages can show it at its path. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
    readonly details: ErrorDetail[],
    readonly requestId: string | null,
    /** The request that failed, e.g. `GET /stats`. */
    readonly request: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export function loadCredentials(): Credentials | null {
  try {
    const raw = sessionStorage.getItem(STORAGE);
    if (!raw) return null;
    const parsed = JSON.parse(raw) as Credentials;
    return parsed.role === 'admin' || parsed.role === 'read_only' ? parsed : null;
  } catch {
    return null;
  }
}

export function saveCredentials(credentials: Credentials | null): void {
  if (credentials) sessionStorage.setItem(STORAGE, JSON.stringify(credentials));
  else sessionStorage.removeItem(STORAGE);
}

/** The server's origin; the console is served by the same server, so relative paths suffice. */
const BASE = '';

function keyFor(path: string, credentials: Credentials | null): string | null {
  if (!credentials) return null;
  if (path === '/admin' || path.startsWith('/admin/')) return credentials.admin;
  // Without a client key the admin key goes everywhere: reads work, and a write is refused with a clear 403
  // (or accepted, on a server without API_KEYS).
  return credentials.client ?? credentials.admin;
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Sent as JSON. */
  body?: unknown;
  query?: Record<string, string | number | boolean | undefined>;
  signal?: AbortSignal;
  /** Keys to use instead of the signed-in ones (the sign-in page probes with them). */
  credentials?: Credentials | null;
  /** Non-2xx statuses whose body is an answer, not an error (GET /health is 503 with its body when not serving). */
  accept?: number[];
}

/**
 * Calls the API and returns the parsed JSON body (undefined for 204). Throws ApiError for a
 * non-2xx answer, with the server's type, message and details; a network failure becomes an
 * ApiError of type `network_error` (status 0).
 */
export async function request<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  const method = opts.method ?? 'GET';
  const query = Object.entries(opts.query ?? {}).filter(([, v]) => v !== undefined) as [string, string | number | boolean][];
  const url = `${BASE}${path}${query.length ? `?${new URLSearchParams(query.map(([k, v]) => [k, String(v)]))}` : ''}`;
  const headers: Record<string, string> = { accept: 'application/json' };
  const key = keyFor(path, opts.credentials === undefined ? loadCredentials() : opts.credentials);
  if (key) headers.authorization = `Bearer ${key}`;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const label = `${method} ${path}`;
  let res: Response;
  try {
    res = await fetch(url, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body), signal: opts.signal ?? null });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiError(0, 'network_error', `cannot reach the server: ${(err as Error).message}`, [], null, label);
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON (a proxy's error page): the text itself becomes the message below
  }
  if (!res.ok && !opts.accept?.includes(res.status)) {
    const error = (body as { error?: { type?: string; message?: string; details?: ErrorDetail[]; request_id?: string } } | undefined)?.error;
    throw new ApiError(
      res.status,
      error?.type ?? `http_${res.status}`,
      error?.message ?? (text.slice(0, 200) || res.statusText),
      Array.isArray(error?.details) ? error.details : [],
      error?.request_id ?? res.headers.get('x-request-id'),
      label,
    );
  }
  return body as T;
}

/** One sentence for an error: the request, the server's message, and each detail at its path. */
export function describeError(err: unknown): string {
  if (err instanceof ApiError) {
    const details = err.details.map((d) => `${d.path}: ${d.message}`).join('; ');
    return `${err.request} → ${err.status || 'no answer'} ${err.type}: ${err.message}${details ? ` (${details})` : ''}`;
  }
  return err instanceof Error ? err.message : String(err);
}

/**
 * Finds out what the given keys may do: an admin key is one `/admin/config/versions` accepts;
 * otherwise the keys must read `/stats` (a client key, or any key on an open server) and the
 * console runs read-only. Throws ApiError when neither works (wrong key: 401).
 */
export async function signIn(adminKey: string | null, clientKey: string | null, signal?: AbortSignal): Promise<Credentials> {
  if (adminKey) {
    const probe: Credentials = { admin: adminKey, client: clientKey, role: 'admin' };
    await request('/admin/config/versions', { credentials: probe, query: { limit: 1 }, signal });
    // The client key, when given, must work too: better to say so now than on the first action.
    if (clientKey) await request('/stats', { credentials: { admin: null, client: clientKey, role: 'read_only' }, signal });
    return probe;
  }
  const readOnly: Credentials = { admin: null, client: clientKey, role: 'read_only' };
  await request('/stats', { credentials: readOnly, signal });
  return readOnly;
}

// Typed helpers for the endpoints the console's own pages read.

/** GET /health: per provider limiter state, per model circuit state. Answers 503 with the same body when not serving. */
export interface Health {
  status: 'ok' | 'degraded' | 'unavailable';
  version: string;
  config_version: string;
  uptime_s: number;
  draining: boolean;
  providers: Record<
    string,
    { mode: 'live' | 'simulated'; queued: number; running: number; reservoir: number | null; limits: { requests_per_minute: number; max_concurrent: number } }
  >;
  models: Record<string, { provider: string; circuit: 'closed' | 'open' | 'half_open' }>;
  workflows: { running: number; queued: number };
}

export const getHealth = (signal?: AbortSignal) => request<Health>('/health', { signal, accept: [503] });

export const getStats = (signal?: AbortSignal) => request<StatsSnapshot>('/stats', { signal });

/** GET /stats/timeseries: the last hour (10 s buckets) or day (5 min buckets), in total and by tier or model. */
export const getTimeseries = (window: '1h' | '1d', by: 'tier' | 'model', signal?: AbortSignal) =>
  request<TimeseriesResponse>('/stats/timeseries', { query: { window, by }, signal });

/** One configured model as GET /models lists it. */
export interface ModelInfo {
  key: string;
  provider: string;
  provider_model: string;
  mode: 'live' | 'simulated';
  /** The full chain tried after this model, in order. */
  fallbacks: string[];
  circuit: 'closed' | 'open' | 'half_open';
  /** Routing roles and tiers (`tier_L`...) this model serves. */
  roles: string[];
}

export const getModels = (signal?: AbortSignal) => request<{ models: ModelInfo[] }>('/models', { signal });
