import { describe, expect, it } from 'vitest';
import { Splicer, type ContinuationMode } from './continuation.js';

const mismatch = () => new Error('mismatch');
/** Feeds the deltas through a splicer; returns what reaches the client, or the error. */
function run(mode: ContinuationMode, sent: string, deltas: string[]): { out: string[]; error?: string; restarted: boolean } {
  const splicer = new Splicer(mode, sent, mismatch);
  const out: string[] = [];
  try {
    for (const d of deltas) out.push(splicer.push(d));
    out.push(splicer.end());
  } catch (err) {
    return { out, error: (err as Error).message, restarted: splicer.restarted };
  }
  return { out: out.filter((t) => t.length > 0), restarted: splicer.restarted };
}

describe('Splicer', () => {
  it('passes a fresh answer through unbuffered', () => {
    expect(run('fresh', '', ['a', 'b'])).toEqual({ out: ['a', 'b'], restarted: false });
  });

  it('passes a true continuation of a prefill once it differs from the start of the answer', () => {
    expect(run('prefill', 'The answer is', [' forty', '-two.'])).toEqual({ out: [' forty', '-two.'], restarted: false });
  });

  it('holds back a continuation that could be a restart until it is not, then sends it whole', () => {
    // "Th" could be the start of "The answer is" again; "Thus" cannot.
    expect(run('prefill', 'The answer is', ['Th', 'us, yes.'])).toEqual({ out: ['Thus, yes.'], restarted: false });
  });

  it('drops the repeated beginning of a prefilled answer that restarted, across deltas', () => {
    const r = run('prefill', 'The answer is', ['The ans', 'wer', ' is forty', '-two.']);
    expect(r).toEqual({ out: [' forty', '-two.'], restarted: true });
  });

  it('accepts an empty continuation (the answer was already complete)', () => {
    expect(run('prefill', 'Done.', [])).toEqual({ out: [], restarted: false });
  });

  it('splices a regenerated answer that starts with what was sent', () => {
    expect(run('regenerate', 'half an', ['half', ' an answer'])).toEqual({ out: [' answer'], restarted: false });
  });

  it('rejects a regenerated answer as soon as it differs from what was sent', () => {
    const r = run('regenerate', 'half an answer', ['half a ', 'different one']);
    expect(r.error).toBe('mismatch');
    expect(r.out).toEqual([]);
  });

  it('rejects a regenerated answer shorter than what was sent', () => {
    expect(run('regenerate', 'half an answer', ['half an']).error).toBe('mismatch');
  });

  it('rejects a prefilled answer that restarted but stopped short of what was sent', () => {
    expect(run('prefill', 'half an answer', ['half an']).error).toBe('mismatch');
  });
});
