import fc from 'fast-check';
import { anyJson, arbitraryOf, oddString, type Hints, type Schema } from './schema-arbitrary.js';

/** One operation of the OpenAPI document. */
export interface Operation {
  /** `METHOD /path` as the document writes it, e.g. `POST /template/{name}`. */
  id: string;
  method: string;
  path: string;
  parameters: { in: 'path' | 'query' | 'header'; name: string; required?: boolean; schema: Schema }[];
  body?: { schema: Schema; example?: unknown };
  responses: Record<string, { content?: Record<string, { schema?: Schema }> }>;
  admin: boolean;
}

/** The operations of an OpenAPI 3 document. */
export function operationsOf(doc: { paths: Record<string, Record<string, any>> }): Operation[] {
  return Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => {
      const media = op.requestBody?.content?.['application/json'];
      return {
        id: `${method.toUpperCase()} ${path}`,
        method: method.toUpperCase(),
        path,
        parameters: op.parameters ?? [],
        body: media ? { schema: media.schema, example: media.example ?? media.schema?.examples?.[0] } : undefined,
        responses: op.responses,
        admin: path.startsWith('/admin'),
      };
    }),
  );
}

/**
 * A path parameter: a literal, or the `index`-th id of a kind the run has seen so far in
 * responses (runs, sessions, keys...), resolved when the request is sent, so the fuzz reaches
 * existing resources and the plan stays a pure value that fast-check can replay and shrink.
 */
export type ParamValue = { literal: string } | { pool: string; index: number };

/** Which credential the request carries. */
export type Credential = 'right' | 'none' | 'wrong' | 'other_kind' | 'malformed';

/** How the body was made; the checks allow 4xx for all but `valid`. */
export type BodyKind = 'valid' | 'mutated' | 'encoding' | 'content_type' | 'huge' | 'none';

/** A request to send, as plain data. */
export interface RequestPlan {
  op: Operation;
  /** `METHOD /path` of `op` (printed in counterexamples). */
  opId: string;
  params: Record<string, ParamValue>;
  query: [string, string][];
  credential: Credential;
  bodyKind: BodyKind;
  /** The body bytes, base64 (a string so fast-check prints it). */
  body?: string;
  contentType?: string;
  extraHeaders: Record<string, string>;
}

/** What the fuzz knows about the server under test, to aim generated values at real names. */
export interface Target {
  models: string[];
  addons: string[];
  templates: string[];
  /** Path parameter name (per path) → the pool of ids seen in responses. */
  poolOf(op: Operation, param: string): string | undefined;
}

const CONTENT_TYPES = [
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/json; charset=utf-16le',
  'application/json; charset=latin1',
  'APPLICATION/JSON',
  'application/json-patch+json',
  'application/vnd.api+json',
  'application/xml',
  '',
  'application/json;;;',
  '*/*',
];

/** Values close to what a caller means, by property name; the schema's own values are mixed in. */
export function hintsFor(target: Target): Hints {
  const model = fc.oneof(
    fc.constantFrom(...target.models),
    fc.constantFrom('auto', 'L', 'M', 'H'),
    // Ad-hoc models of configured providers, some failing on purpose at the fake provider (502/503/504 scenarios).
    fc.constantFrom('openrouter/gpt-x', 'openrouter/fault:server_error/gpt-x', 'openrouter/fault:unavailable/gpt-x', 'openrouter/fault:context_length/gpt-x'),
    fc.constantFrom('openrouter/fault:malformed_body/gpt-x', 'openrouter/fault:stream_cut_2/gpt-x', 'openrouter/fault:midstream_error_1/gpt-x', 'google_ai/fault:auth/gemini-x'),
  );
  const message = fc.oneof(
    fc.constantFrom('hello', 'Write a haiku about rain', 'Plan a launch, then write the posts and the email.', 'Draw a picture of a cat', 'Make a short video of waves'),
    fc.string({ maxLength: 200 }),
  );
  return new Map<string, fc.Arbitrary<unknown>>([
    ['model', model],
    ['models', fc.array(model, { maxLength: 3 })],
    ['fallbacks', fc.array(model, { maxLength: 2 })],
    ['addons', fc.array(fc.constantFrom(...target.addons), { maxLength: 2 })],
    ['message', message],
    ['prompt', message],
    ['content', fc.oneof(message, fc.constant([{ type: 'text', text: 'hi' }]))],
    ['role', fc.constantFrom('user', 'system', 'assistant')],
    ['messages', fc.array(fc.record({ role: fc.constantFrom('user', 'system'), content: message }), { minLength: 1, maxLength: 3 })],
    ['session_id', fc.constantFrom('fuzz-1', 'fuzz-2', 'demo-session-1')],
    ['images', fc.array(fc.constantFrom('https://example.com/cat.png', 'data:image/png;base64,iVBORw0KGgo=', 'data:image/png;base64,@@@', 'http://127.0.0.1/x.png', 'ftp://x'), { maxLength: 2 })],
    ['timeout_s', fc.oneof({ weight: 3, arbitrary: fc.constantFrom(0.1, 0.5, 5, 30) }, { weight: 1, arbitrary: fc.double({ min: 0, max: 1e6, noNaN: true }) })],
    // Refused ones only: a valid one would make the server deliver webhooks to the internet.
    ['callback_url', fc.constantFrom('http://127.0.0.1/hook', 'https://10.0.0.1/x', 'https://localhost/x', 'not a url')],
    ['since', fc.oneof(fc.date({ noInvalidDate: true, min: new Date(0), max: new Date(4e12) }).map((d) => d.toISOString()), fc.constantFrom('2026-01-01', 'yesterday'))],
    ['until', fc.oneof(fc.date({ noInvalidDate: true, min: new Date(0), max: new Date(4e12) }).map((d) => d.toISOString()), fc.constantFrom('2026-13-01'))],
    ['limit', fc.integer({ min: -1, max: 101 })],
    ['status', fc.constantFrom('queued', 'running', 'completed', 'failed', 'nope')],
  ]);
}

/** Plans for `op`: valid, mutated, oddly encoded, wrongly typed, huge or deep, with fuzzed parameters and credentials. */
export function requestPlans(op: Operation, target: Target): fc.Arbitrary<RequestPlan> {
  const hints = hintsFor(target);
  const params = paramsOf(op, target);
  const query = queryOf(op, hints);
  const credential = fc.oneof(
    { weight: 12, arbitrary: fc.constant<Credential>('right') },
    { weight: 1, arbitrary: fc.constantFrom<Credential>('none', 'wrong', 'other_kind', 'malformed') },
  );
  const extraHeaders = fc.oneof(
    { weight: 8, arbitrary: fc.constant({}) },
    { weight: 1, arbitrary: fc.record({ 'x-request-id': fc.oneof(fc.string({ maxLength: 300 }).map(headerSafe), fc.constant('fuzz-fixed-id')) }) },
    { weight: 1, arbitrary: fc.record({ prefer: fc.constantFrom('respond-async', 'wait=1', 'nonsense') }) },
    { weight: 1, arbitrary: fc.record({ 'accept-encoding': fc.constantFrom('gzip', 'br', 'identity;q=0', '*') }) },
  );
  const body = bodyOf(op, hints);
  // The operation rides along unenumerated, so a counterexample prints the request, not the whole document.
  return fc
    .record({ params, query, credential, extraHeaders, body })
    .map(({ body: b, ...rest }) => Object.defineProperty({ ...rest, ...b, opId: op.id }, 'op', { value: op, enumerable: false }) as RequestPlan);
}

/** Header values must be visible ASCII for the client to send them at all. */
const headerSafe = (s: string) => s.replace(/[^\x20-\x7e]/g, '').trim() || 'x';

function paramsOf(op: Operation, target: Target): fc.Arbitrary<Record<string, ParamValue>> {
  const record: Record<string, fc.Arbitrary<ParamValue>> = {};
  for (const p of op.parameters.filter((x) => x.in === 'path')) {
    const pool = target.poolOf(op, p.name);
    const literal = fc.oneof(
      { weight: 3, arbitrary: arbitraryOf(p.schema).map((v) => String(v)) },
      { weight: 1, arbitrary: oddString() },
      { weight: 1, arbitrary: fc.constantFrom('%2e%2e', 'a%2Fb', '%00', '%E0%A4%A', '%ZZ', '%F0%9F%98%80', 'x'.repeat(600)) },
    );
    record[p.name] = pool
      ? fc.oneof({ weight: 3, arbitrary: fc.nat().map((index) => ({ pool, index })) }, { weight: 2, arbitrary: literal.map((literal) => ({ literal })) })
      : literal.map((literal) => ({ literal }));
  }
  return fc.record(record);
}

function queryOf(op: Operation, hints: Hints): fc.Arbitrary<[string, string][]> {
  const entries = op.parameters
    .filter((p) => p.in === 'query')
    .map((p) =>
      fc.oneof(
        { weight: 4, arbitrary: fc.constant(undefined) },
        { weight: 4, arbitrary: arbitraryOf(p.schema, hints).map((v) => [p.name, String(v)] as [string, string]) },
        { weight: 1, arbitrary: oddString().map((v) => [p.name, v] as [string, string]) },
      ),
    );
  const extra = fc.oneof(
    { weight: 6, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom('x', 'limit', 'stream', '__proto__', 'cursor'), oddString()) },
  );
  return fc.tuple(fc.tuple(...entries), extra).map(([own, more]) => [...own, more].filter((e): e is [string, string] => e !== undefined));
}

const b64 = (b: Buffer | string) => Buffer.from(b).toString('base64');
const json = (value: unknown) => ({ body: b64(JSON.stringify(value)), contentType: 'application/json' });

type Body = Pick<RequestPlan, 'bodyKind' | 'body' | 'contentType'>;

function bodyOf(op: Operation, hints: Hints): fc.Arbitrary<Body> {
  if (!op.body) {
    // A body where none is expected.
    return fc.oneof(
      { weight: 10, arbitrary: fc.constant<Body>({ bodyKind: 'none' }) },
      { weight: 1, arbitrary: anyJson().map((v) => ({ bodyKind: 'mutated' as const, ...json(v) })) },
    );
  }
  const valid = validBody(op, hints);
  return fc.oneof(
    { weight: 8, arbitrary: valid.map((v) => ({ bodyKind: 'valid' as const, ...json(v) })) },
    { weight: 4, arbitrary: fc.tuple(valid, mutation()).map(([v, m]) => ({ bodyKind: 'mutated' as const, ...json(m(v)) })) },
    { weight: 1, arbitrary: fc.tuple(valid, encoding()).map(([v, e]) => ({ bodyKind: 'encoding' as const, ...e(v) })) },
    { weight: 1, arbitrary: fc.tuple(valid, fc.constantFrom(...CONTENT_TYPES)).map(([v, contentType]) => ({ bodyKind: 'content_type' as const, body: b64(JSON.stringify(v)), contentType })) },
    { weight: 1, arbitrary: fc.tuple(valid, huge()).map(([v, h]) => ({ bodyKind: 'huge' as const, ...h(v) })) },
  );
}

/** A body the schema allows: the document's example with fields regenerated, or one generated whole. */
function validBody(op: Operation, hints: Hints): fc.Arbitrary<unknown> {
  const generated = arbitraryOf(op.body!.schema, hints);
  const example = op.body!.example;
  if (example === undefined || typeof example !== 'object' || example === null) return generated;
  // Mix the example with generated fields: realistic enough to get past the route's own checks.
  const merged = generated.map((g) => (g && typeof g === 'object' && !Array.isArray(g) ? { ...(example as object), ...pick(g as Record<string, unknown>) } : g));
  return fc.oneof({ weight: 2, arbitrary: fc.constant(example) }, { weight: 4, arbitrary: merged }, { weight: 2, arbitrary: generated });
}

/** Keeps about half of the generated fields (deterministically, by name), so the example's values survive too. */
function pick(g: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(g).filter(([k]) => k.length % 2 === 0));
}

type Mutation = (v: unknown) => unknown;

/** Breaks one thing in a valid value: a field removed, retyped, added or replaced by an odd value. */
function mutation(): fc.Arbitrary<Mutation> {
  const odd = fc.oneof(anyJson(), oddString(), fc.constantFrom(null, -1, 0, 1e308, -0, 2 ** 53 + 1, [], {}, true, '1e-9'));
  return fc.oneof(
    fc.tuple(fc.nat(), odd).map(([i, value]): Mutation => (v) => setNth(v, i, value)),
    fc.nat().map((i): Mutation => (v) => deleteNth(v, i)),
    fc.tuple(fc.constantFrom('__proto__', 'constructor', 'unknown_field', 'stream', 'x_'), odd).map(([k, value]): Mutation => (v) =>
      v && typeof v === 'object' && !Array.isArray(v) ? Object.defineProperty({ ...(v as object) }, k, { value, enumerable: true }) : v,
    ),
    anyJson().map((whole): Mutation => () => whole),
  );
}

/** Every (container, key) of a JSON value, depth first. */
function slots(v: unknown, out: [Record<string, unknown> | unknown[], string | number][] = []): typeof out {
  if (Array.isArray(v)) {
    v.forEach((item, i) => {
      out.push([v, i]);
      slots(item, out);
    });
  } else if (v && typeof v === 'object') {
    for (const [k, item] of Object.entries(v)) {
      out.push([v as Record<string, unknown>, k]);
      slots(item, out);
    }
  }
  return out;
}

function setNth(v: unknown, n: number, value: unknown): unknown {
  const copy = structuredClone(v);
  const all = slots(copy);
  if (all.length === 0) return value;
  const [container, key] = all[n % all.length]!;
  (container as Record<string | number, unknown>)[key] = value;
  return copy;
}

function deleteNth(v: unknown, n: number): unknown {
  const copy = structuredClone(v);
  const all = slots(copy);
  if (all.length === 0) return copy;
  const [container, key] = all[n % all.length]!;
  if (Array.isArray(container)) container.splice(key as number, 1);
  else delete container[key as string];
  return copy;
}

type Encoder = (v: unknown) => Pick<RequestPlan, 'body' | 'contentType'>;

/** The same JSON in bytes a strict reader may refuse: BOM, UTF-16, Latin-1, broken UTF-8, escaped lone surrogates, NUL. */
function encoding(): fc.Arbitrary<Encoder> {
  const at = (text: string, n: number, insert: Buffer) => {
    const bytes = Buffer.from(text);
    const i = n % (bytes.length + 1);
    return Buffer.concat([bytes.subarray(0, i), insert, bytes.subarray(i)]);
  };
  return fc.oneof(
    fc.constant<Encoder>((v) => ({ body: b64(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify(v))])), contentType: 'application/json' })),
    fc.constant<Encoder>((v) => ({ body: b64(Buffer.from(JSON.stringify(v), 'utf16le')), contentType: 'application/json' })),
    fc.constant<Encoder>((v) => ({ body: b64(Buffer.from(JSON.stringify(v).replace(/"([^"]*)"/, '"$1é"'), 'latin1')), contentType: 'application/json' })),
    fc.tuple(fc.nat(), fc.constantFrom([0xff], [0xc3], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0x00], [0xe2, 0x82])).map(
      ([n, bytes]): Encoder => (v) => ({ body: b64(at(JSON.stringify(v), n, Buffer.from(bytes))), contentType: 'application/json' }),
    ),
    fc.constantFrom('\\ud800', '\\udfff', '\\u0000', '\\ud83d\\ude00', '\\uDBFF').map(
      (escape): Encoder => (v) => ({ body: b64(JSON.stringify(v).replace(/"([^"]+)"(?!\s*:)/, `"$1${escape}"`)), contentType: 'application/json' }),
    ),
    fc.nat().map((n): Encoder => (v) => ({ body: b64(JSON.stringify(v).slice(0, n % (JSON.stringify(v).length + 1))), contentType: 'application/json' })),
  );
}

/** Past the body limit, nested past any parser's comfort, or wide: a long string, deep arrays, many keys. */
function huge(): fc.Arbitrary<Encoder> {
  return fc.oneof(
    fc.constantFrom(2_000, 100_000, 1_100_000).map((n): Encoder => (v) => json(setNth(v, 0, 'x'.repeat(n)))),
    fc.constantFrom(100, 5_000, 50_000).map((depth): Encoder => (v) => ({
      body: b64(JSON.stringify(v).replace(/^\{/, `{"deep":${'['.repeat(depth)}${']'.repeat(depth)},`).replace(/,}$/, '}')),
      contentType: 'application/json',
    })),
    fc.constantFrom(1_000, 50_000).map((n): Encoder => (v) => json(setNth(v, 0, Array.from({ length: n }, (_, i) => i)))),
    fc.constantFrom(1_000, 20_000).map((n): Encoder => (v) => json(v && typeof v === 'object' && !Array.isArray(v) ? { ...(v as object), ...Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i])) } : v)),
  );
}
