import type { ProviderError } from '../../src/providers/provider-error.js';
import type { AttemptTimeouts, ChatMessage, ProviderRequest, StreamChunk } from '../../src/providers/types.js';

/** Short per-attempt limits so fault tests finish quickly. */
export const fastTimeouts = (over: Partial<AttemptTimeouts> = {}): AttemptTimeouts => ({
  connect_ms: 1000,
  first_byte_ms: 1000,
  stream_idle_ms: 1000,
  total_ms: 5000,
  ...over,
});

export function request(model: string, over: Partial<ProviderRequest> = {}): ProviderRequest {
  const messages: ChatMessage[] = [{ role: 'user', content: 'hello from the test' }];
  return { model, kind: 'text', messages, timeouts: fastTimeouts(), signal: new AbortController().signal, ...over };
}

export async function collect(stream: AsyncIterable<StreamChunk>): Promise<StreamChunk[]> {
  const chunks: StreamChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

/** The text of a collected stream's deltas. */
export const deltaText = (chunks: StreamChunk[]): string =>
  chunks.map((c) => (c.type === 'delta' ? c.text : '')).join('');

/** Runs `fn` expecting it to throw; returns what it threw. */
export async function failure(fn: () => Promise<unknown>): Promise<ProviderError> {
  try {
    await fn();
  } catch (err) {
    return err as ProviderError;
  }
  throw new Error('expected a failure, got a success');
}
