import type { Tiktoken } from 'js-tiktoken/lite';
import type { ChatMessage } from '../providers/types.js';

/**
 * Token estimates with a real tokenizer (cl100k_base), bundled with
 * js-tiktoken so nothing is fetched. Models use different tokenizers; this is
 * an estimate good enough to choose a context window, not a bill.
 *
 * The tokenizer's ranks cost ~48 MB of memory and a few hundred ms to load, so
 * they are loaded on first need only, and most prompts never need them: a
 * prompt's UTF-8 byte count is an upper bound of its tokens (every cl100k token
 * covers at least one byte), and when that bound already fits a window the exact
 * count would decide the same way (`promptSize`, `chooseForPrompt`, `fitHistory`).
 */

/** Tokens a message costs beyond its text (role, separators), as in OpenAI's accounting. */
const PER_MESSAGE_OVERHEAD = 4;
/** A flat estimate per attached image; providers charge roughly this for a mid-sized image. */
export const TOKENS_PER_IMAGE = 1000;

let encoder: Promise<Tiktoken> | undefined;

/** Loads the ranks (a few MB) on first use only, once per process. */
function getEncoder(): Promise<Tiktoken> {
  encoder ??= Promise.all([import('js-tiktoken/lite'), import('js-tiktoken/ranks/cl100k_base')]).then(
    ([lite, ranks]) => new lite.Tiktoken(ranks.default),
  );
  return encoder;
}

/** Whether the tokenizer has been asked for in this process (it loads on first need only). */
export const tokenizerRequested = (): boolean => encoder !== undefined;

/**
 * The longest run (of letters, of punctuation, of whitespace) given to the tokenizer. BPE merges
 * within one pre-tokenized piece take time that grows with the square of its length or worse:
 * 16,000 'x' in one message held the event loop for about 3 minutes (found by the fuzz, issue 17).
 * A longer run is estimated instead, at one token per LONG_RUN_CHARS_PER_TOKEN characters: more
 * than the tokenizer gives repeated characters (8 per token) and about what it gives random
 * base64 or hex, so a context window chosen from it errs on the safe side.
 */
export const MAX_PIECE_CHARS = 64;
export const LONG_RUN_CHARS_PER_TOKEN = 3;
/** A run of non-space or of space characters longer than MAX_PIECE_CHARS. */
const LONG_RUN = new RegExp(`\\S{${MAX_PIECE_CHARS + 1},}|\\s{${MAX_PIECE_CHARS + 1},}`, 'g');

/**
 * Tokens in `text`. Special-token strings in user text count as plain text instead of throwing.
 * Exact for text without long runs (one encode, as before); the text between long runs is encoded
 * as it is and each run estimated, so the time is linear in the text's length.
 */
export async function countTextTokens(text: string): Promise<number> {
  if (text.length === 0) return 0;
  const enc = await getEncoder();
  const count = (piece: string) => (piece.length === 0 ? 0 : enc.encode(piece, [], []).length);
  let total = 0;
  let from = 0;
  for (const run of text.matchAll(LONG_RUN)) {
    total += count(text.slice(from, run.index)) + Math.ceil(run[0].length / LONG_RUN_CHARS_PER_TOKEN);
    from = run.index + run[0].length;
  }
  return total + count(text.slice(from));
}

/** Tokens of a whole prompt: every message's text and images plus per-message overhead. */
export async function countMessageTokens(messages: ChatMessage[]): Promise<number> {
  let total = 0;
  for (const message of messages) {
    total += PER_MESSAGE_OVERHEAD;
    if (typeof message.content === 'string') {
      total += await countTextTokens(message.content);
      continue;
    }
    for (const part of message.content) {
      total += part.type === 'text' ? await countTextTokens(part.text) : TOKENS_PER_IMAGE;
    }
  }
  return total;
}

/** An upper bound of `text`'s tokens without the tokenizer: its UTF-8 bytes (a cl100k token is at least one byte). */
export const textTokenBound = (text: string): number => Buffer.byteLength(text, 'utf8');

/** An upper bound of `countMessageTokens(messages)`, computed without the tokenizer. */
export function messageTokenBound(messages: ChatMessage[]): number {
  let total = 0;
  for (const message of messages) {
    total += PER_MESSAGE_OVERHEAD;
    if (typeof message.content === 'string') total += textTokenBound(message.content);
    else for (const part of message.content) total += part.type === 'text' ? textTokenBound(part.text) : TOKENS_PER_IMAGE;
  }
  return total;
}

/** A prompt's size in tokens: an upper bound at once, the exact count only when asked (then once). */
export interface PromptSize {
  /** >= the exact count; no tokenizer involved. */
  readonly bound: number;
  /** The exact count (loads the tokenizer on first use in the process). */
  exact(): Promise<number>;
}

export function promptSize(messages: ChatMessage[]): PromptSize {
  let exact: Promise<number> | undefined;
  return { bound: messageTokenBound(messages), exact: () => (exact ??= countMessageTokens(messages)) };
}
