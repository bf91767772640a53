import type { GatewayResult } from '../gateway/types.js';
import type { Media } from '../providers/types.js';

/** Generated media as reported to callers: which model made it travels with it. */
export type ReportedMedia = Media & { model_used: string };

/** A media item as text a later prompt can carry: its URL, or a tag when the bytes came inline. */
export function mediaReference(media: Media): string {
  return media.url ?? `[${media.type}: ${media.mime_type}]`;
}

/**
 * A model's answer as text plus the media it generated: the text names each
 * media item (so a later task or the chat reply can refer to it), and every
 * item carries the model that made it. Shared by workflow tasks and /chat.
 */
export function answerWithMedia(result: Pick<GatewayResult, 'text' | 'media' | 'model_used'>): { text: string; media: ReportedMedia[] } {
  const media = result.media.map((m): ReportedMedia => ({ ...m, model_used: result.model_used }));
  const text = media.length > 0 ? [result.text.trim(), ...media.map(mediaReference)].filter(Boolean).join('\n') : result.text;
  return { text, media };
}
