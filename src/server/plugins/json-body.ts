import { isUtf8 } from 'node:buffer';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { findJsonSyntaxProblem } from '../../config/json-text.js';
import { AppError, type ErrorDetail } from '../../errors.js';

/**
 * Text that is not valid Unicode is refused at the door (issue 17), the same way on every endpoint:
 * a JSON body whose bytes are not UTF-8, or a string (value or key) holding a lone surrogate
 * (`"\ud800"` escaped in JSON), is a 400 `validation_error` naming the path. Nothing is replaced,
 * so what is stored and returned is exactly what the caller sent. The same check runs on query
 * strings and path parameters (`checkUnicode` in a preValidation hook).
 *
 * A body is decoded, parsed and scanned once on the common path; only a body that holds a surrogate
 * escape or a `__proto__`/`constructor`-like key, or fails there, takes the careful path (which
 * names the bad byte, the syntax error's line and column, the lone surrogate's path).
 */
export function registerJsonBody(app: FastifyInstance): void {
  // Fastify's own parser (secure-json-parse: refuses `__proto__` and `constructor.prototype`), fed checked text.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    const bytes = body as Buffer;
    // The common body in one pass each: decoded (and checked as UTF-8) by one call, parsed by JSON.parse,
    // then one scan for anything that needs the careful path below — a `__proto__` or `constructor` key
    // (as secure-json-parse spells them) or a surrogate escape.
    let text: string | undefined;
    try {
      text = utf8.decode(bytes);
    } catch {
      // Not UTF-8: the careful path names the byte.
    }
    if (text !== undefined && !needsCarefulParse(text)) {
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        return parseChecked(request, bytes, done);
      }
      return done(null, value);
    }
    parseChecked(request, bytes, done);
  });
  /** The careful path: the bytes checked, secure-json-parse, a syntax error located, lone surrogates named. */
  const parseChecked = (request: FastifyRequest, bytes: Buffer, done: (err: Error | null, body?: unknown) => void): void => {
    if (!isUtf8(bytes)) {
      done(
        new AppError('validation_error', 'request body is not valid UTF-8', [
          { path: 'body', message: `invalid UTF-8 at byte ${firstInvalidByte(bytes)}; send text as UTF-8 (JSON escapes like \\u00e9 are fine)` },
        ]),
        undefined,
      );
      return;
    }
    const text = bytes.toString('utf8');
    parseJson(request, text, (err, value) => {
      if (err) return done(syntaxError(text) ?? err, undefined);
      // Only a \uD800–\uDFFF escape can make a lone surrogate out of valid UTF-8: most bodies skip the walk.
      const problems = SURROGATE_ESCAPE.test(text) ? unicodeProblems(value, 'body') : [];
      if (problems.length > 0) return done(loneSurrogates(problems), undefined);
      done(null, value);
    });
  };
  app.addHook('preValidation', (request: FastifyRequest, _reply, done) => {
    // Most requests have neither a query nor path parameters: nothing to walk, nothing allocated.
    if (isEmpty(request.query) && isEmpty(request.params)) return done();
    const problems = [...unicodeProblems(request.query, 'querystring'), ...unicodeProblems(request.params, 'params')];
    done(problems.length > 0 ? loneSurrogates(problems) : undefined);
  });
}

/** True for nothing, or an object without own enumerable keys (an empty query or params). */
function isEmpty(value: unknown): boolean {
  if (value === undefined || value === null) return true;
  if (typeof value !== 'object') return false;
  for (const key in value) if (Object.hasOwn(value, key)) return false;
  return true;
}

/** How much of the offending line a syntax error shows on each side of the column (a minified body is one long line). */
const EXCERPT_CHARS = 40;

/**
 * A body that is not JSON, as a 400 naming the line and column and showing that stretch of the line
 * (`line 4, column 3: ',' was expected`), as the config loader does (issue 16: a full config sent to
 * POST /admin/config is a config too). Undefined when the text is JSON after all: Fastify's parser
 * refused a reserved key (`__proto__`), which its own error already says.
 */
function syntaxError(text: string): AppError | undefined {
  const problem = findJsonSyntaxProblem(text);
  if (!problem) return undefined;
  const { line, column, reason } = problem;
  const lineText = text.split(/\r?\n/, line)[line - 1] ?? '';
  const from = Math.max(0, column - 1 - EXCERPT_CHARS);
  const excerpt = `${from > 0 ? '…' : ''}${lineText.slice(from, column - 1 + EXCERPT_CHARS)}${column - 1 + EXCERPT_CHARS < lineText.length ? '…' : ''}`;
  return new AppError('validation_error', 'request body is not valid JSON', [
    { path: 'body', message: `line ${line}, column ${column}: ${reason}`, line, column, excerpt },
  ]);
}

const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F][0-9a-fA-F]{2}/;
/**
 * What sends a body down the careful path: a surrogate escape, or a `"__proto__"` / `"constructor"`
 * key with any of its letters possibly escaped — secure-json-parse's own patterns without their
 * trailing `\s*:`, so anything they match is matched here too. (A shorter prefix would catch every
 * `"content"` of a chat body.)
 */
const SUSPECT =
  /\\u[dD][89a-fA-F]|"(?:_|\\u005[Ff])(?:_|\\u005[Ff])(?:p|\\u0070)(?:r|\\u0072)(?:o|\\u006[Ff])(?:t|\\u0074)(?:o|\\u006[Ff])(?:_|\\u005[Ff])(?:_|\\u005[Ff])"|"(?:c|\\u0063)(?:o|\\u006[Ff])(?:n|\\u006[Ee])(?:s|\\u0073)(?:t|\\u0074)(?:r|\\u0072)(?:u|\\u0075)(?:c|\\u0063)(?:t|\\u0074)(?:o|\\u006[Ff])(?:r|\\u0072)"/;

/** True when a body's text must take the careful path (secure-json-parse, the lone-surrogate walk). */
export const needsCarefulParse = (text: string): boolean => SUSPECT.test(text);

/** Strict UTF-8 (throws on any invalid byte sequence); a leading BOM is dropped, as secure-json-parse drops it. */
const utf8 = new TextDecoder('utf-8', { fatal: true });
/** A high surrogate not followed by a low one, or a low one not preceded by a high one (UTF-16 code units: no `u` flag). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const wellFormed = (text: string) => !LONE_SURROGATE.test(text);

const loneSurrogates = (details: ErrorDetail[]) =>
  new AppError('validation_error', 'text is not valid Unicode: a lone surrogate', details);

/** Byte offset of the first byte that breaks UTF-8: where the text decoded with replacements stops matching. */
function firstInvalidByte(bytes: Buffer): number {
  const again = Buffer.from(bytes.toString('utf8'), 'utf8');
  let i = 0;
  while (i < bytes.length && bytes[i] === again[i]) i++;
  return i;
}

/**
 * Every string (and object key) in `value` that is not well-formed UTF-16, with its dotted path.
 * Iterative, so a deeply nested body cannot exhaust the stack.
 */
export function unicodeProblems(value: unknown, root: string): ErrorDetail[] {
  const problems: ErrorDetail[] = [];
  const stack: [unknown, string][] = [[value, root]];
  while (stack.length > 0 && problems.length < 20) {
    const [node, path] = stack.pop()!;
    if (typeof node === 'string') {
      if (!wellFormed(node)) problems.push({ path, message: 'holds a lone surrogate (an unpaired \\uD800–\\uDFFF): not valid Unicode' });
    } else if (Array.isArray(node)) {
      for (let i = node.length - 1; i >= 0; i--) stack.push([node[i], `${path}.${i}`]);
    } else if (node !== null && typeof node === 'object') {
      const entries = Object.entries(node);
      for (let i = entries.length - 1; i >= 0; i--) {
        const [key, child] = entries[i]!;
        if (!wellFormed(key)) problems.push({ path, message: 'a key holds a lone surrogate: not valid Unicode' });
        else stack.push([child, `${path}.${key}`]);
      }
    }
  }
  return problems;
}
