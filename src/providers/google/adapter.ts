import { lastUserText } from '../content.js';
import { HttpClient } from '../http.js';
import type { Media, ProviderAdapter, ProviderRequest, ProviderResult, StreamChunk, Usage } from '../types.js';
import { emptyUsage } from '../types.js';
import { malformedError, payloadError, truncatedError } from '../wire-errors.js';
import { checkedAnswer, checkedStreams } from '../answer-check.js';
import { geminiBody, geminiChunkCarries, geminiUnsupported, parseGemini } from './gemini-wire.js';
import { generateVideo } from './veo.js';

/** What a Google AI provider needs; the key travels in `x-goog-api-key`, never in the URL. */
export interface GoogleOptions {
  name: string;
  baseUrl: string;
  apiKey?: string;
  headers?: Record<string, string>;
  /** Pool size; default 256. */
  connections?: number;
  /** First wait between Veo operation polls (default 1 s, doubling to `veoPollCapMs`). */
  veoPollMs?: number;
  veoPollCapMs?: number;
}

const FINISH_GRACE_MS = 500;

/**
 * Google AI: Gemini generate/stream (text, vision, JSON, Gemini image output),
 * Imagen `:predict` for image models named `imagen…`, Veo long-running operations for video.
 */
export function createGoogleAdapter(opts: GoogleOptions): ProviderAdapter {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.apiKey) headers['x-goog-api-key'] = opts.apiKey;
  const http = new HttpClient({ provider: opts.name, baseUrl: opts.baseUrl, headers, connections: opts.connections });
  const poll = { initialMs: opts.veoPollMs ?? 1000, capMs: opts.veoPollCapMs ?? 10_000 };
  /**
   * One JSON exchange; `read` turns the answer into the result inside it (HttpClient.json: no promise
   * of its own). A throw while building the request rejects, as it does in an async function.
   */
  const call = <T>(req: ProviderRequest, path: string, build: (req: ProviderRequest) => unknown, read: (payload: unknown) => T): Promise<T> => {
    try {
      return http.json({ path, body: build(req), timeouts: req.timeouts, signal: req.signal, onResponseStart: req.onResponseStart, headers: req.trace }, read);
    } catch (err) {
      return Promise.reject(err);
    }
  };

  const geminiAnswer = (payload: unknown): ProviderResult => {
    const error = payloadError(opts.name, payload);
    if (error) throw error;
    const parsed = parseGemini(payload);
    if (!parsed.hasCandidate) throw malformedError(opts.name, 'no candidates in the answer');
    const calls = parsed.toolCalls.length > 0 ? { tool_calls: parsed.toolCalls } : {};
    const logprobs = parsed.logprobs !== undefined ? { logprobs: parsed.logprobs } : {};
    const finish = parsed.toolCalls.length > 0 && (parsed.finish ?? 'stop') === 'stop' ? 'tool_calls' : (parsed.finish ?? 'stop');
    return { text: parsed.text, media: parsed.media, usage: parsed.usage ?? emptyUsage(), finish_reason: finish, ...calls, ...logprobs, simulated: false };
  };

  const imagenAnswer = (payload: unknown): ProviderResult => {
    const error = payloadError(opts.name, payload);
    if (error) throw error;
    const predictions = (payload as { predictions?: Array<{ bytesBase64Encoded?: string; mimeType?: string }> }).predictions ?? [];
    const media: Media[] = predictions
      .filter((p) => typeof p?.bytesBase64Encoded === 'string')
      .map((p) => ({ type: 'image', mime_type: p.mimeType ?? 'image/png', data_uri: `data:${p.mimeType ?? 'image/png'};base64,${p.bytesBase64Encoded}` }));
    if (media.length === 0) throw malformedError(opts.name, 'no image in the predictions');
    return { text: '', media, usage: emptyUsage(), finish_reason: 'stop', simulated: false };
  };

  const gemini = (req: ProviderRequest): Promise<ProviderResult> =>
    call(req, `/models/${req.model}:generateContent`, geminiBody, geminiAnswer);

  const imagenBody = (req: ProviderRequest) => ({ instances: [{ prompt: lastUserText(req.messages) }], parameters: { sampleCount: 1 } });
  const imagen = (req: ProviderRequest): Promise<ProviderResult> => call(req, `/models/${req.model}:predict`, imagenBody, imagenAnswer);

  function generate(req: ProviderRequest): Promise<ProviderResult> {
    if (req.kind === 'video') return generateVideo(http, req, poll);
    if (req.kind === 'image' && /^imagen/i.test(req.model)) return imagen(req);
    return gemini(req);
  }

  async function streamInto(req: ProviderRequest, emit: (chunk: StreamChunk) => void): Promise<void> {
    if (req.kind !== 'text') {
      // Media generation has no token stream: one answer, delivered as a stream.
      const result = await generate(req);
      if (result.text) emit({ type: 'delta', text: result.text });
      emit({ type: 'usage', usage: result.usage });
      emit({ type: 'finish', finish_reason: result.finish_reason });
      return;
    }
    const events = http.sse({
      path: `/models/${req.model}:streamGenerateContent?alt=sse`,
      body: geminiBody(req),
      timeouts: req.timeouts,
      signal: req.signal,
      onResponseStart: req.onResponseStart,
      headers: req.trace,
      progress: geminiChunkCarries,
    });
    let finish: string | undefined;
    let usage: Usage | undefined;
    let toolCalls = 0;
    // Each event is turned into chunks as it is parsed (no iterator per layer: see SseStream.read).
    await events.read((event) => {
      const error = payloadError(opts.name, event);
      if (error) throw error;
      const chunk = parseGemini(event, toolCalls);
      if (chunk.text) emit(chunk.logprobs === undefined ? { type: 'delta', text: chunk.text } : { type: 'delta', text: chunk.text, logprobs: chunk.logprobs });
      // Gemini sends each function call whole, in one chunk.
      for (const call of chunk.toolCalls) emit({ type: 'tool_call', index: toolCalls++, id: call.id, name: call.function.name, arguments: call.function.arguments });
      if (chunk.usage) usage = chunk.usage;
      if (chunk.finish && !finish) {
        finish = chunk.finish;
        events.finishing(FINISH_GRACE_MS);
      }
    });
    if (!finish) throw truncatedError(opts.name, 'no finishReason');
    if (usage) emit({ type: 'usage', usage });
    emit({ type: 'finish', finish_reason: toolCalls > 0 && finish === 'stop' ? 'tool_calls' : finish });
  }

  return {
    name: opts.name,
    simulated: false,
    generate: async (req) => checkedAnswer(opts.name, await generate(req), req.prefill),
    // Every answer and text stream passes the answer checks (no empty success, normal finish reasons).
    ...checkedStreams(opts.name, streamInto),
    unsupported: geminiUnsupported,
    close: () => http.close(),
  };
}
