/**
 * The provider adapter interface: what every vendor wire format is reduced to.
 * Adapters speak HTTP (undici) to one vendor; the gateway above them decides
 * retries, fallbacks and limits. Adapters throw only `ProviderError` (or the
 * caller's abort reason when the caller's signal fired).
 */

import type { CallerSignal } from '../caller-signal.js';

export type Role = 'system' | 'user' | 'assistant' | 'tool';

export type ContentPart = { type: 'text'; text: string } | { type: 'image_url'; image_url: { url: string } };

/**
 * A function call the model asked for, in OpenAI's Chat Completions shape
 * (https://platform.openai.com/docs/api-reference/chat/object): `arguments` is a JSON string.
 */
export interface ToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

/** A function the caller offers the model (OpenAI `tools[]` entry); `parameters` is a JSON Schema. */
export interface ToolDefinition {
  type: 'function';
  function: { name: string; description?: string; parameters?: Record<string, unknown>; strict?: boolean };
}

/** How the model may use the offered tools (OpenAI `tool_choice`). */
export type ToolChoice = 'none' | 'auto' | 'required' | { type: 'function'; function: { name: string } };

/** The answer's format (OpenAI `response_format`); `json_schema` carries a JSON Schema the answer must match. */
export type ResponseFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | { type: 'json_schema'; json_schema: { name: string; description?: string; schema?: Record<string, unknown>; strict?: boolean | null } };

/** OpenAI `reasoning_effort`: how much a reasoning model thinks before answering. */
export type ReasoningEffort = 'none' | 'minimal' | 'low' | 'medium' | 'high';

/**
 * The Chat Completions request fields beyond messages, in OpenAI's terms
 * (https://platform.openai.com/docs/api-reference/chat/create). Each adapter
 * forwards or maps every field it is given, and says through
 * `ProviderAdapter.unsupported` which ones it cannot honour — none is dropped.
 */
export interface ChatOptions {
  /** Up to 4 sequences where generation stops. */
  stop?: string[];
  top_p?: number;
  seed?: number;
  frequency_penalty?: number;
  presence_penalty?: number;
  /** Token id (as a string) → bias in [-100, 100]. */
  logit_bias?: Record<string, number>;
  logprobs?: boolean;
  /** 0–20 most likely tokens per position; needs `logprobs`. */
  top_logprobs?: number;
  /** The end user, for the provider's abuse monitoring. */
  user?: string;
  /** Choices to generate; the gateway returns one answer, so only 1 reaches an adapter. */
  n?: number;
  response_format?: ResponseFormat;
  tools?: ToolDefinition[];
  tool_choice?: ToolChoice;
  parallel_tool_calls?: boolean;
  reasoning_effort?: ReasoningEffort;
  /** Up to 16 string pairs stored with the completion by the provider. */
  metadata?: Record<string, string>;
}

/** A request field an adapter cannot honour: `param` names it as the caller sent it. */
export interface UnsupportedOption {
  param: keyof ChatOptions;
  message: string;
}

export interface ChatMessage {
  role: Role;
  content: string | ContentPart[];
  /** Assistant turns that called tools. */
  tool_calls?: ToolCall[];
  /** `role: 'tool'` turns: the call this message answers. */
  tool_call_id?: string;
  /** Optional participant name (OpenAI `name`). */
  name?: string;
}

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

/** Generated media: a URL the provider hosts, or the bytes inline as a data URI. */
export interface Media {
  type: 'image' | 'video';
  url?: string;
  data_uri?: string;
  mime_type: string;
  /** Length of a generated video, for per-second pricing. */
  duration_s?: number;
}

/** What a call produces: text (chat, vision), an image or a video. */
export type OutputKind = 'text' | 'image' | 'video';

/** Per-attempt time limits, resolved by the gateway from model → provider → global defaults. */
export interface AttemptTimeouts {
  connect_ms: number;
  /** Until response headers and, for streams, the first token. */
  first_byte_ms: number;
  /**
   * Non-streamed calls: the provider sends its headers only with the finished answer,
   * so the whole answer must arrive within this (default: first_byte_ms).
   */
  response_ms?: number;
  /** Longest silence between stream chunks (also bounds long-running operation polls). */
  stream_idle_ms: number;
  /** The whole attempt, derived from the caller's remaining budget. */
  total_ms: number;
  /** True when `total_ms` is the caller's remaining budget rather than a configured cap. */
  budget_limited?: boolean;
}

export interface ProviderRequest {
  /** The provider's own model id (e.g. `meta-llama/llama-3.3-70b-instruct`). */
  model: string;
  kind: OutputKind;
  messages: ChatMessage[];
  max_tokens?: number;
  temperature?: number;
  /** Ask for a single JSON object as the answer. */
  json?: boolean;
  /** Further Chat Completions fields (sampling, format, tools); see ChatOptions. */
  options?: ChatOptions;
  /** A partial assistant answer the model should continue (only for models with the `assistant_prefill` capability). */
  prefill?: string;
  timeouts: AttemptTimeouts;
  /**
   * The attempt's cancellation: inside the gateway its AttemptScope (HttpClient runs the exchange on the
   * attempt's timer when given one); an AbortSignal is one too. `AttemptScope.signal` makes an AbortSignal for APIs that need one.
   */
  signal: CallerSignal;
  /**
   * The attempt's W3C trace context (`traceparent`, `tracestate`), sent as headers with every
   * HTTP exchange of the attempt so the provider's spans join the trace; absent when tracing is off.
   */
  trace?: { traceparent: string; tracestate?: string };
  /** Called when the provider's response begins (its headers arrived). */
  onResponseStart?: (headers?: Record<string, string | string[] | undefined>) => void;
}

export interface ProviderResult {
  text: string;
  usage: Usage;
  finish_reason: string;
  media: Media[];
  /** Functions the model asked to call (an answer may be only tool calls, with empty text). */
  tool_calls?: ToolCall[];
  /** Token log probabilities in OpenAI's `choices[].logprobs` shape, when they were asked for. */
  logprobs?: unknown;
  /** True when the simulator made this answer. */
  simulated: boolean;
}

export type StreamChunk =
  | { type: 'delta'; text: string; /** OpenAI `choices[].logprobs` of this delta, when asked for. */ logprobs?: unknown }
  | { type: 'usage'; usage: Usage }
  /** A streamed piece of tool call `index`: `id`/`name` arrive first, `arguments` in pieces (OpenAI delta shape). */
  | { type: 'tool_call'; index: number; id?: string; name?: string; arguments?: string }
  | { type: 'finish'; finish_reason: string };

export interface ProviderAdapter {
  /** The provider's name in the config (`openrouter`, `google_ai`...). */
  readonly name: string;
  readonly simulated: boolean;
  generate(req: ProviderRequest): Promise<ProviderResult>;
  /**
   * Yields deltas, then at most one usage chunk, then exactly one `finish`.
   * A stream that ends any other way (cut, stall, garbage, no terminator) throws a ProviderError:
   * a truncated stream never ends as a success.
   */
  stream(req: ProviderRequest): AsyncIterable<StreamChunk>;
  /**
   * The push form of `stream`, for adapters that read their wire that way: `emit` is called with
   * each chunk as it is parsed (the same chunks, order and checks as `stream`, without a promise
   * per chunk). Resolves after `finish` was emitted; rejects where `stream` would throw. An `emit`
   * that throws ends the stream (the upstream request is closed) and the promise rejects with that
   * error, untouched. The gateway uses it when present.
   */
  streamInto?(req: ProviderRequest, emit: (chunk: StreamChunk) => void): Promise<void>;
  /**
   * The request fields this provider cannot honour for this request (empty when it honours all).
   * The gateway passes such a provider by, and the OpenAI door answers 400 naming the field.
   * Adapters without it honour every field.
   */
  unsupported?(options: ChatOptions, model: string): UnsupportedOption[];
  /** Closes pooled connections (shutdown). Adapters without connections may omit it. */
  close?(): Promise<void>;
}

export const emptyUsage = (): Usage => ({ prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 });
