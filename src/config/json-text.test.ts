import { describe, expect, it } from 'vitest';
import { findJsonSyntaxProblem, parseJsonText } from './json-text.js';

describe('parseJsonText', () => {
  it('parses valid JSON exactly as JSON.parse does', () => {
    expect(parseJsonText('{"a": [1, "x", null]}')).toEqual({ a: [1, 'x', null] });
  });

  it('names the line and column of a missing comma and shows the line with a caret', () => {
    const text = '{\n  "a": 1,\n  "b": 2\n  "c": 3\n}';
    expect(() => parseJsonText(text)).toThrow("line 4, column 3: ',' was expected\n4 |   \"c\": 3\n  |   ^");
  });

  it('reports a trailing comma, a comment and a truncated file the same way', () => {
    expect(findJsonSyntaxProblem('{"a": 1,}')).toMatchObject({ line: 1, column: 9, reason: 'a property name in double quotes was expected' });
    expect(findJsonSyntaxProblem('{\n// note\n"a": 1}')).toMatchObject({ line: 2, column: 1, reason: 'comments are not allowed in JSON' });
    expect(findJsonSyntaxProblem('{"a": ')).toMatchObject({ line: 1, reason: 'a value was expected' });
    expect(findJsonSyntaxProblem('{"a": 1}')).toBeUndefined();
  });
});
