import { describe, expect, it } from 'vitest';
import type { Arm } from '../config/schema.js';
import { chooseArm, effectiveWeights } from './splits.js';

const keys = Array.from({ length: 4000 }, (_, i) => `session-${i}`);
const arms = (...pairs: [string, number][]): Arm[] => pairs.map(([model, weight]) => ({ model, weight }));

describe('weighted split assignment', () => {
  it('gives each arm its share of the weights', () => {
    const split = arms(['a', 50], ['b', 30], ['c', 20]);
    const counts = new Map<string, number>();
    for (const k of keys) {
      const m = chooseArm('s', split, k).model;
      counts.set(m, (counts.get(m) ?? 0) + 1);
    }
    expect(counts.get('a')! / keys.length).toBeCloseTo(0.5, 1);
    expect(counts.get('b')! / keys.length).toBeCloseTo(0.3, 1);
    expect(counts.get('c')! / keys.length).toBeCloseTo(0.2, 1);
  });

  it('changing one arm’s weight only moves sessions to or from that arm', () => {
    const before = arms(['a', 50], ['b', 30], ['c', 20]);
    const after = arms(['a', 50], ['b', 30], ['c', 40]);
    let moved = 0;
    for (const k of keys) {
      const x = chooseArm('s', before, k).model;
      const y = chooseArm('s', after, k).model;
      if (x === y) continue;
      moved++;
      expect(y).toBe('c');
    }
    // c goes from 20 % to 33 %: about 13 % of sessions move, all of them to c.
    expect(moved / keys.length).toBeGreaterThan(0.08);
    expect(moved / keys.length).toBeLessThan(0.18);
  });

  it('never picks an arm of weight 0, and each split hashes independently', () => {
    const split = arms(['a', 1], ['b', 0]);
    expect(keys.every((k) => chooseArm('s', split, k).model === 'a')).toBe(true);
    const one = keys.map((k) => chooseArm('x', arms(['a', 1], ['b', 1]), k).model);
    const two = keys.map((k) => chooseArm('y', arms(['a', 1], ['b', 1]), k).model);
    expect(one).not.toEqual(two);
  });

  it('a live canary takes its ramp share and the other arms share the rest by weight; a canary at weight 0 gets nothing', () => {
    const canary = { ramp: [5, 50, 100], guard: { min_samples: 10 }, paused: false, step_after_requests: 10 };
    const split: Arm[] = [{ model: 'a', weight: 3 }, { model: 'b', weight: 1 }, { model: 'c', weight: 1, canary }];
    const close = (got: number[], want: number[]) => want.forEach((w, i) => expect(got[i]).toBeCloseTo(w, 10));
    close(effectiveWeights('s', split), [0.7125, 0.2375, 0.05]);
    close(effectiveWeights('s', split, () => 0.5), [0.375, 0.125, 0.5]);
    expect(effectiveWeights('s', [split[0]!, { ...split[2]!, weight: 0 }])).toEqual([3, 0]);
  });

  it('a plain model key is itself, with no split', () => {
    expect(chooseArm('s', 'medium_ai', 'k')).toEqual({ model: 'medium_ai' });
  });
});
