import { describe, expect, it } from 'vitest';
import { countMessageTokens, countTextTokens, TOKENS_PER_IMAGE } from './tokens.js';

describe('token estimation', () => {
  it('counts tokens with the cl100k_base tokenizer', async () => {
    expect(await countTextTokens('hello world')).toBe(2);
    expect(await countTextTokens('')).toBe(0);
  });

  it('treats special-token text as plain text instead of throwing', async () => {
    expect(await countTextTokens('<|endoftext|>')).toBeGreaterThan(1);
  });

  it('adds per-message overhead and a flat cost per image', async () => {
    const n = await countMessageTokens([
      { role: 'system', content: 'hello world' },
      { role: 'user', content: [{ type: 'text', text: 'hello world' }, { type: 'image_url', image_url: { url: 'https://x/y.png' } }] },
    ]);
    expect(n).toBe(2 + 4 + 2 + TOKENS_PER_IMAGE + 4);
  });
});
