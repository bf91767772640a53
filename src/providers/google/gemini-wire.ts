import { randomUUID } from 'node:crypto';
import { mediaFromUrl, mimeFromUrl, parseDataUri } from '../content.js';
import type { ChatMessage, ChatOptions, ContentPart, Media, ProviderRequest, ReasoningEffort, ToolCall, UnsupportedOption, Usage } from '../types.js';
import { isObject, num, said } from '../json-shape.js';

/**
 * Gemini's generateContent wire format: system messages → `systemInstruction`,
 * assistant → role `model`, images → `inlineData` (data URIs) or `fileData` (URLs),
 * a prefill → a trailing `model` turn; answers and stream chunks back to plain values.
 */

type GeminiPart =
  | { text: string }
  | { inlineData: { mimeType: string; data: string } }
  | { fileData: { mimeType: string; fileUri: string } }
  | { functionCall: { name: string; args: unknown }; thoughtSignature?: string }
  | { functionResponse: { name: string; response: Record<string, unknown> } };

function toPart(part: ContentPart): GeminiPart {
  if (part.type === 'text') return { text: part.text };
  const url = part.image_url.url;
  const data = parseDataUri(url);
  if (data) return { inlineData: { mimeType: data.mimeType, data: data.data } };
  return { fileData: { mimeType: mimeFromUrl(url, 'image/jpeg'), fileUri: url } };
}

const toParts = (content: ChatMessage['content']): GeminiPart[] => (typeof content === 'string' ? [{ text: content }] : content.map(toPart));

/**
 * Gemini asks for the `thoughtSignature` of a function call back with it on the next turn;
 * it travels inside the OpenAI tool call id (opaque to callers, echoed back by them).
 */
const SIGNATURE_MARK = '.sig.';

function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return isObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** An assistant turn that called tools: its text, then one functionCall part per call. */
function modelParts(m: ChatMessage): GeminiPart[] {
  const parts = m.content === '' || (Array.isArray(m.content) && m.content.length === 0) ? [] : toParts(m.content);
  for (const call of m.tool_calls ?? []) {
    const mark = call.id.indexOf(SIGNATURE_MARK);
    const signature = mark >= 0 ? { thoughtSignature: call.id.slice(mark + SIGNATURE_MARK.length) } : {};
    parts.push({ functionCall: { name: call.function.name, args: parseJsonObject(call.function.arguments) ?? {} }, ...signature });
  }
  return parts;
}

/** The Gemini `contents`: assistant → `model`; tool results → `functionResponse` parts of one user turn. */
function toContents(messages: ChatMessage[]): Array<{ role: string; parts: GeminiPart[] }> {
  const names = new Map<string, string>();
  const contents: Array<{ role: string; parts: GeminiPart[] }> = [];
  for (const m of messages) {
    if (m.role === 'system') continue;
    if (m.role === 'tool') {
      const text = typeof m.content === 'string' ? m.content : m.content.map((p) => (p.type === 'text' ? p.text : '')).join('');
      const name = (m.tool_call_id && names.get(m.tool_call_id)) ?? m.name ?? 'unknown';
      const part: GeminiPart = { functionResponse: { name, response: parseJsonObject(text) ?? { result: text } } };
      const last = contents.at(-1);
      // Answers to parallel calls go back together, in one turn.
      if (last?.role === 'user' && last.parts.every((p) => 'functionResponse' in p)) last.parts.push(part);
      else contents.push({ role: 'user', parts: [part] });
      continue;
    }
    for (const call of m.tool_calls ?? []) names.set(call.id, call.function.name);
    contents.push(m.role === 'assistant' ? { role: 'model', parts: modelParts(m) } : { role: 'user', parts: toParts(m.content) });
  }
  return contents;
}

/** OpenAI `reasoning_effort` as a Gemini thinking budget in tokens (Google's own OpenAI-compatibility table). */
const THINKING_BUDGET: Record<ReasoningEffort, number> = { none: 0, minimal: 512, low: 1024, medium: 8192, high: 24576 };

/** The fields of ChatOptions Gemini has no equivalent for (or cannot honour with this value). */
export function geminiUnsupported(options: ChatOptions): UnsupportedOption[] {
  const out: UnsupportedOption[] = [];
  if (options.logit_bias !== undefined) out.push({ param: 'logit_bias', message: 'Gemini has no token bias' });
  if (options.user !== undefined) out.push({ param: 'user', message: 'Gemini takes no end-user identifier' });
  if (options.metadata !== undefined) out.push({ param: 'metadata', message: 'Gemini stores no completion metadata' });
  if (options.parallel_tool_calls === false) out.push({ param: 'parallel_tool_calls', message: 'Gemini cannot be limited to one tool call per turn' });
  return out;
}

/** Request options as Gemini `generationConfig` fields. */
function generationOptions(options: ChatOptions, config: Record<string, unknown>): void {
  if (options.stop !== undefined) config.stopSequences = options.stop;
  if (options.top_p !== undefined) config.topP = options.top_p;
  if (options.seed !== undefined) config.seed = options.seed;
  if (options.frequency_penalty !== undefined) config.frequencyPenalty = options.frequency_penalty;
  if (options.presence_penalty !== undefined) config.presencePenalty = options.presence_penalty;
  if (options.n !== undefined) config.candidateCount = options.n;
  if (options.logprobs) config.responseLogprobs = true;
  if (options.top_logprobs !== undefined) config.logprobs = options.top_logprobs;
  const format = options.response_format;
  if (format?.type === 'json_object') config.responseMimeType = 'application/json';
  if (format?.type === 'json_schema') {
    config.responseMimeType = 'application/json';
    // responseJsonSchema takes JSON Schema as is (responseSchema only an OpenAPI subset).
    if (format.json_schema.schema) config.responseJsonSchema = format.json_schema.schema;
  }
  if (options.reasoning_effort !== undefined) config.thinkingConfig = { thinkingBudget: THINKING_BUDGET[options.reasoning_effort] };
}

/** OpenAI tools and tool_choice as Gemini `tools` (function declarations) and `toolConfig`. */
function toolOptions(options: ChatOptions, body: Record<string, unknown>): void {
  if (options.tools && options.tools.length > 0) {
    body.tools = [
      {
        functionDeclarations: options.tools.map((t) => ({
          name: t.function.name,
          ...(t.function.description !== undefined ? { description: t.function.description } : {}),
          ...(t.function.parameters !== undefined ? { parametersJsonSchema: t.function.parameters } : {}),
        })),
      },
    ];
  }
  const choice = options.tool_choice;
  if (choice === undefined) return;
  const config =
    typeof choice === 'object'
      ? { mode: 'ANY', allowedFunctionNames: [choice.function.name] }
      : { mode: choice === 'required' ? 'ANY' : choice === 'none' ? 'NONE' : 'AUTO' };
  body.toolConfig = { functionCallingConfig: config };
}

export function geminiBody(req: ProviderRequest): Record<string, unknown> {
  const system = req.messages.filter((m) => m.role === 'system');
  const contents = toContents(req.messages);
  if (req.prefill) contents.push({ role: 'model', parts: [{ text: req.prefill }] });
  const generationConfig: Record<string, unknown> = {};
  if (req.max_tokens !== undefined) generationConfig.maxOutputTokens = req.max_tokens;
  if (req.temperature !== undefined) generationConfig.temperature = req.temperature;
  if (req.json) generationConfig.responseMimeType = 'application/json';
  if (req.kind === 'image') generationConfig.responseModalities = ['TEXT', 'IMAGE'];
  const body: Record<string, unknown> = { contents, generationConfig };
  if (req.options) {
    generationOptions(req.options, generationConfig);
    toolOptions(req.options, body);
  }
  if (system.length > 0) body.systemInstruction = { parts: system.flatMap((m) => toParts(m.content)) };
  return body;
}


export function geminiUsage(raw: unknown): Usage | undefined {
  if (!isObject(raw)) return undefined;
  const prompt = num(raw.promptTokenCount);
  // Thinking tokens are billed as output.
  const completion = num(raw.candidatesTokenCount) + num(raw.thoughtsTokenCount);
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: num(raw.totalTokenCount) || prompt + completion };
}

const FINISH: Record<string, string> = { STOP: 'stop', MAX_TOKENS: 'length' };

/** Gemini `logprobsResult` in OpenAI's `choices[].logprobs` shape. */
function openAiLogprobs(raw: unknown): unknown {
  if (!isObject(raw) || !Array.isArray(raw.chosenCandidates)) return undefined;
  const top: unknown[] = Array.isArray(raw.topCandidates) ? raw.topCandidates : [];
  const entry = (c: unknown) => (isObject(c) ? { token: String(c.token ?? ''), logprob: num(c.logProbability), bytes: null } : { token: '', logprob: 0, bytes: null });
  return {
    content: raw.chosenCandidates.map((c: unknown, i) => {
      const alternatives = top[i];
      const list: unknown[] = isObject(alternatives) && Array.isArray(alternatives.candidates) ? alternatives.candidates : [];
      return { ...entry(c), top_logprobs: list.map(entry) };
    }),
  };
}

/** The functionCall parts of a candidate as OpenAI tool calls (`arguments` a JSON string). */
function toolCallsOf(parts: unknown[], firstIndex: number): ToolCall[] {
  const calls: ToolCall[] = [];
  for (const part of parts) {
    if (!isObject(part) || !isObject(part.functionCall) || typeof part.functionCall.name !== 'string') continue;
    const fc = part.functionCall;
    const name: string = part.functionCall.name;
    const base = typeof fc.id === 'string' && fc.id ? fc.id : `call_${firstIndex + calls.length}_${randomUUID().slice(0, 8)}`;
    const id = typeof part.thoughtSignature === 'string' ? `${base}${SIGNATURE_MARK}${part.thoughtSignature}` : base;
    calls.push({ id, type: 'function', function: { name, arguments: JSON.stringify(fc.args ?? {}) } });
  }
  return calls;
}

/**
 * Whether a streamGenerateContent chunk carries anything: a part with text (reasoning included), a
 * function call, inline data or any other non-empty field, a finish reason, prompt feedback or an
 * error. False for keep-alives — candidates whose parts are all empty (`[{"text": ""}]`), no
 * candidates with only `usageMetadata` (Gemini repeats it on every chunk) — so a stream of nothing
 * but those is a stall (see `HttpCall.progress`; the OpenAI-compatible wire's is `chunkCarries`).
 */
export function geminiChunkCarries(payload: unknown): boolean {
  if (!isObject(payload)) return true;
  if (said(payload.error) || said(payload.promptFeedback)) return true;
  const candidates = Array.isArray(payload.candidates) ? payload.candidates : [];
  return candidates.some((candidate) => {
    if (!isObject(candidate) || said(candidate.finishReason)) return true;
    const parts: unknown[] = isObject(candidate.content) && Array.isArray(candidate.content.parts) ? candidate.content.parts : [];
    return parts.some((part) => !isObject(part) || Object.entries(part).some(([key, value]) => key !== 'thought' && said(value)));
  });
}

/**
 * One response or stream chunk: its text, inline media, function calls, logprobs, finish
 * reason and usage. Gemini ends a turn that called functions with STOP; it is reported
 * as OpenAI's `tool_calls`. `toolIndex` numbers calls across a stream's chunks.
 */
export function parseGemini(
  payload: unknown,
  toolIndex = 0,
): { text: string; media: Media[]; toolCalls: ToolCall[]; logprobs?: unknown; finish?: string; usage?: Usage; hasCandidate: boolean } {
  const candidate: unknown = isObject(payload) && Array.isArray(payload.candidates) ? payload.candidates[0] : undefined;
  const parts: unknown[] = isObject(candidate) && isObject(candidate.content) && Array.isArray(candidate.content.parts) ? candidate.content.parts : [];
  let text = '';
  const media: Media[] = [];
  for (const part of parts) {
    if (!isObject(part) || part.thought === true) continue;
    if (typeof part.text === 'string') text += part.text;
    const inline = part.inlineData;
    if (isObject(inline) && typeof inline.data === 'string') {
      const mime = typeof inline.mimeType === 'string' ? inline.mimeType : 'image/png';
      media.push(mediaFromUrl(mime.startsWith('video/') ? 'video' : 'image', `data:${mime};base64,${inline.data}`, mime));
    }
  }
  const toolCalls = toolCallsOf(parts, toolIndex);
  const reason = isObject(candidate) && typeof candidate.finishReason === 'string' ? candidate.finishReason : undefined;
  const logprobs = isObject(candidate) ? openAiLogprobs(candidate.logprobsResult) : undefined;
  return {
    text,
    media,
    toolCalls,
    ...(logprobs !== undefined ? { logprobs } : {}),
    finish: reason ? (FINISH[reason] ?? reason.toLowerCase()) : undefined,
    usage: isObject(payload) ? geminiUsage(payload.usageMetadata) : undefined,
    hasCandidate: isObject(candidate),
  };
}
