import { describe, expect, it } from 'vitest';
import { createMemoryCacheDriver } from './memory-driver.js';
import type { CachedAnswer } from './types.js';

const answer = (text: string): CachedAnswer => ({
  text,
  finish_reason: 'stop',
  model_used: 'm',
  provider: 'p',
  fallback_used: false,
  usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
  cost_usd: 0.001,
  stored_at: 0,
});

describe('memory cache driver', () => {
  it('drops the least recently used entry past max_entries (a read counts as use)', async () => {
    const driver = createMemoryCacheDriver({ now: () => 0 }, { maxEntries: 2, maxBytes: 1_000_000 });
    await driver.set('a', answer('A'), 1000);
    await driver.set('b', answer('B'), 1000);
    expect((await driver.get('a'))?.text).toBe('A');
    await driver.set('c', answer('C'), 1000);
    expect(await driver.get('b')).toBeUndefined();
    expect((await driver.get('a'))?.text).toBe('A');
    expect(await driver.size()).toBe(2);
  });

  it('keeps its bytes under max_bytes and never keeps an answer larger than the whole budget', async () => {
    const one = JSON.stringify(answer('x'.repeat(100))).length * 2 + 2;
    const driver = createMemoryCacheDriver({ now: () => 0 }, { maxEntries: 100, maxBytes: one * 2 + 10 });
    await driver.set('a', answer('x'.repeat(100)), 1000);
    await driver.set('b', answer('y'.repeat(100)), 1000);
    await driver.set('c', answer('z'.repeat(100)), 1000);
    expect(await driver.get('a')).toBeUndefined();
    expect(await driver.size()).toBe(2);
    await driver.set('huge', answer('h'.repeat(10_000)), 1000);
    expect(await driver.get('huge')).toBeUndefined();
  });

  it('expires entries on the clock and clears everything, saying how many', async () => {
    let now = 0;
    const driver = createMemoryCacheDriver({ now: () => now }, { maxEntries: 10, maxBytes: 1_000_000 });
    await driver.set('a', answer('A'), 1000);
    await driver.set('b', answer('B'), 5000);
    now = 1000;
    expect(await driver.get('a')).toBeUndefined();
    expect((await driver.get('b'))?.text).toBe('B');
    expect(await driver.clear()).toBe(1);
    expect(await driver.get('b')).toBeUndefined();
  });
});
