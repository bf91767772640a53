import { describe, expect, it } from 'vitest';
import { extractReferences, substitute, unknownFilters } from './variables.js';

describe('substitute', () => {
  it('replaces every placeholder with its value', () => {
    expect(substitute('A {{x}} and {{ y }} and {{x}}', { x: '1', y: '2' })).toBe('A 1 and 2 and 1');
  });

  it('never re-scans substituted text, so a value containing {{other}} stays literal', () => {
    const out = substitute('first={{a}} second={{b}}', { a: 'look: {{b}}', b: 'SECRET' });
    expect(out).toBe('first=look: {{b}} second=SECRET');
  });

  it('leaves a placeholder without a value as written', () => {
    expect(substitute('hi {{missing}}', {})).toBe('hi {{missing}}');
  });

  it('does not treat inherited object keys as values', () => {
    expect(substitute('{{constructor}}', {})).toBe('{{constructor}}');
  });

  it('handles values with replacement patterns like $& literally', () => {
    expect(substitute('cost {{p}}', { p: '$& $1 $$' })).toBe('cost $& $1 $$');
  });
});

describe('extractReferences', () => {
  it('lists each referenced name once, in order', () => {
    expect(extractReferences('{{b}} {{a}} {{ b }} {{not valid-name}} {a}')).toEqual(['b', 'a']);
  });
});

describe('filters', () => {
  it('applies upper, lower and trim left to right', () => {
    expect(substitute('{{x|upper}} {{ x | lower }} [{{y|trim|upper}}]', { x: 'Owl', y: '  bat ' })).toBe('OWL owl [BAT]');
  });

  it('leaves a placeholder with an unknown filter as written (validation rejects it first)', () => {
    expect(substitute('{{x|shout}}', { x: 'owl' })).toBe('{{x|shout}}');
    expect(unknownFilters('{{x|shout}} {{x|upper}}')).toEqual([{ placeholder: '{{x|shout}}', filter: 'shout' }]);
  });

  it('counts a filtered placeholder as a reference to its variable', () => {
    expect(extractReferences('{{ a | upper }} {{b}}')).toEqual(['a', 'b']);
  });
});

describe('the scans of recent templates (one pass per text, reused)', () => {
  it('answers the same for a text seen before, with arrays the caller may change', () => {
    const text = 'Write {{a}} from {{ b | upper }} and {{a}} {{c | shout}}';
    const first = extractReferences(text);
    first.push('mutated');
    unknownFilters(text)[0]!.filter = 'mutated';
    expect(extractReferences(text)).toEqual(['a', 'b', 'c']);
    expect(unknownFilters(text)).toEqual([{ placeholder: '{{c | shout}}', filter: 'shout' }]);
  });

  it('stays right past its bound and for texts too long to keep', () => {
    for (let i = 0; i < 600; i++) expect(extractReferences(`t${i} {{v${i}}}`)).toEqual([`v${i}`]);
    const long = `${'x'.repeat(5000)} {{far}} {{near | nope}}`;
    expect(extractReferences(long)).toEqual(['far', 'near']);
    expect(unknownFilters(long)).toEqual([{ placeholder: '{{near | nope}}', filter: 'nope' }]);
    expect(extractReferences('t0 {{v0}}')).toEqual(['v0']);
  });
});
