import type { ChatMessage } from '../providers/types.js';

/**
 * A request's weight against a tokens-per-minute limit: about four characters
 * per token of the messages, plus the answer it may produce. A cheap estimate
 * is enough here: the limiter only needs to stay on the safe side of the pace.
 */
export function requestWeight(messages: ChatMessage[], maxTokens: number, prefill = ''): number {
  let chars = prefill.length;
  for (const m of messages) {
    if (typeof m.content === 'string') chars += m.content.length;
    else for (const part of m.content) if (part.type === 'text') chars += part.text.length;
  }
  return Math.ceil(chars / 4) + maxTokens;
}
