/**
 * How alike two answers are, cheaply: the Jaccard index of their word sets
 * (lower-cased runs of letters and digits, Unicode-aware) — |A ∩ B| / |A ∪ B|,
 * 1 for the same words, 0 for none in common; two empty answers count as 1.
 * Lexical only: it sees shared wording, not shared meaning.
 */
export function tokenSetJaccard(a: string, b: string): number {
  const words = (text: string) => new Set(text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []);
  const x = words(a);
  const y = words(b);
  if (x.size === 0 && y.size === 0) return 1;
  let shared = 0;
  for (const w of x) if (y.has(w)) shared++;
  return shared / (x.size + y.size - shared);
}
