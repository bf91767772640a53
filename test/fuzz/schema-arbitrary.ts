import fc from 'fast-check';

/** A JSON Schema as the OpenAPI 3.0 document writes it (the subset zod emits). */
export interface Schema {
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  items?: Schema;
  enum?: unknown[];
  const?: unknown;
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
  nullable?: boolean;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: boolean | number;
  exclusiveMaximum?: boolean | number;
  minItems?: number;
  maxItems?: number;
  default?: unknown;
  example?: unknown;
  examples?: unknown[];
  [key: string]: unknown;
}

/** Realistic values by property name (a configured model key, a known addon), mixed with what the schema allows. */
export type Hints = ReadonlyMap<string, fc.Arbitrary<unknown>>;

/** Any JSON value, small, including the awkward ones (empty, unicode, big numbers). */
export const anyJson = (): fc.Arbitrary<unknown> =>
  fc.jsonValue({ maxDepth: 3, depthSize: 'small' }).map((v) => v as unknown);

/** Strings a schema-blind generator rarely reaches: control characters, long, emoji, markup, template syntax. */
export const oddString = (): fc.Arbitrary<string> =>
  fc.oneof(
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.constantFrom('', ' ', '\u0000', '{{x}}', '{{__proto__}}', '__proto__', 'constructor', '../../etc/passwd', '%00', '<script>', '😀'.repeat(30), 'a'.repeat(5000)),
  );

/**
 * fast-check arbitrary of values valid for `schema` (as far as JSON Schema can say: a field the
 * route checks against the config, such as a model key, may still be refused). Bounded sizes so a
 * run stays fast; an unsupported keyword falls back to any JSON value.
 */
export function arbitraryOf(schema: Schema | undefined, hints: Hints = new Map(), depth = 0): fc.Arbitrary<unknown> {
  if (!schema || depth > 6) return anyJson();
  const base = arbitraryOfType(schema, hints, depth);
  return schema.nullable ? fc.oneof({ weight: 5, arbitrary: base }, { weight: 1, arbitrary: fc.constant(null) }) : base;
}

function arbitraryOfType(schema: Schema, hints: Hints, depth: number): fc.Arbitrary<unknown> {
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  const variants = schema.anyOf ?? schema.oneOf;
  if (variants && variants.length > 0) return fc.oneof(...variants.map((v) => arbitraryOf(v, hints, depth + 1)));
  if (schema.allOf && schema.allOf.length > 0) return arbitraryOf(schema.allOf[0], hints, depth + 1);
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'string':
      return stringOf(schema);
    case 'integer':
      return fc.integer({ min: lower(schema, 1), max: upper(schema, 1) });
    case 'number':
      return fc.oneof(
        fc.double({ min: lower(schema, Number.EPSILON), max: upper(schema, Number.EPSILON), noNaN: true, noDefaultInfinity: true }),
        ...[schema.minimum, schema.maximum].filter((n): n is number => typeof n === 'number' && Number.isFinite(n) && !exclusive(schema)).map((n) => fc.constant(n)),
      );
    case 'boolean':
      return fc.boolean();
    case 'array':
      return fc.array(arbitraryOf(schema.items, hints, depth + 1), { minLength: schema.minItems ?? 0, maxLength: Math.min(schema.maxItems ?? 4, 4) });
    case 'object':
    case undefined:
      return schema.properties || schema.additionalProperties || type === 'object' ? objectOf(schema, hints, depth) : anyJson();
    default:
      return anyJson();
  }
}

const exclusive = (schema: Schema) => schema.exclusiveMinimum === true || schema.exclusiveMaximum === true;

/** The smallest allowed number (OpenAPI 3.0's boolean exclusiveMinimum, or 3.1's number); bounded for speed. */
function lower(schema: Schema, step: number): number {
  if (typeof schema.exclusiveMinimum === 'number') return schema.exclusiveMinimum + step;
  if (typeof schema.minimum === 'number') return schema.exclusiveMinimum === true ? schema.minimum + step : schema.minimum;
  return -1_000_000;
}

function upper(schema: Schema, step: number): number {
  if (typeof schema.exclusiveMaximum === 'number') return schema.exclusiveMaximum - step;
  if (typeof schema.maximum === 'number') return Math.min(schema.exclusiveMaximum === true ? schema.maximum - step : schema.maximum, 1e12);
  return 1_000_000;
}

function stringOf(schema: Schema): fc.Arbitrary<string> {
  const minLength = schema.minLength ?? 0;
  const maxLength = Math.max(minLength, Math.min(schema.maxLength ?? 40, 40));
  if (schema.format === 'uuid') return fc.uuid();
  if (schema.format === 'date-time') return fc.date({ noInvalidDate: true, min: new Date(0), max: new Date(4e12) }).map((d) => d.toISOString());
  if (schema.pattern) {
    const pattern = new RegExp(schema.pattern);
    return fc.stringMatching(pattern).filter((s) => s.length >= minLength && s.length <= (schema.maxLength ?? Infinity));
  }
  return fc.oneof(
    { weight: 4, arbitrary: fc.string({ minLength, maxLength }) },
    { weight: 1, arbitrary: fc.string({ unit: 'grapheme', minLength, maxLength }) },
  );
}

function objectOf(schema: Schema, hints: Hints, depth: number): fc.Arbitrary<Record<string, unknown>> {
  const properties = schema.properties ?? {};
  const required = new Set(schema.required ?? []);
  const optional = Object.keys(properties).filter((k) => !required.has(k));
  // About two optional fields per object: an object with every optional field set is refused for one of them.
  const absent = Math.max(1, Math.round(optional.length / 2) - 1);
  const entries = Object.entries(properties).map(([name, property]) => {
    const generated = arbitraryOf(property, hints, depth + 1);
    const hint = hints.get(name);
    const value = hint ? fc.oneof({ weight: 3, arbitrary: hint }, { weight: 1, arbitrary: generated }) : generated;
    const entry = value.map((v) => [name, v] as const);
    return required.has(name) ? entry : fc.oneof({ weight: absent, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: entry });
  });
  const known = fc.tuple(...entries).map((pairs) => Object.fromEntries(pairs.filter((p): p is readonly [string, unknown] => p !== undefined)));
  const extra = schema.additionalProperties;
  if (!extra || Object.keys(properties).length > 0) return known;
  // A map (variables, inputs): caller-chosen names with values of the given schema.
  const value = extra === true ? anyJson() : arbitraryOf(extra, hints, depth + 1);
  return fc.dictionary(fc.string({ minLength: 1, maxLength: 12 }), value, { maxKeys: 4, noNullPrototype: true });
}
