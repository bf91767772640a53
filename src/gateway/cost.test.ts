import { describe, expect, it } from 'vitest';
import { costOf } from './cost.js';

describe('costOf', () => {
  const pricing = { input_per_million: 2, output_per_million: 10, per_image: 0.05, per_video_second: 0.4 };

  it('prices tokens at the per-million rates', () => {
    expect(costOf(pricing, { prompt_tokens: 1_000_000, completion_tokens: 500_000, total_tokens: 1_500_000 }, [], false)).toBe(7);
  });

  it('adds each image and each second of video', () => {
    const usage = { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 };
    const media = [
      { type: 'image' as const, mime_type: 'image/png' },
      { type: 'image' as const, mime_type: 'image/png' },
      { type: 'video' as const, mime_type: 'video/mp4', duration_s: 8 },
    ];
    expect(costOf(pricing, usage, media, false)).toBeCloseTo(0.1 + 3.2, 9);
  });

  it('charges nothing for simulated answers', () => {
    expect(costOf(pricing, { prompt_tokens: 10, completion_tokens: 10, total_tokens: 20 }, [], true)).toBe(0);
  });
});
