import { isObject } from './json-shape.js';

/**
 * The classifiable fields of a provider error body, whatever its shape:
 * - OpenAI and its followers (xAI, Groq, DeepSeek, Together, Fireworks, Mistral):
 *   `{error: {message, type, code, param}}` (Mistral also flat: `{object: "error", message, type, code}`);
 * - Anthropic: `{type: "error", error: {type, message, details?: {error_code}}}`;
 * - Google: `{error: {code, message, status, details: [{@type, reason, retryDelay}]}}`, sometimes wrapped in an array;
 * - OpenRouter: `{error: {code, message, metadata: {raw, provider_name, limit_source}}}`, where `raw`
 *   is the upstream's own error (JSON text, plain text, or an object), read here as well.
 */
export interface ErrorInfo {
  /**
   * Every identifier found, lower-cased: codes, types, gRPC statuses, `details[].reason`,
   * `details.error_code`, `metadata.limit_source` — the outer body's and the relayed upstream's.
   */
  ids: string[];
  /** The messages found (outer, then relayed), joined by spaces; '' when none. */
  message: string;
  /** A numeric `error.code` (OpenRouter and Google put the HTTP status there). */
  numericCode?: number;
}

/** How deep relayed errors are followed (OpenRouter → upstream is one level; a margin for proxies of proxies). */
const MAX_DEPTH = 3;

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

function parseRaw(raw: string): unknown {
  const trimmed = raw.trim();
  if (!trimmed.startsWith('{') && !trimmed.startsWith('[')) return trimmed;
  try {
    return JSON.parse(trimmed);
  } catch {
    return trimmed;
  }
}

function collect(payload: unknown, info: ErrorInfo, messages: string[], depth: number): void {
  if (Array.isArray(payload)) payload = payload[0];
  if (typeof payload === 'string') {
    if (payload) messages.push(payload);
    return;
  }
  if (!isObject(payload)) return;
  const err = payload.error;
  const src = isObject(err) ? err : payload;
  if (typeof err === 'string') messages.push(err);
  const id = (v: unknown) => {
    if (typeof v === 'string' && v !== '') info.ids.push(v.toLowerCase());
  };
  if (typeof src.code === 'number') info.numericCode ??= src.code;
  else id(src.code);
  id(src.type);
  id(src.status);
  id(payload.code);
  if (payload.type !== 'error') id(payload.type);
  const message = str(src.message) ?? (src !== payload ? (str(payload.message) ?? str(payload.detail)) : str(payload.detail));
  if (message) messages.push(message);
  // Google: details[] of {@type, reason, ...}; Anthropic: details {error_code}.
  const details = Array.isArray(src.details) ? src.details : isObject(src.details) ? [src.details] : [];
  for (const d of details) {
    if (!isObject(d)) continue;
    id(d.reason);
    id(d.error_code);
  }
  const metadata = src.metadata;
  if (!isObject(metadata)) return;
  id(metadata.limit_source);
  if (depth >= MAX_DEPTH) return;
  const raw = metadata.raw;
  if (typeof raw === 'string' && raw !== '') collect(parseRaw(raw), info, messages, depth + 1);
  else if (isObject(raw)) collect(raw, info, messages, depth + 1);
}

/** Pulls the classifiable fields out of an error body (already parsed JSON, or text). */
export function errorInfo(payload: unknown): ErrorInfo {
  const info: ErrorInfo = { ids: [], message: '' };
  const messages: string[] = [];
  collect(payload, info, messages, 0);
  info.message = messages.join(' ');
  return info;
}
