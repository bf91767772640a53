import { HttpClient, SSE_DONE } from '../http.js';
import type { ProviderAdapter, ProviderRequest, ProviderResult, StreamChunk, Usage } from '../types.js';
import { malformedError, payloadError, truncatedError } from '../wire-errors.js';
import { checkedAnswer, checkedStreams } from '../answer-check.js';
import { chatBody, chunkCarries, flavourFor, parseChunk, parseCompletion } from './wire.js';

/** What an OpenAI-compatible provider needs: its config name, base URL, key and extra headers. */
export interface OpenAiCompatibleOptions {
  name: string;
  baseUrl: string;
  apiKey?: string;
  headers?: Record<string, string>;
  /** Pool size; default 256. */
  connections?: number;
}

/** After a finish reason, how long to wait for the usage chunk / [DONE] before finalising anyway. */
const FINISH_GRACE_MS = 500;

/**
 * OpenRouter, OpenAI, Ollama, vLLM: `POST {base}/chat/completions`, non-stream and SSE.
 * `Authorization` is sent only when a key is configured (keyless local servers).
 */
export function createOpenAiCompatibleAdapter(opts: OpenAiCompatibleOptions): ProviderAdapter {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.apiKey) headers.authorization = `Bearer ${opts.apiKey}`;
  const http = new HttpClient({ provider: opts.name, baseUrl: opts.baseUrl, headers, connections: opts.connections });
  const flavour = flavourFor(opts.baseUrl);

  /** A whole answer, read and checked (see answer-check.ts): no empty success, normal finish reasons. */
  const answerOf = (payload: unknown, prefill: string | undefined): ProviderResult => {
    const error = payloadError(opts.name, payload);
    if (error) throw error;
    const parsed = parseCompletion(payload);
    if (!parsed) throw malformedError(opts.name, 'no choices[0].message in the answer');
    return checkedAnswer(opts.name, parsed, prefill);
  };

  const generate = (req: ProviderRequest): Promise<ProviderResult> =>
    http.json(
      { path: '/chat/completions', body: chatBody(req, flavour, false), timeouts: req.timeouts, signal: req.signal, onResponseStart: req.onResponseStart, headers: req.trace },
      (payload) => answerOf(payload, req.prefill),
    );

  async function streamInto(req: ProviderRequest, emit: (chunk: StreamChunk) => void): Promise<void> {
    const events = http.sse({
      path: '/chat/completions',
      body: chatBody(req, flavour, true),
      timeouts: req.timeouts,
      signal: req.signal,
      onResponseStart: req.onResponseStart,
      headers: req.trace,
      progress: chunkCarries,
    });
    let finish: string | undefined;
    let usage: Usage | undefined;
    let done = false;
    // Each event is turned into chunks as it is parsed (no iterator per layer: see SseStream.read).
    await events.read((event) => {
      if (event === SSE_DONE) {
        done = true;
        return;
      }
      const error = payloadError(opts.name, event);
      if (error) throw error;
      const chunk = parseChunk(event);
      if (chunk.text) emit(chunk.logprobs === undefined ? { type: 'delta', text: chunk.text } : { type: 'delta', text: chunk.text, logprobs: chunk.logprobs });
      for (const call of chunk.toolCalls) emit({ type: 'tool_call', index: call.index, id: call.id, name: call.name, arguments: call.arguments });
      if (chunk.usage) usage = chunk.usage;
      if (chunk.finish && !finish) {
        finish = chunk.finish;
        events.finishing(FINISH_GRACE_MS);
      }
    });
    if (!done && !finish) throw truncatedError(opts.name, 'no finish_reason and no [DONE]');
    if (usage) emit({ type: 'usage', usage });
    emit({ type: 'finish', finish_reason: finish ?? 'stop' });
  }

  return {
    name: opts.name,
    simulated: false,
    generate,
    // Every answer and text stream passes the answer checks (no empty success, normal finish reasons).
    ...checkedStreams(opts.name, streamInto),
    close: () => http.close(),
  };
}
