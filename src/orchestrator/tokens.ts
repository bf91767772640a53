import type { Tiktoken } from 'js-tiktoken/lite';
import type { ChatMessage } from '../providers/types.js';

/**
 * Token estimates with a real tokenizer (cl100k_base), bundled with
 * js-tiktoken so nothing is fetched. Models use different tokenizers; this is
 * an estimate good enough to choose a context window, not a bill.
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

/** Starts loading the tokenizer in the background, so the first request does not wait for it. */
export function preloadTokenizer(): void {
  getEncoder().catch(() => {
    // A failed load is retried (and reported) by the first real count.
    encoder = undefined;
  });
}

/** Tokens in `text`. Special-token strings in user text count as plain text instead of throwing. */
export async function countTextTokens(text: string): Promise<number> {
  if (text.length === 0) return 0;
  const enc = await getEncoder();
  return enc.encode(text, [], []).length;
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
