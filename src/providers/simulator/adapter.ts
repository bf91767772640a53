import { createHash } from 'node:crypto';
import { estimateTokens, lastUserText, messageText } from '../content.js';
import type { Media, ProviderAdapter, ProviderRequest, ProviderResult, StreamChunk } from '../types.js';
import { continuation, jsonAnswer, textAnswer } from './answers.js';
import { solidPng } from './png.js';

/**
 * The offline provider: answers derived only from the request (same request → same
 * answer), every result marked `simulated`. Used for providers without a key, so the
 * whole product runs on a fresh machine.
 */

const hashOf = (req: ProviderRequest): string =>
  createHash('sha256')
    .update(JSON.stringify([req.model, req.kind, req.messages, req.json ?? false, req.prefill ?? '']))
    .digest('hex');

function promptTokens(req: ProviderRequest): number {
  let tokens = 0;
  for (const m of req.messages) {
    tokens += estimateTokens(messageText(m.content)) + 4;
    // Providers bill an image at roughly this many tokens; the estimate only needs to be plausible.
    if (Array.isArray(m.content)) tokens += 85 * m.content.filter((p) => p.type === 'image_url').length;
  }
  return tokens;
}

function answer(req: ProviderRequest): ProviderResult {
  const hash = hashOf(req);
  const lastUser = lastUserText(req.messages);
  const media: Media[] = [];
  let text: string;
  if (req.kind === 'image') {
    const rgb: [number, number, number] = [parseInt(hash.slice(0, 2), 16), parseInt(hash.slice(2, 4), 16), parseInt(hash.slice(4, 6), 16)];
    media.push({ type: 'image', data_uri: `data:image/png;base64,${solidPng(rgb).toString('base64')}`, mime_type: 'image/png' });
    text = `[simulated ${req.model}] image generated for: ${lastUser.slice(0, 200)}`;
  } else if (req.kind === 'video') {
    media.push({ type: 'video', url: `simulated://video/${hash.slice(0, 16)}.mp4`, mime_type: 'video/mp4', duration_s: 8 });
    text = `[simulated ${req.model}] simulated video (no file was rendered) for: ${lastUser.slice(0, 200)}`;
  } else {
    const full = req.json ? jsonAnswer(req.messages, lastUser) : textAnswer(req.model, req.messages, lastUser);
    text = req.prefill ? (continuation(full, req.prefill) ?? ` ${full}`) : full;
  }
  let completion = estimateTokens(text);
  if (req.max_tokens !== undefined && !req.json && completion > req.max_tokens) {
    text = text.slice(0, req.max_tokens * 4);
    completion = req.max_tokens;
  }
  const prompt = promptTokens(req);
  return {
    text,
    usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion },
    finish_reason: 'stop',
    media,
    simulated: true,
  };
}

/** Splits text into about eight deltas on word boundaries. */
function deltas(text: string): string[] {
  const words = text.match(/\S+\s*|\s+/g) ?? [];
  const per = Math.max(1, Math.ceil(words.length / 8));
  const out: string[] = [];
  for (let i = 0; i < words.length; i += per) out.push(words.slice(i, i + per).join(''));
  return out;
}

/** A simulator adapter reporting itself under the provider's config name. */
export function createSimulatorAdapter(name: string): ProviderAdapter {
  return {
    name,
    simulated: true,
    async generate(req) {
      if (req.signal.aborted) throw req.signal.reason;
      return answer(req);
    },
    async *stream(req): AsyncGenerator<StreamChunk> {
      const result = answer(req);
      for (const text of deltas(result.text)) {
        // Yield to the event loop so a caller's abort lands between deltas, as with a real stream.
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (req.signal.aborted) throw req.signal.reason;
        yield { type: 'delta', text };
      }
      yield { type: 'usage', usage: result.usage };
      yield { type: 'finish', finish_reason: result.finish_reason };
    },
  };
}
