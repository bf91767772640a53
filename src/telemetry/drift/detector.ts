import type { Clock } from '../../clock.js';
import type { Config } from '../../config/schema.js';
import type { AppEventBus, AppEvents } from '../../events.js';
import type { BaselineSummary, DriftBaselineStore } from '../../store/drift-types.js';
import type { RequestTiers } from '../request-tiers.js';
import { judgeStream, LABELLED, PERCENTILES, roundValue, type Judged, type Stream } from './statistics.js';
import { subjectVersion } from './subject-version.js';
import type { DriftSeries, DriftState } from './types.js';
import { BaselineLearner, RecentWindow, type Sample } from './window.js';

/** What drift detection needs: the bus it listens to, the active config, a clock, where baselines are kept. */
export interface DriftDetectorDeps {
  bus: AppEventBus;
  clock: Clock;
  /** The active config (its `drift` section, models and routing), read per sample: a swap applies at once. */
  config: () => Config;
  store: DriftBaselineStore;
  log: { warn(obj: object, msg: string): void };
  /** Named in state-change events: each replica judges its own recent traffic. */
  replica: string;
  /** The tier of each recent request, so its calls count toward `tier:<L|M|H>`. */
  tiers: RequestTiers;
}

export interface DriftDetector {
  /** Loads the stored baselines of the current config's subjects; call before traffic. */
  start(): Promise<void>;
  /** Every tracked series, judged now (recent windows expired to the clock), by subject then metric. */
  series(): DriftSeries[];
  /** Resolves when baseline writes in flight have settled. */
  idle(): Promise<void>;
  /** Entries of its caller-keyed state, for `caller_keyed_entries`: subjects (ad-hoc models included). */
  stateSizes(): Record<string, number>;
  /** Stops listening to the bus. */
  close(): void;
}

interface SeriesState {
  state: DriftState;
  since: number;
  last: Judged;
}

interface StreamState {
  recent: RecentWindow;
  baseline: BaselineLearner;
  series: Map<string, SeriesState>;
  /** Samples since the stream was last judged. */
  unjudged: number;
}

interface SubjectState {
  /** The subject's config version (and baseline size): a change starts a new baseline. */
  version: string;
  /** The recent windows' shape: a change empties them. */
  windowKey: string;
  streams: Map<Stream, StreamState>;
  /** The config object this subject was last checked against (version, window shape); never set for ad-hoc subjects. */
  checkedFor: Config | undefined;
}

/** A tier's subject name (no string built per event). */
const TIER_SUBJECTS: Readonly<Record<string, string>> = { L: 'tier:L', M: 'tier:M', H: 'tier:H' };

/**
 * Drift detection (issue 14). Listens to the gateway's `attempt` and `fallback` events and to
 * `request_categorized`; per subject — `model:<key>`, `tier:<L|M|H>` (calls made for requests of
 * that category) and `categorizer` — it feeds sample streams into a baseline learner (the first
 * `baseline_samples`, then frozen and stored) and a recent window (`recent_samples`, at most
 * `recent_max_age_s` old), and judges each metric (see statistics.ts) every max(1, ⌊recent_samples / 10⌋)
 * samples (so a change shows within a tenth of the window) and on every read. A state
 * change is logged at warn and emitted as `drift_state_changed` (metrics and webhooks listen).
 * Simulated calls, cancelled hedges, breaker refusals and calls stopped by the caller's own budget
 * are not samples; cache hits never reach the gateway. Configured models, tiers and the categorizer
 * are always tracked; ad-hoc models at most `max_adhoc_models` at once (least recently used dropped,
 * never stored). Hot-path cost: O(1) per sample, plus a judgement (a sort of the recent latency
 * window for the percentiles) every tenth of the window.
 */
export function createDriftDetector(deps: DriftDetectorDeps): DriftDetector {
  const { bus, clock, config, store, log, replica, tiers } = deps;
  const subjects = new Map<string, SubjectState>();
  /** Ad-hoc subjects in least-recently-used order (first = oldest). */
  const adhoc = new Map<string, true>();
  const pending = new Set<Promise<void>>();

  const versionOf = (cfg: Config, subject: string) => `${subjectVersion(cfg, subject)}/${cfg.drift.baseline_samples}`;
  const windowKeyOf = (cfg: Config) => `${cfg.drift.recent_samples}/${cfg.drift.recent_max_age_s}`;

  const newStream = (cfg: Config): StreamState => ({
    recent: new RecentWindow(cfg.drift.recent_samples, cfg.drift.recent_max_age_s * 1000),
    baseline: new BaselineLearner(cfg.drift.baseline_samples),
    series: new Map(),
    unjudged: 0,
  });

  /** The subject's state, created, reset after a config change, or undefined when it may not be tracked. */
  const subjectFor = (cfg: Config, name: string, now: number): SubjectState | undefined => {
    const known = subjects.get(name);
    // Already checked against this config object (configs are replaced, not changed): nothing of it can differ.
    if (known !== undefined && known.checkedFor === cfg) return known;
    const version = versionOf(cfg, name);
    if (version.startsWith('adhoc/')) {
      if (adhoc.has(name)) adhoc.delete(name);
      else {
        if (cfg.drift.max_adhoc_models === 0) return undefined;
        while (adhoc.size >= cfg.drift.max_adhoc_models) {
          const oldest = adhoc.keys().next().value!;
          adhoc.delete(oldest);
          subjects.delete(oldest);
        }
      }
      adhoc.set(name, true);
    } else adhoc.delete(name);
    let subject = known;
    if (!subject) {
      subject = { version, windowKey: windowKeyOf(cfg), streams: new Map(), checkedFor: undefined };
      subjects.set(name, subject);
    } else if (subject.version !== version) {
      resetSubject(name, subject, version, cfg, now);
    } else if (subject.windowKey !== windowKeyOf(cfg)) {
      subject.windowKey = windowKeyOf(cfg);
      for (const s of subject.streams.values()) s.recent = newStream(cfg).recent;
    }
    // An ad-hoc subject goes through the above each time (its place in the least-recently-used order).
    subject.checkedFor = version.startsWith('adhoc/') ? undefined : cfg;
    return subject;
  };

  /** A config change of the subject: baselines are learnt again; series leave their state for ok. */
  const resetSubject = (name: string, subject: SubjectState, version: string, cfg: Config, now: number) => {
    subject.version = version;
    subject.windowKey = windowKeyOf(cfg);
    for (const s of subject.streams.values()) {
      s.baseline = new BaselineLearner(cfg.drift.baseline_samples);
      s.recent = newStream(cfg).recent;
      for (const [metric, series] of s.series) {
        if (series.state !== 'ok') change(name, metric, series, 'ok', { ...series.last, statistic: null }, now, 'baseline_reset');
      }
    }
  };

  const change = (subject: string, metric: string, series: SeriesState, to: DriftState, judged: Judged, now: number, reason: 'threshold' | 'baseline_reset') => {
    const from = series.state;
    series.state = to;
    series.since = now;
    const event = {
      subject,
      metric,
      from,
      to,
      statistic: roundValue(judged.statistic) as number | null,
      baseline: roundValue(judged.baseline),
      recent: roundValue(judged.recent),
      since: new Date(now).toISOString(),
      reason,
      replica,
    };
    log.warn({ drift: event }, `drift: ${subject} ${metric} ${from} -> ${to}`);
    bus.emit('drift_state_changed', event);
  };

  const evaluate = (cfg: Config, name: string, stream: Stream, s: StreamState, now: number) => {
    s.unjudged = 0;
    s.recent.expire(now);
    const judged = judgeStream(stream, s.baseline.summary, s.recent, s.recent.count >= cfg.drift.min_samples, cfg.drift.thresholds);
    for (const j of judged) {
      let series = s.series.get(j.metric);
      if (!series) s.series.set(j.metric, (series = { state: 'ok', since: now, last: j }));
      series.last = j;
      if (j.level !== null && j.level !== series.state) change(name, j.metric, series, j.level, j, now, 'threshold');
    }
  };

  /** Freezes into the store (first writer wins per version) and adopts what the store holds. */
  const persist = (name: string, subject: SubjectState, stream: Stream, s: StreamState, summary: BaselineSummary, now: number) => {
    const p = store
      .claim({ subject: name, stream, version: subject.version, summary, created_ms: now })
      .then((stored) => {
        if (subjects.get(name) === subject && subject.version === stored.version && subject.streams.get(stream) === s) s.baseline.adopt(stored.summary);
      })
      .catch((err: unknown) => log.warn({ err: { message: (err as Error)?.message }, subject: name, stream }, 'drift: storing a baseline failed; it is kept in memory'))
      .finally(() => pending.delete(p));
    pending.add(p);
  };

  /** Records one sample of a stream of `name` (its subject looked up once per event by the caller). */
  const record = (cfg: Config, name: string, subject: SubjectState, stream: Stream, sample: Sample, now: number) => {
    let s = subject.streams.get(stream);
    if (!s) subject.streams.set(stream, (s = newStream(cfg)));
    s.recent.add(sample, now);
    const frozen = s.baseline.add(sample, LABELLED.has(stream), PERCENTILES.has(stream));
    if (frozen && !subject.version.startsWith('adhoc/')) persist(name, subject, stream, s, frozen, now);
    // Judged every tenth of the recent window (every sample for windows up to 19), and on every read.
    if (frozen || ++s.unjudged >= Math.max(1, Math.floor(cfg.drift.recent_samples / 10))) evaluate(cfg, name, stream, s, now);
  };

  const tierOf = (requestId: string | undefined): string | undefined => {
    const tier = tiers.tierOf(requestId);
    return tier && TIER_SUBJECTS[tier];
  };

  /** An attempt's samples of one subject: latency and errors, and for a success its tokens, cost and no fallback. */
  const attemptSamples = (cfg: Config, name: string, subject: SubjectState, e: AppEvents['attempt'], now: number) => {
    record(cfg, name, subject, 'latency', e.latency_ms, now);
    record(cfg, name, subject, 'errors', e.outcome === 'failure' ? (e.kind ?? 'unknown') : '', now);
    if (e.outcome !== 'success') return;
    record(cfg, name, subject, 'output_tokens', e.usage?.completion_tokens ?? 0, now);
    record(cfg, name, subject, 'cost', e.cost_usd ?? 0, now);
    record(cfg, name, subject, 'fallback', 0, now);
  };

  /** One sample of one subject's stream, unless the subject may not be tracked (no closure per event). */
  const sampleOf = (cfg: Config, name: string, stream: Stream, sample: Sample, now: number): void => {
    const subject = subjectFor(cfg, name, now);
    if (subject) record(cfg, name, subject, stream, sample, now);
  };

  const offs = [
    bus.on('request_categorized', (e) => {
      const cfg = config();
      if (!cfg.drift.enabled) return;
      // An override never asked the categorizer.
      if (e.source === 'override') return;
      const now = clock.now();
      const heuristic = e.source === 'heuristic' ? 1 : 0;
      sampleOf(cfg, 'categorizer', 'heuristic', heuristic, now);
      sampleOf(cfg, TIER_SUBJECTS[e.category] ?? `tier:${e.category}`, 'heuristic', heuristic, now);
    }),
    bus.on('attempt', (e) => {
      const cfg = config();
      if (!cfg.drift.enabled) return;
      // Not the model's behaviour: simulator answers, a hedge's cancelled loser, an open breaker's refusal, the caller's spent budget.
      if (e.simulated || e.outcome === 'cancelled' || e.code === 'circuit_open' || e.code === 'budget_exhausted') return;
      const now = clock.now();
      const tier = tierOf(e.context.request_id);
      // Recorded per subject directly (no recorder closure or list per event), model first, then the tier.
      const modelName = `model:${e.model}`;
      const model = subjectFor(cfg, modelName, now);
      const tierSubject = tier ? subjectFor(cfg, tier, now) : undefined;
      if (model) attemptSamples(cfg, modelName, model, e, now);
      if (tierSubject) attemptSamples(cfg, tier!, tierSubject, e, now);
      if (e.outcome === 'success' && tier && model) record(cfg, modelName, model, 'category', tier.slice(5), now);
    }),
    bus.on('fallback', (e) => {
      const cfg = config();
      if (!cfg.drift.enabled) return;
      const now = clock.now();
      const tier = tierOf(e.context.request_id);
      sampleOf(cfg, `model:${e.from}`, 'fallback', 1, now);
      if (tier) sampleOf(cfg, tier, 'fallback', 1, now);
    }),
  ];

  return {
    async start() {
      const cfg = config();
      const now = clock.now();
      for (const b of await store.list()) {
        const version = versionOf(cfg, b.subject);
        if (version.startsWith('adhoc/') || version !== b.version) continue;
        const subject = subjectFor(cfg, b.subject, now)!;
        const stream = b.stream as Stream;
        let s = subject.streams.get(stream);
        if (!s) subject.streams.set(stream, (s = newStream(cfg)));
        s.baseline.adopt(b.summary);
        evaluate(cfg, b.subject, stream, s, now);
      }
    },
    series() {
      const cfg = config();
      const now = clock.now();
      const out: DriftSeries[] = [];
      for (const [name, subject] of subjects) {
        for (const [stream, s] of subject.streams) {
          evaluate(cfg, name, stream, s, now);
          for (const [metric, series] of s.series) {
            out.push({
              subject: name,
              metric,
              baseline: roundValue(series.last.baseline),
              recent: roundValue(series.last.recent),
              statistic: roundValue(series.last.statistic) as number | null,
              state: series.state,
              since: new Date(series.since).toISOString(),
              samples: { baseline: s.baseline.count, recent: s.recent.count },
            });
          }
        }
      }
      return out.sort((a, b) => (a.subject === b.subject ? a.metric.localeCompare(b.metric) : a.subject.localeCompare(b.subject)));
    },
    async idle() {
      while (pending.size > 0) await Promise.all(pending);
    },
    stateSizes: () => ({ drift_subjects: subjects.size, drift_adhoc_models: adhoc.size }),
    close() {
      for (const off of offs) off();
    },
  };
}
