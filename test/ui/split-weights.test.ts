import { describe, expect, it } from 'vitest';
import { apportion, rebalance } from '../../ui/src/components/split-weights.js';

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

describe("the traffic splitter's arithmetic", () => {
  it('shows any weights as whole percentages summing to 100', () => {
    expect(apportion([80, 20], 100)).toEqual([80, 20]);
    expect(apportion([1, 1, 1], 100)).toEqual([34, 33, 33]);
    expect(apportion([0, 0], 100)).toEqual([50, 50]);
    expect(apportion([3, 7], 100)).toEqual([30, 70]);
  });

  it('moving one arm re-balances the others in proportion, always summing to 100', () => {
    expect(rebalance([50, 50], 0, 30)).toEqual([30, 70]);
    expect(rebalance([50, 30, 20], 0, 0)).toEqual([0, 60, 40]);
    expect(rebalance([100, 0, 0], 0, 40)).toEqual([40, 30, 30]);
    expect(rebalance([34, 33, 33], 2, 100)).toEqual([0, 0, 100]);
    for (let v = 0; v <= 100; v += 7) expect(sum(rebalance([13, 29, 58], 1, v))).toBe(100);
  });

  it('clamps and rounds what a slider reports; a single arm is always 100', () => {
    expect(rebalance([50, 50], 1, 140)).toEqual([0, 100]);
    expect(rebalance([50, 50], 1, -5)).toEqual([100, 0]);
    expect(rebalance([50, 50], 0, 30.4)).toEqual([30, 70]);
    expect(rebalance([100], 0, 20)).toEqual([100]);
  });
});
