import { describe, expect, it } from 'vitest';
import { fitHistory } from './context.js';
import { Tiktoken } from 'js-tiktoken/lite';
import cl100k from 'js-tiktoken/ranks/cl100k_base';
import { countMessageTokens, countTextTokens, LONG_RUN_CHARS_PER_TOKEN, messageTokenBound, promptSize, textTokenBound, tokenizerRequested, TOKENS_PER_IMAGE } from './tokens.js';
import type { Turn } from '../store/types.js';

const turn = (role: Turn['role'], content: string): Turn => ({
  role,
  content,
  category: null,
  model_used: null,
  run_id: null,
  request_id: null,
  cost_usd: 0,
  created_at: '2026-11-30T00:00:00.000Z',
});

describe('token estimation', () => {
  // First in the file: nothing before it has loaded the tokenizer in this worker.
  it('a small prompt and a short history never load the tokenizer', async () => {
    const size = promptSize([{ role: 'user', content: 'hello world' }]);
    expect(size.bound).toBe(4 + 11);
    const history = [turn('user', 'hi'), turn('assistant', 'hello')];
    expect(await fitHistory(history, 100, () => Promise.reject(new Error('the exact budget is not needed')))).toHaveLength(2);
    expect(tokenizerRequested()).toBe(false);
  });

  it('the byte bound is never below the exact count (ASCII, accents, CJK, emoji, images)', async () => {
    for (const text of ['hello world', 'déjà vu, naïve café', '東京都の天気は晴れです', '🙂🚀 ok', ' '.repeat(50), 'a'.repeat(1000)]) {
      expect(textTokenBound(text)).toBeGreaterThanOrEqual(await countTextTokens(text));
    }
    const messages = [{ role: 'user' as const, content: [{ type: 'text' as const, text: 'see' }, { type: 'image_url' as const, image_url: { url: 'https://x/y.png' } }] }];
    expect(messageTokenBound(messages)).toBeGreaterThanOrEqual(await countMessageTokens(messages));
    const size = promptSize(messages);
    expect(await size.exact()).toBe(await countMessageTokens(messages));
  });

  it('a history over the bound is counted exactly against the true budget: the same turns as a plain exact walk', async () => {
    const turns = ['one two three four', 'five six seven eight', 'nine ten eleven twelve', 'thirteen fourteen'].map((content, i) =>
      turn(i % 2 === 0 ? 'user' : 'assistant', content),
    );
    const exactCosts = await Promise.all(turns.map((t) => countMessageTokens([{ role: t.role, content: t.content }])));
    // A true budget that holds the last three turns exactly, while their byte bound does not fit the lower bound.
    const budget = exactCosts[1]! + exactCosts[2]! + exactCosts[3]!;
    const kept = await fitHistory(turns, 5, async () => budget);
    // Three turns fit, but a history starting with an assistant turn starts at the next user turn instead.
    expect(kept.map((m) => m.content)).toEqual(['nine ten eleven twelve', 'thirteen fourteen']);
    expect(await fitHistory(turns, budget)).toEqual(kept);
  });

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

  it('counts ordinary text exactly as the tokenizer does, across its chunk boundaries', async () => {
    const exact = new Tiktoken(cl100k);
    const text = Array.from({ length: 900 }, (_, i) => `word${i} and, more:  text\n`).join('');
    expect(text.length).toBeGreaterThan(10_000);
    expect(await countTextTokens(text)).toBe(exact.encode(text, [], []).length);
  });

  it('estimates a long run without spaces instead of tokenizing it (BPE on one 16,000-character piece took minutes)', async () => {
    expect(await countTextTokens('x'.repeat(200_000))).toBe(Math.ceil(200_000 / LONG_RUN_CHARS_PER_TOKEN));
    // Whitespace runs and punctuation runs are single pieces too; a word after a long run is still counted.
    expect(await countTextTokens(`${' '.repeat(100_000)}${'!'.repeat(100_000)} hello world`)).toBe(2 * Math.ceil(100_000 / LONG_RUN_CHARS_PER_TOKEN) + 2);
  });
});
