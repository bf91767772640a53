/**
 * Fault specs of the fake provider: parsing (`fault:<spec>/<model>` or the `x-fake-fault`
 * header) and the per-key state of faults that change over time (fail once, flap, down).
 * The syntax is documented at the top of server.ts and in README.md.
 */

/** Every fault the fake understands; a request naming any other is answered 400 so typos show. */
export const FAULT_NAMES = new Set([
  'rate_limit',
  'rate_limit_retry_after',
  'rate_limit_retry_date',
  'rate_limit_once',
  'rate_limit_retry_after_ms',
  'rate_limit_reset',
  'rate_limit_retry_info',
  'overloaded',
  'unavailable_retry_after',
  'insufficient_quota',
  'credits',
  'context_relay',
  'abnormal_finish',
  'truncated',
  'empty_answer',
  'empty_candidates',
  'choice_error',
  'midstream_error',
  'line_cr',
  'line_crlf',
  'data_nospace',
  'sse_comments',
  'byte_split',
  'window_spent',
  'fail_once',
  'fail_times',
  'fail_percent',
  'server_error',
  'unavailable',
  'auth',
  'forbidden',
  'not_found',
  'reset',
  'reset_once',
  'no_response',
  'slow_first_token',
  'latency',
  'chunk_delay',
  'stream_cut',
  'stream_stall',
  'word_chunks',
  'malformed_chunk',
  'malformed_body',
  'missing_done',
  'missing_done_hang',
  'no_finish',
  'context_length',
  'content_filter',
  'reject_prefill',
  'ignore_prefill',
  'reword',
  'unavailable_model',
  'flap',
  'veo_polls',
  'operation_error',
]);

/** The faults of one request: names with an optional numeric parameter. */
export class Faults {
  private readonly byName = new Map<string, number | undefined>();
  readonly unknown: string[] = [];

  constructor(readonly spec: string | null) {
    for (const token of (spec ?? '').split('+').map((t) => t.trim()).filter(Boolean)) {
      const match = /^([a-z_]+?)(?:_(\d+))?$/.exec(token);
      if (!match || !FAULT_NAMES.has(match[1]!)) {
        this.unknown.push(token);
        continue;
      }
      this.byName.set(match[1]!, match[2] === undefined ? undefined : Number(match[2]));
    }
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  /** The fault's numeric parameter, or `fallback` when it has none. */
  n(name: string, fallback: number): number {
    return this.byName.get(name) ?? fallback;
  }
}

/**
 * Splits a model string into its fault spec and the real model id:
 * `fault:rate_limit_retry_after_1/gpt-x` → { spec: 'rate_limit_retry_after_1', model: 'gpt-x' }.
 */
export function splitModel(model: string): { spec: string | null; model: string } {
  if (!model.startsWith('fault:')) return { spec: null, model };
  const slash = model.indexOf('/');
  if (slash < 0) return { spec: model.slice(6), model: '' };
  return { spec: model.slice(6, slash), model: model.slice(slash + 1) };
}

/** Both sources of faults combined (model prefix first, then the header). */
export function faultSpec(modelSpec: string | null, header: string | undefined): string | null {
  const parts = [modelSpec, header].filter((p): p is string => Boolean(p));
  return parts.length > 0 ? parts.join('+') : null;
}

/** State that outlives one request: counts per key, first sight per key, keys forced down. */
export class FaultState {
  private readonly counts = new Map<string, number>();
  private readonly firstSeen = new Map<string, number>();
  private readonly down = new Set<string>();

  /** How many times this key was seen before (0 the first time), then counts this sighting. */
  seen(key: string): number {
    const n = this.counts.get(key) ?? 0;
    this.counts.set(key, n + 1);
    return n;
  }

  /** Ms since this key was first seen (0 the first time). */
  sinceFirst(key: string, now: number): number {
    const first = this.firstSeen.get(key);
    if (first === undefined) {
      this.firstSeen.set(key, now);
      return 0;
    }
    return now - first;
  }

  setDown(key: string, isDown: boolean): void {
    if (isDown) this.down.add(key);
    else this.down.delete(key);
  }

  isDown(...keys: string[]): boolean {
    return keys.some((k) => this.down.has(k));
  }

  reset(): void {
    this.counts.clear();
    this.firstSeen.clear();
    this.down.clear();
  }
}
