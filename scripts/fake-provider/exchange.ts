import type { ServerResponse } from 'node:http';
import type { Faults } from './faults.js';

/**
 * What the OpenAI and Google dialects of the fake share: the request being answered,
 * JSON and error replies in each dialect's shape, the echo answer, and an SSE writer
 * that applies the stream faults (cut, stall, garbage, missing terminators).
 */

export type Dialect = 'openai' | 'google';

/** One request being answered. */
export interface Exchange {
  dialect: Dialect;
  res: ServerResponse;
  body: Record<string, unknown>;
  faults: Faults;
  /** The real model id (fault prefix removed). */
  model: string;
  /** The fake's own base URL, for URLs it hands out (Veo videos). */
  baseUrl: string;
  stream: boolean;
}

/** A 1×1 PNG, the fake's generated image. */
export const TINY_PNG_BASE64 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP438AAAAQBAYDFKhhdAAAAAElFTkSuQmCC';

export const tokens = (text: string): number => Math.max(1, Math.ceil(text.length / 4));

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export function sendJson(res: ServerResponse, status: number, payload: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(payload);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

const GOOGLE_STATUS: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
};

/** An error in the dialect's shape: OpenAI `{error:{message,type,code}}`, Google `{error:{code,message,status}}`. */
export function sendError(ex: Exchange, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
  const payload =
    ex.dialect === 'google'
      ? { error: { code: status, message, status: GOOGLE_STATUS[status] ?? 'UNKNOWN' } }
      : { error: { message, type: status >= 500 ? 'server_error' : 'invalid_request_error', code } };
  sendJson(ex.res, status, payload, headers);
}

/**
 * The fake's answer: `echo: <first 200 chars of the last user message>` (as `{"echo": ...}` in
 * JSON mode; `reworded: ...` with the `reword` fault). With a prefill, only the continuation: the
 * rest of that answer when the prefill is its beginning (so a stream continued elsewhere
 * reassembles exactly; nothing when it is all of it), else ` [continued]`; with `ignore_prefill`, the whole answer again.
 */
export function answerFor(lastUser: string, json: boolean, prefill?: string, faults?: Faults): string {
  const label = faults?.has('reword') ? 'reworded' : 'echo';
  const full = json ? JSON.stringify({ [label]: lastUser.slice(0, 200) }) : `${label}: ${lastUser.slice(0, 200)}`;
  if (prefill === undefined || faults?.has('ignore_prefill')) return full;
  if (prefill === full) return '';
  return full.startsWith(prefill) && full.length > prefill.length ? full.slice(prefill.length) : ' [continued]';
}

/**
 * The answer split into a few stream deltas (at least two when it has two characters),
 * or one delta per word (its trailing space included) with the `word_chunks` fault.
 */
export function pieces(text: string, faults?: Faults): string[] {
  if (faults?.has('word_chunks')) return text.match(/\S+\s*|\s+/g) ?? [''];
  const size = Math.max(1, Math.ceil(text.length / 6));
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out.length > 0 ? out : [''];
}

const writeRaw = (res: ServerResponse, data: string | Buffer): Promise<void> => new Promise((resolve) => res.write(data, () => resolve()));

/**
 * Framing faults (issue 11, class E): the same events with CR or CRLF line ends, `data:` without
 * its space, comments and other fields between events, or delivered one byte per packet
 * (multi-byte UTF-8 characters split across packets).
 */
function framed(faults: Faults, text: string): string {
  const eol = faults.has('line_cr') ? '\r' : faults.has('line_crlf') ? '\r\n' : '\n';
  let out = faults.has('data_nospace') ? text.replace(/^data: /gm, 'data:') : text;
  if (faults.has('sse_comments')) out = `: keep-alive\nevent: message\nid: 7\nretry: 3000\n${out}`;
  return eol === '\n' ? out : out.replace(/\n/g, eol);
}

async function write(res: ServerResponse, text: string, faults?: Faults): Promise<void> {
  if (!faults) return writeRaw(res, text);
  const bytes = Buffer.from(framed(faults, text), 'utf8');
  if (!faults.has('byte_split')) return writeRaw(res, bytes);
  for (let i = 0; i < bytes.length && !res.destroyed; i++) await writeRaw(res, bytes.subarray(i, i + 1));
}

const event = (payload: unknown): string => `data: ${typeof payload === 'string' ? payload : JSON.stringify(payload)}\n\n`;

/**
 * Streams `deltas` then `tail` (finish, usage) then `[DONE]` if `withDone`, applying the
 * request's stream faults. A stall or hang leaves the response open until the client gives up.
 */
export async function writeStream(ex: Exchange, deltas: unknown[], tail: unknown[], withDone: boolean): Promise<void> {
  const { res, faults } = ex;
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  res.flushHeaders();
  if (faults.has('slow_first_token')) await sleep(faults.n('slow_first_token', 1000));
  const gap = faults.n('chunk_delay', 0);
  const cutAt = faults.has('stream_cut') ? Math.min(faults.n('stream_cut', 2), deltas.length - 1) : -1;
  const stallAt = faults.has('stream_stall') ? Math.min(faults.n('stream_stall', 2), deltas.length - 1) : -1;
  for (let i = 0; i < deltas.length; i++) {
    if (i === cutAt) {
      res.socket?.destroy();
      return;
    }
    if (i === stallAt) return;
    if (gap > 0 && i > 0) await sleep(gap);
    if (res.destroyed) return;
    await write(res, event(deltas[i]), faults);
    if (i === 0 && faults.has('malformed_chunk')) await write(res, event('{"choices": [{"delta": {"content": "garbage'));
  }
  if (faults.has('no_finish')) return void res.end();
  for (const payload of tail) await write(res, event(payload), faults);
  if (faults.has('missing_done_hang')) return;
  if (withDone && !faults.has('missing_done')) await write(res, event('[DONE]'), faults);
  res.end();
}
