import { pulled } from '../channel.js';
import { isObject, listOf } from './json-shape.js';
import { ProviderError } from './provider-error.js';
import type { ProviderAdapter, ProviderRequest, ProviderResult, StreamChunk } from './types.js';

/**
 * What makes a 200 a real answer. A provider may answer "successfully" with a failure
 * inside: a finish reason outside its wire's normal set, or nothing at all. These checks
 * run on every answer and every stream chunk the adapters accept; a failure they find is
 * a failed attempt (server_error: retried, then the fallback), never a success — and in a
 * stream, a broken stream, never a `[DONE]` after partial text.
 */

/**
 * OpenAI chat-completions finish reasons (platform.openai.com/docs/api-reference/chat/object),
 * with the spellings other OpenAI-compatible servers use for the same ends: Together/TGI `eos`,
 * Anthropic-style `end_turn` / `stop_sequence` / `max_tokens` / `tool_use` from relays, Mistral
 * `model_length` (the context filled up: a truncation). Anything else (`error`, DeepSeek's
 * `insufficient_system_resource`, …) is a failed attempt.
 */
const OPENAI_FINISH: ReadonlyMap<string, string> = new Map([
  ['stop', 'stop'],
  ['length', 'length'],
  ['tool_calls', 'tool_calls'],
  ['content_filter', 'content_filter'],
  ['function_call', 'function_call'],
  ['eos', 'stop'],
  ['end_turn', 'stop'],
  ['stop_sequence', 'stop'],
  ['max_tokens', 'length'],
  ['model_length', 'length'],
  ['tool_use', 'tool_calls'],
]);

/**
 * Gemini finish reasons (ai.google.dev/api/generate-content#FinishReason): STOP and MAX_TOKENS end
 * an answer; the refusal family is a content block (reported as content_filter by wire-errors.ts);
 * anything else (OTHER, MALFORMED_FUNCTION_CALL, LANGUAGE, UNEXPECTED_TOOL_CALL, NO_IMAGE,
 * FINISH_REASON_UNSPECIFIED, …) is a failed attempt.
 */
const GEMINI_FINISH: ReadonlyMap<string, string> = new Map([
  ['STOP', 'stop'],
  ['MAX_TOKENS', 'length'],
]);

/** Gemini's refusals: safety, recitation, blocklist, prohibited content, SPII, and every IMAGE_* refusal. */
export const isGeminiBlock = (reason: string): boolean =>
  reason === 'SAFETY' || reason === 'RECITATION' || reason === 'BLOCKLIST' || reason === 'PROHIBITED_CONTENT' || reason === 'SPII' || reason.startsWith('IMAGE_');

const abnormal = (provider: string, reason: string): ProviderError =>
  new ProviderError({ kind: 'server_error', code: 'abnormal_finish', provider, message: `${provider} ended the answer with finish reason '${reason}'` });

/** An OpenAI-compatible finish reason in its normal form (`eos` → `stop`, `model_length` → `length`...). */
export const openAiFinish = (reason: string): string => OPENAI_FINISH.get(reason.toLowerCase()) ?? reason;

/**
 * The failure a successful-looking payload (whole answer or stream chunk) carries in its
 * finish reason, if any: an OpenAI `choices[].finish_reason` outside the normal set, or a Gemini
 * `candidates[].finishReason` that is neither normal nor a refusal. Refusals are left to
 * `payloadError`, which reports them as content_filter.
 */
export function finishFailure(provider: string, payload: Record<string, unknown>): ProviderError | undefined {
  for (const choice of listOf(payload.choices)) {
    if (!isObject(choice) || typeof choice.finish_reason !== 'string') continue;
    if (!OPENAI_FINISH.has(choice.finish_reason.toLowerCase())) return abnormal(provider, choice.finish_reason);
  }
  for (const candidate of listOf(payload.candidates)) {
    if (!isObject(candidate) || typeof candidate.finishReason !== 'string') continue;
    const reason = candidate.finishReason;
    if (!GEMINI_FINISH.has(reason) && !isGeminiBlock(reason)) return abnormal(provider, reason);
  }
  return undefined;
}

/** The `error` object a choice carries (OpenRouter: `choices[0].error` with `finish_reason: "error"`), if any. */
export function choiceError(payload: Record<string, unknown>): unknown {
  for (const choice of listOf(payload.choices)) if (isObject(choice) && choice.error !== undefined && choice.error !== null) return choice.error;
  return undefined;
}

/** True when the answer carries something: text, a tool call or media. */
export const hasContent = (result: Pick<ProviderResult, 'text' | 'media' | 'tool_calls'>): boolean =>
  result.text.trim().length > 0 || (result.tool_calls?.length ?? 0) > 0 || result.media.length > 0;

/**
 * An answer with no text, no tool call and no media is never a success (a failed attempt,
 * `empty_answer`). Continuing a prefill, an empty answer that ended normally may mean the answer
 * was already complete, or that the provider silently declined the prefill: it is reported as a
 * declined prefill (client_error, `prefill_unsupported`), so the gateway asks again without it and
 * keeps the regenerated answer only if it starts with the text already sent — never a truncated success.
 */
export function emptyAnswerError(provider: string, finishReason: string, prefill?: string): ProviderError {
  if (prefill && finishReason === 'stop') {
    return new ProviderError({
      kind: 'client_error',
      code: 'prefill_unsupported',
      provider,
      message: `${provider} answered the assistant prefill with nothing: taken as a declined prefill`,
    });
  }
  return new ProviderError({
    kind: 'server_error',
    code: 'empty_answer',
    provider,
    message: `${provider} answered with no text, no tool call and no media (finish reason '${finishReason}')`,
  });
}

/** The answer, checked (see `emptyAnswerError`) and with its finish reason in the normal form. */
export function checkedAnswer(provider: string, result: ProviderResult, prefill?: string): ProviderResult {
  const finish_reason = openAiFinish(result.finish_reason);
  if (!hasContent(result)) throw emptyAnswerError(provider, finish_reason, prefill);
  return finish_reason === result.finish_reason ? result : { ...result, finish_reason };
}

/**
 * A text stream's chunks, checked on their way to `emit` (the push form of a stream, see
 * `ProviderAdapter.streamInto`): chunks pass through as they come, the finish reason in its normal
 * form; a stream that reaches its finish without any text or tool call throws `empty_answer`
 * instead of finishing (see `emptyAnswerError`).
 */
export function checkedEmit(provider: string, emit: (chunk: StreamChunk) => void, prefill?: string): (chunk: StreamChunk) => void {
  let produced = false;
  return (chunk) => {
    if (chunk.type === 'delta') produced ||= chunk.text.trim().length > 0;
    else if (chunk.type === 'tool_call') produced = true;
    else if (chunk.type === 'finish') {
      const finish_reason = openAiFinish(chunk.finish_reason);
      if (!produced) throw emptyAnswerError(provider, finish_reason, prefill);
      return emit(finish_reason === chunk.finish_reason ? chunk : { type: 'finish', finish_reason });
    }
    emit(chunk);
  };
}

/**
 * An adapter's two stream forms from its push form, checked: `streamInto` runs a text stream's
 * chunks through `checkedEmit` (media streams pass as they are), and `stream` is the same, iterated.
 */
export function checkedStreams(
  provider: string,
  streamInto: (req: ProviderRequest, emit: (chunk: StreamChunk) => void) => Promise<void>,
): Pick<ProviderAdapter, 'stream' | 'streamInto'> {
  const checkedInto = (req: ProviderRequest, emit: (chunk: StreamChunk) => void): Promise<void> =>
    streamInto(req, req.kind === 'text' ? checkedEmit(provider, emit, req.prefill) : emit);
  return {
    streamInto: checkedInto,
    stream: (req) => pulled<StreamChunk>((push) => checkedInto(req, push)),
  };
}
