import { isUtf8 } from 'node:buffer';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError, type ErrorDetail } from '../../errors.js';

/**
 * Text that is not valid Unicode is refused at the door (issue 17), the same way on every endpoint:
 * a JSON body whose bytes are not UTF-8, or a string (value or key) holding a lone surrogate
 * (`"\ud800"` escaped in JSON), is a 400 `validation_error` naming the path. Nothing is replaced,
 * so what is stored and returned is exactly what the caller sent. The same check runs on query
 * strings and path parameters (`checkUnicode` in a preValidation hook).
 */
export function registerJsonBody(app: FastifyInstance): void {
  // Fastify's own parser (secure-json-parse: refuses `__proto__` and `constructor.prototype`), fed checked text.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    const bytes = body as Buffer;
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
      if (err) return done(err, undefined);
      // Only a \uD800–\uDFFF escape can make a lone surrogate out of valid UTF-8: most bodies skip the walk.
      const problems = SURROGATE_ESCAPE.test(text) ? unicodeProblems(value, 'body') : [];
      if (problems.length > 0) return done(loneSurrogates(problems), undefined);
      done(null, value);
    });
  });
  app.addHook('preValidation', async (request: FastifyRequest) => {
    const problems = [...unicodeProblems(request.query, 'querystring'), ...unicodeProblems(request.params, 'params')];
    if (problems.length > 0) throw loneSurrogates(problems);
  });
}

const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F][0-9a-fA-F]{2}/;
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
