import { describe, expect, it } from 'vitest';
import { fromNano, periodEnd, periodsAt, secondsUntilReset, toNano } from './budgets.js';

describe('budget periods (UTC)', () => {
  it('names the day and month of a time', () => {
    expect(periodsAt(Date.parse('2026-11-30T23:59:59.999Z'))).toEqual({ day: '2026-11-30', month: '2026-11' });
    expect(periodsAt(Date.parse('2026-12-01T00:00:00Z'))).toEqual({ day: '2026-12-01', month: '2026-12' });
  });

  it('resets at the next UTC midnight and first of the month, across a year end', () => {
    const t = Date.parse('2026-12-31T23:00:00Z');
    expect(new Date(periodEnd('day', t)).toISOString()).toBe('2027-01-01T00:00:00.000Z');
    expect(new Date(periodEnd('month', t)).toISOString()).toBe('2027-01-01T00:00:00.000Z');
    expect(secondsUntilReset('day', t)).toBe(3600);
    expect(secondsUntilReset('day', Date.parse('2026-12-31T23:59:59.900Z'))).toBe(1);
  });

  it('counts in whole nano-USD', () => {
    expect(toNano(0.000123456)).toBe(123_456);
    expect(fromNano(toNano(0.01))).toBe(0.01);
  });
});
