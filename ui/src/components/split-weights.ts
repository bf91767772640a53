/**
 * The splitter's arithmetic: weights as whole percentages that always sum to 100. Kept apart
 * from the page so the rule reads on its own.
 */

/** Whole numbers in proportion to `shares` that sum exactly to `total` (largest remainder). */
export function apportion(shares: number[], total: number): number[] {
  const sum = shares.reduce((a, b) => a + b, 0);
  const exact = shares.map((s) => (sum > 0 ? (total * s) / sum : total / shares.length));
  const whole = exact.map(Math.floor);
  let left = total - whole.reduce((a, b) => a + b, 0);
  const byRemainder = exact.map((x, i) => ({ i, r: x - Math.floor(x) })).sort((a, b) => b.r - a.r || a.i - b.i);
  for (const { i } of byRemainder) {
    if (left <= 0) break;
    whole[i]! += 1;
    left--;
  }
  return whole;
}

/**
 * Sets arm `index` to `value` percent and re-balances the others to share the rest in proportion
 * to their current weights (evenly when they are all 0), so the sum stays 100.
 */
export function rebalance(weights: number[], index: number, value: number): number[] {
  if (weights.length === 1) return [100];
  const v = Math.min(100, Math.max(0, Math.round(value)));
  const others = weights.filter((_, i) => i !== index);
  const shared = apportion(others.some((w) => w > 0) ? others : others.map(() => 1), 100 - v);
  const out: number[] = [];
  let k = 0;
  for (let i = 0; i < weights.length; i++) out.push(i === index ? v : shared[k++]!);
  return out;
}
