import { describe, expect, it } from 'vitest';
import { tokenSetJaccard } from './similarity.js';

describe('token-set Jaccard similarity', () => {
  it('is 1 for the same words in any order or case, 0 for none in common', () => {
    expect(tokenSetJaccard('The cat sat.', 'sat the CAT')).toBe(1);
    expect(tokenSetJaccard('alpha beta', 'gamma delta')).toBe(0);
    expect(tokenSetJaccard('', '')).toBe(1);
  });

  it('counts shared words over all distinct words', () => {
    expect(tokenSetJaccard('a b c', 'b c d')).toBe(0.5);
    expect(tokenSetJaccard('café crème', 'crème brûlée')).toBeCloseTo(1 / 3, 10);
  });
});
