import { describe, expect, it } from 'vitest';
import { settledWithin, sleep } from './clock.js';

describe('settledWithin', () => {
  it('is true when the work settles in time, false when the time runs out first', async () => {
    expect(await settledWithin(sleep(5), 1000)).toBe(true);
    expect(await settledWithin(sleep(1000), 5)).toBe(false);
  });

  it('passes on a rejection that comes in time', async () => {
    await expect(settledWithin(Promise.reject(new Error('no')), 1000)).rejects.toThrow('no');
  });
});
