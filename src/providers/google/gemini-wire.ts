import { mediaFromUrl, mimeFromUrl, parseDataUri } from '../content.js';
import type { ChatMessage, ContentPart, Media, ProviderRequest, Usage } from '../types.js';
import { isObject, num } from '../json-shape.js';

/**
 * Gemini's generateContent wire format: system messages → `systemInstruction`,
 * assistant → role `model`, images → `inlineData` (data URIs) or `fileData` (URLs),
 * a prefill → a trailing `model` turn; answers and stream chunks back to plain values.
 */

type GeminiPart = { text: string } | { inlineData: { mimeType: string; data: string } } | { fileData: { mimeType: string; fileUri: string } };

function toPart(part: ContentPart): GeminiPart {
  if (part.type === 'text') return { text: part.text };
  const url = part.image_url.url;
  const data = parseDataUri(url);
  if (data) return { inlineData: { mimeType: data.mimeType, data: data.data } };
  return { fileData: { mimeType: mimeFromUrl(url, 'image/jpeg'), fileUri: url } };
}

const toParts = (content: ChatMessage['content']): GeminiPart[] => (typeof content === 'string' ? [{ text: content }] : content.map(toPart));

export function geminiBody(req: ProviderRequest): Record<string, unknown> {
  const system = req.messages.filter((m) => m.role === 'system');
  const contents = req.messages
    .filter((m) => m.role !== 'system')
    .map((m) => ({ role: m.role === 'assistant' ? 'model' : 'user', parts: toParts(m.content) }));
  if (req.prefill) contents.push({ role: 'model', parts: [{ text: req.prefill }] });
  const generationConfig: Record<string, unknown> = {};
  if (req.max_tokens !== undefined) generationConfig.maxOutputTokens = req.max_tokens;
  if (req.temperature !== undefined) generationConfig.temperature = req.temperature;
  if (req.json) generationConfig.responseMimeType = 'application/json';
  if (req.kind === 'image') generationConfig.responseModalities = ['TEXT', 'IMAGE'];
  const body: Record<string, unknown> = { contents, generationConfig };
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

/** One response or stream chunk: its text, inline media, finish reason and usage. */
export function parseGemini(payload: unknown): { text: string; media: Media[]; finish?: string; usage?: Usage; hasCandidate: boolean } {
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
  const reason = isObject(candidate) && typeof candidate.finishReason === 'string' ? candidate.finishReason : undefined;
  return {
    text,
    media,
    finish: reason ? (FINISH[reason] ?? reason.toLowerCase()) : undefined,
    usage: isObject(payload) ? geminiUsage(payload.usageMetadata) : undefined,
    hasCandidate: isObject(candidate),
  };
}
