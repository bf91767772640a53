import type { ModelConfig } from '../config/schema.js';
import type { Media, Usage } from '../providers/types.js';

/**
 * The price of one successful call from the config's prices: tokens at the
 * per-million rates, plus each generated image and each second of video.
 * Simulated answers cost nothing; failed attempts are never priced.
 */
export function costOf(pricing: ModelConfig['pricing'], usage: Usage, media: Media[], simulated: boolean): number {
  if (simulated) return 0;
  const tokens =
    (usage.prompt_tokens * pricing.input_per_million + usage.completion_tokens * pricing.output_per_million) / 1_000_000;
  const images = media.filter((m) => m.type === 'image').length * (pricing.per_image ?? 0);
  const seconds = media.filter((m) => m.type === 'video').reduce((sum, m) => sum + (m.duration_s ?? 0), 0);
  const video = seconds * (pricing.per_video_second ?? 0);
  // Round away float noise (a billionth of a dollar) so sums of many calls stay readable.
  return Math.round((tokens + images + video) * 1e9) / 1e9;
}
