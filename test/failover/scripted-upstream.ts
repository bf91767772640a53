import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A tiny upstream that answers each model with the exact bytes a test scripted for it,
 * for replaying real providers' failures through the whole server. It serves the
 * OpenAI-compatible wire (`POST <base>/v1/chat/completions`, the model in the body) and
 * Gemini's (`POST <base>/v1beta/models/<id>:generateContent` / `:streamGenerateContent`).
 *
 * A model with no script answers normally: the text ANSWER (as JSON or as SSE, as asked),
 * continuing an assistant prefill when the request ends with one (like a real model).
 */

/** The whole answer every unscripted model gives. */
export const ANSWER = Array.from({ length: 30 }, (_, i) => `word${i}`).join(' ') + '.';

export interface Seen {
  model: string;
  at: number;
  stream: boolean;
  body: any;
}

export interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  body: any;
  model: string;
  stream: boolean;
  /** 0 for the first request to this model, 1 for the second... */
  n: number;
  /** The text of the trailing assistant (OpenAI) or model (Gemini) message, if the request ends with one. */
  prefill?: string;
}

export type Script = (x: Exchange) => void;

export interface ScriptedUpstream {
  url: string;
  seen: Seen[];
  /** What the model with this id was sent, in order. */
  seenFor(model: string): Seen[];
  script(model: string, script: Script): void;
  close(): Promise<void>;
}

/** The normal answer to a request: the rest of ANSWER after the prefill, in the wire asked for. */
export function answerNormally(x: Exchange, text = x.prefill !== undefined && ANSWER.startsWith(x.prefill) ? ANSWER.slice(x.prefill.length) : ANSWER): void {
  const gemini = x.req.url!.includes('/v1beta/');
  if (gemini) {
    const payload = (part: string, finish?: string) => ({
      candidates: [{ content: { parts: [{ text: part }], role: 'model' }, ...(finish ? { finishReason: finish } : {}), index: 0 }],
      usageMetadata: { promptTokenCount: 5, candidatesTokenCount: 7, totalTokenCount: 12 },
      modelVersion: x.model,
    });
    if (!x.stream) return json(x.res, 200, payload(text, 'STOP'));
    sse(x.res, [payload(text.slice(0, 10)), payload(text.slice(10), 'STOP')].map((p) => `data: ${JSON.stringify(p)}\r\n\r\n`));
    return;
  }
  const base = { id: 'chatcmpl-ok', created: 1_700_000_000, model: x.model };
  const usage = { prompt_tokens: 5, completion_tokens: 7, total_tokens: 12 };
  if (!x.stream) {
    return json(x.res, 200, { ...base, object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }], usage });
  }
  const chunk = (delta: Record<string, unknown>, finish: string | null, extra: Record<string, unknown> = {}) =>
    `data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason: finish }], ...extra })}\n\n`;
  const words = text.split(/(?<= )/);
  sse(x.res, [chunk({ role: 'assistant', content: '' }, null), ...words.map((w) => chunk({ content: w }, null)), chunk({}, 'stop', { usage }), 'data: [DONE]\n\n']);
}

export function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
}

/** Writes the SSE frames as given (exact bytes) and ends the response. */
export function sse(res: ServerResponse, frames: string[], opts: { end?: boolean } = {}): void {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  for (const frame of frames) res.write(frame);
  if (opts.end !== false) res.end();
}

const lastText = (content: unknown): string | undefined => {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((p: any) => (typeof p?.text === 'string' ? p.text : '')).join('');
  return undefined;
};

function prefillOf(body: any, gemini: boolean): string | undefined {
  if (gemini) {
    const last = body?.contents?.at?.(-1);
    return last?.role === 'model' ? lastText(last.parts) : undefined;
  }
  const last = body?.messages?.at?.(-1);
  return last?.role === 'assistant' ? lastText(last.content) : undefined;
}

export async function startScriptedUpstream(): Promise<ScriptedUpstream> {
  const scripts = new Map<string, Script>();
  const seen: Seen[] = [];
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (raw += c));
    req.on('end', () => {
      const body = raw ? JSON.parse(raw) : {};
      const gemini = req.url!.includes('/v1beta/');
      const model = gemini ? decodeURIComponent(/\/models\/(.+?):/.exec(req.url!)?.[1] ?? '') : String(body.model);
      const stream = gemini ? req.url!.includes(':streamGenerateContent') : body.stream === true;
      const n = seen.filter((s) => s.model === model).length;
      seen.push({ model, at: Date.now(), stream, body });
      const x: Exchange = { req, res, body, model, stream, n, prefill: prefillOf(body, gemini) };
      (scripts.get(model) ?? answerNormally)(x);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    seenFor: (model) => seen.filter((s) => s.model === model),
    script: (model, script) => scripts.set(model, script),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
