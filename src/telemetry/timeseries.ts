import type { Clock } from '../clock.js';
import type { AppEventBus } from '../events.js';
import { createLabelBounder } from './labels.js';
import type { RequestEndListener } from './request-end.js';
import { annotationOf } from './request-log.js';
import { TIMESERIES_WINDOWS, type TimeseriesQuery, type TimeseriesResponse, type TimeseriesSeries } from './timeseries-schema.js';

/**
 * Latency bins: bin 0 is [0, 1) ms, bin k is [2^((k-1)/2), 2^(k/2)) ms, the last one open-ended
 * (from ~12 min). A bin is √2 wide, so a percentile read at its geometric middle is within ±19 %.
 */
const BINS = 40;
const binOf = (ms: number): number => (ms < 1 ? 0 : Math.min(BINS - 1, Math.floor(2 * Math.log2(ms)) + 1));
const binValue = (bin: number): number => (bin === 0 ? 0.5 : 2 ** ((bin - 0.5) / 2));

// Counters per bucket: requests, errors, cache hits, cache lookups, then the latency bins.
const REQUESTS = 0;
const ERRORS = 1;
const HITS = 2;
const LOOKUPS = 3;
const HIST = 4;
const FIELDS = HIST + BINS;

/** What one finished request or call adds to a bucket. */
interface Sample {
  error: boolean;
  /** The latency bin (binOf), computed once for the four rings it goes into. */
  bin: number;
  costUsd: number;
  /** true: answered from the response cache; false: looked up and missed; undefined: not cacheable. */
  cacheHit: boolean | undefined;
}

/**
 * One window of fixed-size buckets in a ring: `buckets` slots of `bucketMs`, each stamped with
 * the bucket number it holds, so a slot is zeroed when time comes round to it again. Recording is
 * O(1) (a division, a compare, a few increments); memory is fixed at allocation.
 */
class Ring {
  private readonly stamps: Float64Array;
  private readonly counts: Uint32Array;
  private readonly cost: Float64Array;

  constructor(
    readonly bucketMs: number,
    readonly buckets: number,
  ) {
    this.stamps = new Float64Array(buckets).fill(-1);
    this.counts = new Uint32Array(buckets * FIELDS);
    this.cost = new Float64Array(buckets);
  }

  /** The slot of bucket number `n`, zeroed if it still held an older bucket. */
  private slot(n: number): number {
    const s = n % this.buckets;
    if (this.stamps[s] !== n) {
      this.stamps[s] = n;
      this.counts.fill(0, s * FIELDS, (s + 1) * FIELDS);
      this.cost[s] = 0;
    }
    return s;
  }

  record(now: number, sample: Sample): void {
    const base = this.slot(Math.floor(now / this.bucketMs)) * FIELDS;
    const c = this.counts;
    c[base + REQUESTS]! += 1;
    if (sample.error) c[base + ERRORS]! += 1;
    if (sample.cacheHit !== undefined) {
      c[base + LOOKUPS]! += 1;
      if (sample.cacheHit) c[base + HITS]! += 1;
    }
    c[base + HIST + sample.bin]! += 1;
    this.cost[base / FIELDS]! += sample.costUsd;
  }

  /** The window ending with the bucket that holds `now`, oldest first, with a summary over it. */
  read(now: number, upSinceMs: number): { times: number[]; series: TimeseriesSeries } {
    const last = Math.floor(now / this.bucketMs);
    const times: number[] = [];
    const out: TimeseriesSeries = {
      summary: undefined as never,
      requests: [],
      requests_per_s: [],
      errors: [],
      error_rate: [],
      latency_p50_ms: [],
      latency_p95_ms: [],
      cost_usd: [],
      cache_hits: [],
      cache_lookups: [],
    };
    const hist = new Float64Array(BINS);
    const total = { requests: 0, errors: 0, hits: 0, lookups: 0, cost: 0 };
    for (let n = last - this.buckets + 1; n <= last; n++) {
      const start = n * this.bucketMs;
      times.push(start);
      const s = n % this.buckets;
      const live = n >= 0 && this.stamps[s] === n;
      const at = (field: number) => (live ? this.counts[s * FIELDS + field]! : 0);
      const requests = at(REQUESTS);
      const errors = at(ERRORS);
      const cost = live ? this.cost[s]! : 0;
      // The current bucket is only partly over: its rate is over the time elapsed so far.
      const seconds = (n === last ? Math.max(1, now - start) : this.bucketMs) / 1000;
      out.requests.push(requests);
      out.requests_per_s.push(round(requests / seconds));
      out.errors.push(errors);
      out.error_rate.push(requests ? round(errors / requests) : null);
      out.cost_usd.push(money(cost));
      out.cache_hits.push(at(HITS));
      out.cache_lookups.push(at(LOOKUPS));
      const bucketHist = live ? this.counts.subarray(s * FIELDS + HIST, (s + 1) * FIELDS) : undefined;
      out.latency_p50_ms.push(bucketHist ? percentile(bucketHist, requests, 0.5) : null);
      out.latency_p95_ms.push(bucketHist ? percentile(bucketHist, requests, 0.95) : null);
      if (bucketHist) for (let b = 0; b < BINS; b++) hist[b]! += bucketHist[b]!;
      total.requests += requests;
      total.errors += errors;
      total.hits += at(HITS);
      total.lookups += at(LOOKUPS);
      total.cost += cost;
    }
    // Rates over the part of the window the server has been up (a young server is not diluted by its past).
    const windowStart = (last - this.buckets + 1) * this.bucketMs;
    const coveredS = Math.max(1, now - Math.max(windowStart, upSinceMs)) / 1000;
    out.summary = {
      requests: total.requests,
      requests_per_s: round(total.requests / coveredS),
      errors: total.errors,
      error_rate: total.requests ? round(total.errors / total.requests) : null,
      latency_ms: { p50: percentile(hist, total.requests, 0.5), p95: percentile(hist, total.requests, 0.95) },
      cost_usd: money(total.cost),
      cost_per_hour_usd: money((total.cost / coveredS) * 3600),
      cache_hit_rate: total.lookups ? round(total.hits / total.lookups) : null,
    };
    return { times, series: out };
  }
}

/** The nearest-rank percentile `q` (0..1) of a histogram holding `count` samples, at its bin's middle. */
function percentile(hist: ArrayLike<number>, count: number, q: number): number | null {
  if (count === 0) return null;
  const rank = Math.max(1, Math.ceil(q * count));
  let seen = 0;
  for (let b = 0; b < BINS; b++) {
    seen += hist[b]!;
    if (seen >= rank) return round(binValue(b));
  }
  return round(binValue(BINS - 1));
}

const round = (v: number) => Math.round(v * 1000) / 1000;
const money = (usd: number) => Math.round(usd * 1e10) / 1e10;

/** One series in both windows. */
class Series {
  readonly rings = {
    '1h': new Ring(TIMESERIES_WINDOWS['1h'].bucket_s * 1000, TIMESERIES_WINDOWS['1h'].buckets),
    '1d': new Ring(TIMESERIES_WINDOWS['1d'].bucket_s * 1000, TIMESERIES_WINDOWS['1d'].buckets),
  };

  record(now: number, sample: Sample): void {
    this.rings['1h'].record(now, sample);
    this.rings['1d'].record(now, sample);
  }
}

/** The API routes (all POST) whose requests do model work: what the overview counts (polling the console does not). */
export const MODEL_ROUTES = new Set(['/chat', '/workflow', '/template/:name', '/v1/chat/completions']);

const TIERS = ['L', 'M', 'H', 'none'] as const;

/** Per-interval figures for the console's charts: GET /stats/timeseries. */
export interface Timeseries {
  /** Records a finished API request (onRequestEnd): total and by tier. */
  requestEnded: RequestEndListener;
  read(query: TimeseriesQuery): TimeseriesResponse;
}

/**
 * Ring buffers of per-interval buckets — the last hour in 10 s buckets, the last day in 5 min
 * buckets — for every API request that does model work (total and by tier, from the request's end)
 * and every model call (by model, from the gateway's `attempt` events). Fixed memory: about 120 KB
 * per series, for 1 total + 4 tiers + the configured models and at most 20 ad-hoc ones (then
 * `other`), allocated on first use. Recording is O(1) per request and per call.
 * A request is an error when answered 5xx; a call when it failed (a hedge's cancelled loser is
 * neither counted nor billed). Cache hits come from the `x-cache` response header (HIT / MISS).
 */
export function createTimeseries(opts: { bus: AppEventBus; clock: Clock; models: Iterable<string> }): Timeseries {
  const { bus, clock } = opts;
  const startedAt = clock.now();
  const total = new Series();
  const tiers = new Map<string, Series>();
  const models = new Map<string, Series>();
  const modelLabel = createLabelBounder(opts.models);
  const seriesOf = (map: Map<string, Series>, key: string): Series => {
    let s = map.get(key);
    if (!s) map.set(key, (s = new Series()));
    return s;
  };

  bus.on('attempt', (e) => {
    if (e.outcome === 'cancelled') return;
    seriesOf(models, modelLabel(e.model)).record(clock.now(), {
      error: e.outcome === 'failure',
      bin: binOf(e.latency_ms),
      costUsd: e.outcome === 'success' && !e.simulated ? (e.cost_usd ?? 0) : 0,
      cacheHit: undefined,
    });
  });

  return {
    requestEnded(request, end) {
      if (end.method !== 'POST' || !MODEL_ROUTES.has(end.route)) return;
      const note = annotationOf(request);
      // x-cache: hit or miss when the response cache was looked up; bypass (or none) when it was not.
      const cache = end.cache === undefined ? undefined : end.cache.toLowerCase();
      const sample: Sample = {
        error: end.status >= 500,
        bin: binOf(end.durationMs),
        costUsd: note?.cost_usd ?? 0,
        cacheHit: cache === 'hit' ? true : cache === 'miss' ? false : undefined,
      };
      const now = clock.now();
      total.record(now, sample);
      seriesOf(tiers, note?.category ?? 'none').record(now, sample);
    },
    read({ window, by }) {
      const now = clock.now();
      const { times, series } = total.rings[window].read(now, startedAt);
      const source = by === 'tier' ? tiers : models;
      const keys = by === 'tier' ? TIERS.filter((t) => tiers.has(t)) : [...models.keys()].sort();
      // fromEntries defines own properties: a model named `__proto__` stays a plain key.
      const groups = Object.fromEntries(keys.map((key) => [key, source.get(key)!.rings[window].read(now, startedAt).series]));
      return {
        window,
        by,
        bucket_s: TIMESERIES_WINDOWS[window].bucket_s,
        now: new Date(now).toISOString(),
        times_ms: times,
        total: series,
        groups,
      };
    },
  };
}
