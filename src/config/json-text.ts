import { printParseErrorCode, visit, type ParseErrorCode } from 'jsonc-parser';

/** Where a JSON text stops being JSON: 1-based line and column, the reason, and that line for display. */
export interface JsonSyntaxProblem {
  line: number;
  column: number;
  reason: string;
  /** The offending line, then a caret under the column. */
  excerpt: string;
}

/** Human words for jsonc-parser's error codes (printParseErrorCode gives `CommaExpected`). */
const REASONS: Partial<Record<string, string>> = {
  InvalidSymbol: 'unexpected character',
  InvalidNumberFormat: 'malformed number',
  PropertyNameExpected: 'a property name in double quotes was expected',
  ValueExpected: 'a value was expected',
  ColonExpected: "':' was expected",
  CommaExpected: "',' was expected",
  CloseBraceExpected: "'}' was expected",
  CloseBracketExpected: "']' was expected",
  EndOfFileExpected: 'text after the end of the JSON value',
  InvalidCommentToken: 'comments are not allowed in JSON',
  UnexpectedEndOfComment: 'unterminated comment',
  UnexpectedEndOfString: 'unterminated string',
  UnexpectedEndOfNumber: 'unterminated number',
  InvalidUnicode: 'invalid \\u escape',
  InvalidEscapeCharacter: 'invalid escape character',
  InvalidCharacter: 'invalid character in a string',
};

/**
 * Locates the first syntax error of a JSON text (RFC 8259: no comments, no trailing commas) with
 * jsonc-parser's scanner, which reports line and column where JSON.parse only gives an offset.
 * Returns undefined when the text is valid JSON.
 */
export function findJsonSyntaxProblem(text: string): JsonSyntaxProblem | undefined {
  let first: { code: ParseErrorCode; line: number; character: number } | undefined;
  visit(
    text,
    {
      onError: (code, _offset, _length, startLine, startCharacter) => {
        first ??= { code, line: startLine, character: startCharacter };
      },
    },
    { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false },
  );
  if (!first) return undefined;
  const lines = text.split(/\r?\n/);
  const lineText = lines[first.line] ?? '';
  const name = printParseErrorCode(first.code);
  const line = first.line + 1;
  const gutter = `${line} | `;
  return {
    line,
    column: first.character + 1,
    reason: REASONS[name] ?? name,
    excerpt: `${gutter}${lineText}\n${' '.repeat(gutter.length - 2)}| ${' '.repeat(first.character)}^`,
  };
}

/**
 * JSON.parse with a useful error: on a syntax error, throws a SyntaxError whose message names the
 * line and column and shows the line (`line 52, column 3: ',' was expected` + the line and a caret).
 */
export function parseJsonText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const problem = findJsonSyntaxProblem(text);
    if (!problem) throw err;
    throw new SyntaxError(`line ${problem.line}, column ${problem.column}: ${problem.reason}\n${problem.excerpt}`, { cause: err });
  }
}
