import { isObject } from './json-shape.js';

/**
 * The one reader of "when may I come back" that providers put on a failed response,
 * for every retryable status (429, 408, 5xx including 503 and 529). Sources, in the
 * order they are trusted:
 * - `retry-after-ms` (OpenAI, Azure): milliseconds, fractional allowed;
 * - `Retry-After` (RFC 9110 §10.2.3): delay-seconds (fractional accepted) or an HTTP-date;
 * - a rate-limit window that is spent: OpenAI/Groq `x-ratelimit-reset-requests` / `-tokens`
 *   (Go durations `1s`, `6m0s`, `250ms`, `1m30.5s`) when the matching `x-ratelimit-remaining-*`
 *   is 0, and Anthropic's `anthropic-ratelimit-{requests,tokens,input-tokens,output-tokens}-reset`
 *   (RFC 3339) when the matching `-remaining` is 0;
 * - Google's `google.rpc.RetryInfo.retryDelay` (`"3s"`, `"0.5s"`) in the error body's `error.details[]`;
 * - as a last resort, the wording "try again in 6s" / "retry in 17.3s" inside the error message
 *   (OpenAI's and Gemini's rate-limit messages).
 * The header hint and the window/body hints are combined by taking the longest, so the retry
 * comes no earlier than any of them asks.
 */

/** Header values as undici returns them (lower-cased names). */
export type HeaderBag = Record<string, string | string[] | undefined>;

const first = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v)?.trim() || undefined;

/** `Retry-After` as seconds (possibly fractional) or an HTTP date → ms from `now`; undefined when unreadable. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const raw = first(value);
  if (!raw) return undefined;
  if (/^\d+(\.\d+)?$/.test(raw)) return Math.round(Number(raw) * 1000);
  // Not RFC 9110, but seen from proxies: a duration with its unit (`2s`, `1500ms`).
  return parseDuration(raw) ?? dateIn(raw, now);
}

function dateIn(text: string, now: number): number | undefined {
  // Only real dates: a bare number would parse as a year.
  if (!/[a-z:-]/i.test(text)) return undefined;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

const UNIT_MS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 0.001, 'µs': 0.001, ns: 0.000001 };
const DURATION = /^(?:\d+(?:\.\d+)?(?:h|ms|m|s|us|µs|ns))+$/;
const DURATION_PART = /(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|ns)/g;

/**
 * A Go-style duration (`1s`, `6m0s`, `250ms`, `1m30.5s`, `1h2m`) or a protobuf Duration
 * in JSON (`"3s"`, `"0.5s"`) → ms; undefined when it is not one.
 */
export function parseDuration(text: string | undefined): number | undefined {
  const t = text?.trim();
  if (!t || !DURATION.test(t)) return undefined;
  let ms = 0;
  for (const [, n, unit] of t.matchAll(DURATION_PART)) ms += Number(n) * UNIT_MS[unit!]!;
  return Math.ceil(ms);
}

/** Rate-limit windows whose remaining count, when 0, makes their reset a hint. */
const WINDOWS: ReadonlyArray<{ remaining: string; reset: string }> = [
  { remaining: 'x-ratelimit-remaining-requests', reset: 'x-ratelimit-reset-requests' },
  // OpenRouter's per-key window: the reset is an epoch timestamp in ms.
  { remaining: 'x-ratelimit-remaining', reset: 'x-ratelimit-reset' },
  { remaining: 'x-ratelimit-remaining-tokens', reset: 'x-ratelimit-reset-tokens' },
  { remaining: 'anthropic-ratelimit-requests-remaining', reset: 'anthropic-ratelimit-requests-reset' },
  { remaining: 'anthropic-ratelimit-tokens-remaining', reset: 'anthropic-ratelimit-tokens-reset' },
  { remaining: 'anthropic-ratelimit-input-tokens-remaining', reset: 'anthropic-ratelimit-input-tokens-reset' },
  { remaining: 'anthropic-ratelimit-output-tokens-remaining', reset: 'anthropic-ratelimit-output-tokens-reset' },
];

/**
 * Ms until a spent rate-limit window resets (a remaining count of 0 with its reset), from any
 * response's headers — a successful one too: the provider is saying the next request would fail.
 */
export function windowHint(headers: HeaderBag, now = Date.now()): number | undefined {
  let hint: number | undefined;
  for (const w of WINDOWS) {
    const remaining = first(headers[w.remaining]);
    if (remaining === undefined || Number(remaining) !== 0) continue;
    const reset = first(headers[w.reset]);
    if (!reset) continue;
    // A duration (OpenAI, Groq), plain seconds or an epoch stamp (OpenRouter), or an RFC 3339 time (Anthropic).
    const ms = parseDuration(reset) ?? (/^\d+(\.\d+)?$/.test(reset) ? numericReset(Number(reset), now) : dateIn(reset, now));
    if (ms !== undefined) hint = Math.max(hint ?? 0, ms);
  }
  return hint;
}

/** A bare number: epoch ms (> 1e12), epoch seconds (> 1e9), else seconds from now. */
function numericReset(n: number, now: number): number {
  if (n > 1e12) return Math.max(0, Math.round(n - now));
  if (n > 1e9) return Math.max(0, Math.round(n * 1000 - now));
  return Math.round(n * 1000);
}

/** Google's RetryInfo inside `error.details[]` (also when the body is wrapped in an array). */
function bodyHint(payload: unknown): number | undefined {
  const body = Array.isArray(payload) ? payload[0] : payload;
  const err = isObject(body) && isObject(body.error) ? body.error : undefined;
  const details = err && Array.isArray(err.details) ? err.details : [];
  for (const d of details) {
    if (!isObject(d) || d.retryDelay === undefined) continue;
    if (typeof d.retryDelay === 'string') return parseDuration(d.retryDelay);
    if (isObject(d.retryDelay)) {
      const seconds = Number(d.retryDelay.seconds ?? 0);
      const nanos = Number(d.retryDelay.nanos ?? 0);
      if (Number.isFinite(seconds) && Number.isFinite(nanos)) return Math.ceil(seconds * 1000 + nanos / 1e6);
    }
  }
  return undefined;
}

const MESSAGE_HINT = /\b(?:try again|retry) in (\d+(?:\.\d+)?) ?(ms|milliseconds?|s|secs?|seconds?|m|mins?|minutes?)\b/i;

/** "Please try again in 6s" (OpenAI), "Please retry in 17.3s" (Gemini) inside a message. */
export function messageHint(message: string | undefined): number | undefined {
  const match = message ? MESSAGE_HINT.exec(message) : null;
  if (!match) return undefined;
  const unit = match[2]!.toLowerCase();
  const scale = unit.startsWith('ms') || unit.startsWith('milli') ? 1 : unit.startsWith('m') ? 60_000 : 1000;
  return Math.ceil(Number(match[1]) * scale);
}

/**
 * How long the provider asked us to wait before the next request, in ms, from the
 * response's headers and error body (see the module comment for the sources);
 * undefined when it gave no hint.
 */
export function retryHintMs(headers: HeaderBag | undefined, payload: unknown, message?: string, now = Date.now()): number | undefined {
  const h = headers ?? {};
  const exactMs = first(h['retry-after-ms']);
  const direct = exactMs !== undefined && /^\d+(\.\d+)?$/.test(exactMs) ? Math.ceil(Number(exactMs)) : parseRetryAfter(h['retry-after'], now);
  const hints = [direct, windowHint(h, now), bodyHint(payload)].filter((v): v is number => v !== undefined);
  if (hints.length > 0) return Math.max(...hints);
  return messageHint(message);
}
