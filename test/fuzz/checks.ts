import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { createParser } from 'eventsource-parser';
import type { Operation, RequestPlan } from './requests.js';
import type { Schema } from './schema-arbitrary.js';

/** What came back for one request. */
export interface Observed {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** One broken promise: which operation, what, and the request that showed it. */
export interface Finding {
  op: string;
  kind: 'hang' | 'server_error' | 'undocumented_status' | 'schema' | 'secret' | 'no_request_id' | 'bad_stream';
  message: string;
}

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

/** OpenAPI 3.0's dialect (nullable, boolean exclusiveMinimum) in JSON Schema draft-07, which Ajv reads. */
export function toDraft7(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(toDraft7);
  if (!schema || typeof schema !== 'object') return schema;
  const { nullable, exclusiveMinimum, exclusiveMaximum, example: _e, ...rest } = schema as Schema;
  const out: Record<string, unknown> = Object.fromEntries(Object.entries(rest).map(([k, v]) => [k, k === 'properties' ? mapValues(v, toDraft7) : toDraft7(v)]));
  if (exclusiveMinimum === true) {
    out.exclusiveMinimum = out.minimum;
    delete out.minimum;
  } else if (typeof exclusiveMinimum === 'number') out.exclusiveMinimum = exclusiveMinimum;
  if (exclusiveMaximum === true) {
    out.exclusiveMaximum = out.maximum;
    delete out.maximum;
  } else if (typeof exclusiveMaximum === 'number') out.exclusiveMaximum = exclusiveMaximum;
  return nullable ? { anyOf: [out, { type: 'null' }] } : out;
}

const mapValues = (o: unknown, f: (v: unknown) => unknown) => Object.fromEntries(Object.entries(o as object).map(([k, v]) => [k, f(v)]));

/** Validators of the documented response bodies, compiled once per operation and status. */
export function responseValidators(): (op: Operation, status: string) => ValidateFunction | null {
  const ajv = addFormats(new Ajv({ strict: false, allErrors: false, validateFormats: true }));
  const cache = new Map<string, ValidateFunction | null>();
  return (op, status) => {
    const key = `${op.id} ${status}`;
    if (!cache.has(key)) {
      const schema = op.responses[status]?.content?.['application/json']?.schema;
      cache.set(key, schema ? ajv.compile(toDraft7(schema) as object) : null);
    }
    return cache.get(key)!;
  };
}

/** Statuses an upstream scenario may cause, if the operation documents them. */
const UPSTREAM = new Set([502, 503, 504]);

const header = (o: Observed, name: string) => {
  const v = o.headers[name];
  return Array.isArray(v) ? v.join(', ') : (v ?? '');
};

/**
 * The fuzz's properties for one exchange: no 5xx but the upstream ones the operation documents, a
 * documented status, a body that matches the documented schema for it (JSON, or each event of a
 * stream), an x-request-id, and no configured secret anywhere in the answer.
 */
export function findingsOf(
  plan: RequestPlan,
  observed: Observed,
  validator: (op: Operation, status: string) => ValidateFunction | null,
  secrets: readonly string[],
): Finding[] {
  const op = plan.op;
  const found: Finding[] = [];
  const add = (kind: Finding['kind'], message: string) => found.push({ op: op.id, kind, message });
  const status = observed.status;
  if (status === 0) {
    add('hang', observed.text);
    return found;
  }
  if (status >= 500 && !(UPSTREAM.has(status) && String(status) in op.responses)) add('server_error', `${status}: ${observed.text.slice(0, 300)}`);
  if (!(String(status) in op.responses)) add('undocumented_status', `${status} is not among ${Object.keys(op.responses).join(', ')}: ${observed.text.slice(0, 200)}`);
  if (!header(observed, 'x-request-id')) add('no_request_id', `${status} without x-request-id`);
  for (const secret of secrets) {
    if (observed.text.includes(secret)) add('secret', `the body carries a configured secret (${secret.slice(0, 6)}…)`);
    if (Object.values(observed.headers).some((v) => String(v).includes(secret))) add('secret', `a header carries a configured secret (${secret.slice(0, 6)}…)`);
  }
  const type = header(observed, 'content-type');
  if (type.startsWith('text/event-stream')) {
    found.push(...streamFindings(op, observed, validator));
  } else if (type.startsWith('application/json')) {
    let body: unknown;
    try {
      body = JSON.parse(observed.text);
    } catch {
      add('schema', `${status}: content-type JSON but the body is not JSON: ${observed.text.slice(0, 120)}`);
      return found;
    }
    const validate = validator(op, String(status));
    if (validate && !validate(body)) add('schema', `${status}: ${JSON.stringify(validate.errors?.slice(0, 3))} in ${observed.text.slice(0, 300)}`);
  } else if (status !== 204 && !(String(status) in op.responses && !op.responses[String(status)]?.content?.['application/json'])) {
    add('schema', `${status} answered as '${type}', documented as JSON: ${observed.text.slice(0, 120)}`);
  }
  return found;
}

/** A named-event stream (error events in the error body) or an OpenAI one (chunks, in-band errors, [DONE]). */
function streamFindings(op: Operation, observed: Observed, validator: (op: Operation, status: string) => ValidateFunction | null): Finding[] {
  const found: Finding[] = [];
  const add = (message: string) => found.push({ op: op.id, kind: 'bad_stream', message });
  const events: { event?: string; data: string }[] = [];
  const parser = createParser({ onEvent: (e) => events.push({ event: e.event, data: e.data }) });
  parser.feed(observed.text);
  const errorSchema = validator(op, '500');
  const openAi = op.path.startsWith('/v1/');
  for (const e of events) {
    if (openAi && e.data === '[DONE]') continue;
    let data: unknown;
    try {
      data = JSON.parse(e.data);
    } catch {
      add(`event ${e.event ?? 'message'} is not JSON: ${e.data.slice(0, 120)}`);
      continue;
    }
    const isError = openAi ? Boolean(data && typeof data === 'object' && 'error' in data) : e.event === 'error';
    if (isError && errorSchema && !errorSchema(data)) add(`error event outside the error body: ${JSON.stringify(errorSchema.errors?.slice(0, 2))} ${e.data.slice(0, 200)}`);
  }
  const last = events.at(-1);
  const ended = openAi ? last?.data === '[DONE]' || (last !== undefined && last.data.startsWith('{"error"')) : last?.event === 'completed' || last?.event === 'error';
  if (!ended && !op.path.endsWith('/events')) add(`stream ended without a terminal event (last: ${last?.event ?? ''} ${last?.data.slice(0, 80) ?? 'none'})`);
  return found;
}
