import { describe, expect, it } from 'vitest';
import { completionId, randomUuid } from './random-ids.js';

describe('random ids', () => {
  it('randomUuid gives version 4 UUIDs (RFC 9562 §5.4), lowercase, each different', () => {
    const seen = new Set<string>();
    // More than one pool of random bytes (256 ids), so a refill is crossed.
    for (let i = 0; i < 1000; i++) {
      const id = randomUuid();
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      seen.add(id);
    }
    expect(seen.size).toBe(1000);
  });

  it('completionId gives chatcmpl- and 32 lowercase hex digits, each different, interleaved with UUIDs', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const id = completionId();
      expect(id).toMatch(/^chatcmpl-[0-9a-f]{32}$/);
      // A UUID made between two completion ids does not show in either (they share one scratch buffer).
      expect(randomUuid()).toMatch(/^[0-9a-f]{8}-/);
      seen.add(id);
    }
    expect(seen.size).toBe(1000);
  });

  it('the hex digits cover all 16 values at every free position', () => {
    const digits = Array.from({ length: 32 }, () => new Set<string>());
    for (let i = 0; i < 2000; i++) [...completionId().slice(9)].forEach((d, at) => digits[at]!.add(d));
    for (const set of digits) expect(set.size).toBe(16);
  });
});
