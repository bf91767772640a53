import { mediaFromUrl } from '../content.js';
import type { ChatMessage, Media, ProviderRequest, ProviderResult, ToolCall, Usage } from '../types.js';
import { emptyUsage } from '../types.js';
import { isObject, listOf, num, said } from '../json-shape.js';

/**
 * The OpenAI chat-completions wire format: request bodies from a ProviderRequest,
 * and answers/stream chunks back to plain values. Differences between servers
 * that speak it are data (a flavour table), not branches in the adapter.
 */

/** What differs between OpenAI-compatible servers. */
export interface Flavour {
  /** OpenAI's own API wants `max_completion_tokens`; the others take `max_tokens`. */
  maxTokensField: 'max_tokens' | 'max_completion_tokens';
}

const FLAVOURS: Array<{ host: RegExp; flavour: Flavour }> = [{ host: /(^|\.)api\.openai\.com$/, flavour: { maxTokensField: 'max_completion_tokens' } }];
const DEFAULT_FLAVOUR: Flavour = { maxTokensField: 'max_tokens' };

export function flavourFor(baseUrl: string): Flavour {
  const host = new URL(baseUrl).hostname;
  return FLAVOURS.find((f) => f.host.test(host))?.flavour ?? DEFAULT_FLAVOUR;
}

/** An assistant turn that only called tools carries `content: null`, as OpenAI sends it. */
const needsNullContent = (m: ChatMessage): boolean => m.tool_calls !== undefined && m.tool_calls.length > 0 && m.content === '';
const wireMessage = (m: ChatMessage): unknown => (needsNullContent(m) ? { ...m, content: null } : m);

/**
 * The chat-completions body. Vision parts, tool calls and tool results go through as-is;
 * a prefill becomes a trailing assistant message; every request option is forwarded
 * under its own name (`response_format` wins over the plain JSON switch).
 */
export function chatBody(req: ProviderRequest, flavour: Flavour, stream: boolean): Record<string, unknown> {
  // The caller's messages go as they are unless one must change (no copy per attempt otherwise).
  const messages: unknown[] = req.prefill || req.messages.some(needsNullContent) ? req.messages.map(wireMessage) : req.messages;
  if (req.prefill) messages.push({ role: 'assistant', content: req.prefill });
  const body: Record<string, unknown> = { model: req.model, messages };
  if (req.max_tokens !== undefined) body[flavour.maxTokensField] = req.max_tokens;
  if (req.temperature !== undefined) body.temperature = req.temperature;
  if (req.json) body.response_format = { type: 'json_object' };
  for (const [key, value] of Object.entries(req.options ?? {})) if (value !== undefined) body[key] = value;
  // OpenRouter's image output: the model answers with message.images[] alongside text.
  if (req.kind === 'image') body.modalities = ['image', 'text'];
  if (stream) {
    body.stream = true;
    body.stream_options = { include_usage: true };
  }
  return body;
}


export function toUsage(raw: unknown): Usage | undefined {
  if (!isObject(raw)) return undefined;
  const prompt = num(raw.prompt_tokens);
  const completion = num(raw.completion_tokens);
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: num(raw.total_tokens) || prompt + completion };
}

/** Message content as text: a string, or the text parts of an array. */
function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((p) => (isObject(p) && typeof p.text === 'string' ? p.text : '')).join('');
}

function imagesOf(message: Record<string, unknown>): Media[] {
  const images = Array.isArray(message.images) ? message.images : [];
  const media: Media[] = [];
  for (const img of images) {
    const url = isObject(img) && isObject(img.image_url) ? img.image_url.url : undefined;
    if (typeof url === 'string' && url) media.push(mediaFromUrl('image', url, 'image/png'));
  }
  return media;
}

/** `message.tool_calls` of an answer: complete function calls (`arguments` a JSON string). */
function toolCallsOf(message: Record<string, unknown>): ToolCall[] {
  const calls = Array.isArray(message.tool_calls) ? message.tool_calls : [];
  const out: ToolCall[] = [];
  for (const call of calls) {
    if (!isObject(call) || !isObject(call.function) || typeof call.function.name !== 'string') continue;
    const args = call.function.arguments;
    out.push({
      id: typeof call.id === 'string' ? call.id : `call_${out.length}`,
      type: 'function',
      function: { name: call.function.name, arguments: typeof args === 'string' ? args : JSON.stringify(args ?? {}) },
    });
  }
  return out;
}

/** A non-stream answer as read from the wire (before the answer checks): a provider's result, never simulated. */
type Completion = ProviderResult & { simulated: false };

/** A non-stream answer, or undefined when it lacks a first choice with a message. */
export function parseCompletion(payload: unknown): Completion | undefined {
  if (!isObject(payload) || !Array.isArray(payload.choices)) return undefined;
  const choice: unknown = payload.choices[0];
  if (!isObject(choice) || !isObject(choice.message)) return undefined;
  const toolCalls = toolCallsOf(choice.message);
  const parsed: Completion = {
    text: contentText(choice.message.content),
    usage: toUsage(payload.usage) ?? emptyUsage(),
    finish_reason: typeof choice.finish_reason === 'string' ? choice.finish_reason : 'stop',
    media: imagesOf(choice.message),
    simulated: false,
  };
  if (toolCalls.length > 0) parsed.tool_calls = toolCalls;
  if (choice.logprobs != null) parsed.logprobs = choice.logprobs;
  return parsed;
}

/** A piece of a streamed tool call (OpenAI delta shape). */
export interface ToolCallDelta {
  index: number;
  id?: string;
  name?: string;
  arguments?: string;
}

/** The tool call pieces of a chunk without any (most chunks): one shared empty list, never written to. */
const NO_CALLS: ToolCallDelta[] = [];

function toolCallDeltas(delta: Record<string, unknown> | undefined): ToolCallDelta[] {
  const calls = delta && Array.isArray(delta.tool_calls) ? delta.tool_calls : NO_CALLS;
  if (calls.length === 0) return NO_CALLS;
  const out: ToolCallDelta[] = [];
  calls.forEach((call: unknown, i) => {
    if (!isObject(call)) return;
    const fn = isObject(call.function) ? call.function : {};
    out.push({
      index: typeof call.index === 'number' ? call.index : i,
      ...(typeof call.id === 'string' ? { id: call.id } : {}),
      ...(typeof fn.name === 'string' ? { name: fn.name } : {}),
      ...(typeof fn.arguments === 'string' ? { arguments: fn.arguments } : {}),
    });
  });
  return out;
}

/** One stream chunk: its text delta, tool call pieces, logprobs, finish reason and usage, whichever it carries. */
export function parseChunk(payload: unknown): { text: string; toolCalls: ToolCallDelta[]; logprobs?: unknown; finish?: string; usage?: Usage } {
  if (!isObject(payload)) return { text: '', toolCalls: [] };
  const choice: unknown = Array.isArray(payload.choices) ? payload.choices[0] : undefined;
  // A whole answer where a chunk was expected (a server that ignored `stream`) carries a `message`: read it as the delta.
  const delta = isObject(choice) ? (isObject(choice.delta) ? choice.delta : isObject(choice.message) ? choice.message : undefined) : undefined;
  const finish = isObject(choice) && typeof choice.finish_reason === 'string' ? choice.finish_reason : undefined;
  const chunk: ReturnType<typeof parseChunk> = { text: delta ? contentText(delta.content) : '', toolCalls: toolCallDeltas(delta), finish, usage: toUsage(payload.usage) };
  if (isObject(choice) && choice.logprobs != null) chunk.logprobs = choice.logprobs;
  return chunk;
}

/**
 * Whether a stream chunk carries anything: text, reasoning, a tool call, a finish reason, usage,
 * an error, or any other non-empty delta field. False for keep-alives — `{"choices":[{"delta":
 * {"content":""}}]}`, a role-only first delta, `choices: []` alone — so a stream of nothing but
 * those is a stall (see `HttpCall.progress`).
 */
export function chunkCarries(payload: unknown): boolean {
  if (!isObject(payload)) return true;
  if (said(payload.error) || said(payload.usage)) return true;
  return listOf(payload.choices).some(
    (choice) =>
      !isObject(choice) ||
      said(choice.finish_reason) ||
      said(choice.error) ||
      (isObject(choice.delta) && deltaSays(choice.delta)),
  );
}

/** Whether a delta has a field other than `role` that says something (no array of entries per event). */
function deltaSays(delta: Record<string, unknown>): boolean {
  for (const key in delta) if (key !== 'role' && Object.hasOwn(delta, key) && said(delta[key])) return true;
  return false;
}
