import { describe, expect, it } from 'vitest';
import { extractJsonObject } from './json-answer.js';

describe('extractJsonObject', () => {
  it('parses a bare JSON object', () => {
    expect(extractJsonObject(' {"a":1} ')).toEqual({ a: 1 });
  });

  it('finds an object inside a code fence or prose, ignoring braces in strings', () => {
    expect(extractJsonObject('Sure!\n```json\n{"a":"x}{","b":{"c":2}}\n```')).toEqual({ a: 'x}{', b: { c: 2 } });
  });

  it('returns undefined when there is no JSON object', () => {
    expect(extractJsonObject('no json {here')).toBeUndefined();
    expect(extractJsonObject('plain text')).toBeUndefined();
  });
});
