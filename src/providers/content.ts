import type { ChatMessage, ContentPart, Media } from './types.js';

/**
 * Small helpers over the adapter content types, shared by the adapters:
 * text of a message, data URIs, and generated media values.
 */

/** The text of a message (text parts joined; images ignored). */
export function messageText(content: string | ContentPart[]): string {
  if (typeof content === 'string') return content;
  return content
    .filter((p): p is Extract<ContentPart, { type: 'text' }> => p.type === 'text')
    .map((p) => p.text)
    .join('\n');
}

/** The last user message's text — the prompt of image and video generation. */
export function lastUserText(messages: ChatMessage[]): string {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i]!;
    if (m.role === 'user') return messageText(m.content);
  }
  return '';
}

/** `data:<mime>;base64,<data>` split into its parts, or undefined for anything else. */
export function parseDataUri(uri: string): { mimeType: string; data: string } | undefined {
  const match = /^data:([^;,]+)?(?:;[^,]*)?;base64,(.*)$/s.exec(uri);
  if (!match) return undefined;
  return { mimeType: match[1] ?? 'application/octet-stream', data: match[2]! };
}

const EXTENSION_MIME: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
  gif: 'image/gif',
  heic: 'image/heic',
  mp4: 'video/mp4',
  webm: 'video/webm',
  mov: 'video/quicktime',
};

/** A MIME type guessed from a URL's extension (for providers that require one with a URL). */
export function mimeFromUrl(url: string, fallback: string): string {
  const ext = /\.([a-z0-9]+)(?:[?#]|$)/i.exec(url)?.[1]?.toLowerCase();
  return (ext && EXTENSION_MIME[ext]) || fallback;
}

/** A generated image or video given as a data URI or a hosted URL. */
export function mediaFromUrl(type: Media['type'], url: string, fallbackMime: string): Media {
  const data = parseDataUri(url);
  if (data) return { type, data_uri: url, mime_type: data.mimeType };
  return { type, url, mime_type: mimeFromUrl(url, fallbackMime) };
}

/** Rough token count (≈4 characters per token), for simulated usage and budgets. */
export const estimateTokens = (text: string): number => (text.length === 0 ? 0 : Math.max(1, Math.ceil(text.length / 4)));
