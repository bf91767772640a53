import { createHash } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { Arm, Canary, Config, ModelRef } from '../config/schema.js';
import type { AppEventBus } from '../events.js';
import { LatencyWindow } from '../telemetry/latency-window.js';
import type { ArmSamples, CanaryDecision, CanaryState, CanaryStore } from '../store/canary-store.js';
import { fromNano, toNano } from './budgets.js';
import type { CanaryShare } from './splits.js';

/**
 * Canaries with automatic rollback. A split arm with a `canary` block gets the
 * ramp's share of its split (step 0 first); every call routed by the split
 * (the attempt events carry the split and arm) is a sample of its arm. Once the
 * canary and the baseline (the heaviest other arm) each have `min_samples`
 * calls, every canary sample re-checks the guard rails: a breach sets the
 * canary's weight to 0 in a new config version (author "system", the message
 * says why); otherwise, after `step_after_requests` canary calls or
 * `step_after_minutes` at a step, the canary moves up the ramp, and reaching
 * 100 % promotes it (a new version: the canary takes all the weight and
 * loses its canary block). Steps and decisions are compare-and-set in the
 * store, and the config change names its base version, so with several
 * replicas each happens once.
 */

/** One RFC 6902 operation the canary applies to the config document. */
export type CanaryPatchOp = { op: 'replace'; path: string; value: unknown } | { op: 'remove'; path: string };

/** How a decision becomes a config version (control-config's change API, as the system). */
export interface CanaryActions {
  /** Applies `patch` to the active config document with `message`; resolves with the new version's hash. */
  apply(patch: CanaryPatchOp[], message: string): Promise<string>;
}

/** The figures of one arm that the guard rails compare. */
export interface ArmFigures {
  model: string;
  calls: number;
  errors: number;
  error_rate: number | null;
  p95_ms: number | null;
  cost_per_call_usd: number | null;
}

/** What /admin/experiments shows of a canary. */
export interface CanaryView {
  id: string;
  kind: 'canary';
  split: string;
  state: 'running' | 'paused' | 'rolled_back' | 'promoted';
  canary_model: string;
  baseline_model: string | null;
  ramp: number[];
  step: number;
  /** The canary's current share of the split, percent. */
  share_pct: number;
  step_calls: number;
  step_started_at: string;
  started_at: string;
  guard: Canary['guard'];
  samples: { canary: ArmFigures; baseline: ArmFigures | null };
  decision: CanaryDecision | null;
}

export interface Canaries {
  /** The live share of a canary arm, for the split router (from the last state this process saw). */
  share: CanaryShare;
  /** Every canary the active config names, plus the ones this process saw decided. */
  list(): Promise<CanaryView[]>;
  view(id: string): Promise<CanaryView | null>;
  /** Resolves when every queued sample has been recorded and evaluated (tests, shutdown). */
  idle(): Promise<void>;
}

export interface CanaryOptions {
  bus: AppEventBus;
  clock: Clock;
  store: CanaryStore;
  /** The active config. */
  config: () => Config;
  /** Where decisions become config versions; without it, decisions are recorded and announced only. */
  actions?: () => CanaryActions | undefined;
  log: { warn(obj: object, msg: string): void; info(obj: object, msg: string): void };
}

/** The arms at a split id (`routing.tiers.M.model`), or undefined when the path names no split. */
export function armsAt(config: Config, id: string): Arm[] | undefined {
  let node: unknown = config;
  for (const part of id.split('.')) {
    if (!node || typeof node !== 'object' || !Object.hasOwn(node, part)) return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return Array.isArray(node) ? (node as Arm[]) : undefined;
}

/** Every split of the routing (tiers, planner, strongest, default task model) by id. */
export function splitsOf(config: Config): [string, ModelRef][] {
  const r = config.routing;
  const refs: [string, ModelRef][] = [
    ['routing.planner', r.planner],
    ['routing.strongest', r.strongest],
    ['routing.default_task_model', r.default_task_model],
  ];
  for (const t of ['L', 'M', 'H'] as const) {
    const tier = r.tiers[t];
    if (tier.handler === 'direct') refs.push([`routing.tiers.${t}.model`, tier.model]);
  }
  return refs;
}

const fingerprints = new WeakMap<Arm, string>();
/**
 * The experiment's key in the store: the split plus a digest of the canary arm
 * without its weight and pause — a rollback (weight 0) or a pause keeps the
 * experiment, a changed ramp, step rule, guard or model starts a new one.
 */
function experimentKey(split: string, arm: Arm): string {
  let f = fingerprints.get(arm);
  if (!f) {
    const { paused: _paused, ...rules } = arm.canary ?? {};
    f = createHash('sha256').update(JSON.stringify({ model: arm.model, canary: rules })).digest('hex').slice(0, 12);
    fingerprints.set(arm, f);
  }
  return `${split}#${f}`;
}

function figuresOf(model: string, a: ArmSamples | undefined): ArmFigures {
  const s = a ?? { calls: 0, errors: 0, successes: 0, cost_nano: 0, latencies: [] };
  const window = new LatencyWindow(Math.max(1, s.latencies.length));
  for (const l of s.latencies) window.add(l);
  return {
    model,
    calls: s.calls,
    errors: s.errors,
    error_rate: s.calls ? s.errors / s.calls : null,
    p95_ms: window.percentiles([95] as const)[95],
    cost_per_call_usd: s.successes ? fromNano(s.cost_nano / s.successes) : null,
  };
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

/** The first guard rail the canary breaches, in words; null when none is. */
export function guardBreach(guard: Canary['guard'], canary: ArmFigures, baseline: ArmFigures): string | null {
  if (guard.max_error_rate !== undefined && canary.error_rate !== null && baseline.error_rate !== null) {
    if (canary.error_rate - baseline.error_rate > guard.max_error_rate) {
      return `error rate ${pct(canary.error_rate)} over ${canary.calls} calls vs baseline ${pct(baseline.error_rate)} (allowed: +${pct(guard.max_error_rate)})`;
    }
  }
  if (guard.max_p95_ms !== undefined && canary.p95_ms !== null && canary.p95_ms > guard.max_p95_ms) {
    return `p95 latency ${canary.p95_ms} ms above ${guard.max_p95_ms} ms`;
  }
  if (guard.max_p95_ms_ratio !== undefined && canary.p95_ms !== null && baseline.p95_ms) {
    const ratio = canary.p95_ms / baseline.p95_ms;
    if (ratio > guard.max_p95_ms_ratio) return `p95 latency ${canary.p95_ms} ms is ${ratio.toFixed(2)}× baseline ${baseline.p95_ms} ms (allowed: ${guard.max_p95_ms_ratio}×)`;
  }
  if (guard.max_cost_per_request_ratio !== undefined && canary.cost_per_call_usd !== null && baseline.cost_per_call_usd) {
    const ratio = canary.cost_per_call_usd / baseline.cost_per_call_usd;
    if (ratio > guard.max_cost_per_request_ratio) {
      return `cost per call $${canary.cost_per_call_usd} is ${ratio.toFixed(2)}× baseline $${baseline.cost_per_call_usd} (allowed: ${guard.max_cost_per_request_ratio}×)`;
    }
  }
  return null;
}

const pointer = (id: string) => `/${id.split('.').join('/')}`;

/** Experiments seen decided by this process, so the list still shows them after the canary block is gone. */
const MAX_REMEMBERED = 50;

export function createCanaries(opts: CanaryOptions): Canaries {
  const { store, clock, bus, log } = opts;
  /** Last state seen per experiment key: the router's share comes from here, without a store round trip. */
  const seen = new Map<string, { step: number; status: CanaryState['status'] }>();
  const decided = new Map<string, { split: string; arm: Arm; baseline: string | null }>();
  let queue: Promise<unknown> = Promise.resolve();
  let pending = 0;
  /** Samples are recorded and evaluated one after another, so a decision sees every sample before it. */
  const serial = (fn: () => Promise<void>) => {
    pending++;
    queue = queue
      .then(fn)
      .catch((err: unknown) => log.warn({ err }, 'canary evaluation failed'))
      .finally(() => pending--);
  };

  const canaryOf = (config: Config, split: string) => {
    const arms = armsAt(config, split);
    const index = arms?.findIndex((a) => a.canary) ?? -1;
    if (!arms || index < 0) return undefined;
    const arm = arms[index]!;
    const baseline = arms.reduce<Arm | undefined>((best, a, i) => (i !== index && a.weight > 0 && (!best || a.weight > best.weight) ? a : best), undefined);
    return { arms, index, arm, canary: arm.canary!, baseline, key: experimentKey(split, arm) };
  };

  const share: CanaryShare = (split, arm) => {
    if (!arm.canary) return undefined;
    const state = seen.get(experimentKey(split, arm));
    if (state?.status === 'rolled_back') return 0;
    if (state?.status === 'promoted') return 1;
    const step = Math.min(state?.step ?? 0, arm.canary.ramp.length - 1);
    return arm.canary.ramp[step]! / 100;
  };

  const decide = async (split: string, c: NonNullable<ReturnType<typeof canaryOf>>, decision: CanaryDecision, patch: CanaryPatchOp[]) => {
    if (!(await store.decide(c.key, decision))) return;
    seen.set(c.key, { step: seen.get(c.key)?.step ?? 0, status: decision.status });
    decided.set(c.key, { split, arm: c.arm, baseline: c.baseline?.model ?? null });
    if (decided.size > MAX_REMEMBERED) decided.delete(decided.keys().next().value!);
    const message = `canary '${c.arm.model}' on ${split} ${decision.status === 'rolled_back' ? 'rolled back' : 'promoted'}: ${decision.reason}`;
    log.info({ experiment: split, decision: decision.status, figures: decision.figures }, message);
    let version: string | null = null;
    const actions = opts.actions?.();
    if (actions) {
      version = await actions.apply(patch, message);
      await store.noteVersion(c.key, version);
    }
    bus.emit('canary_decision', { id: split, canary: c.arm.model, decision: decision.status, reason: decision.reason, config_version: version });
  };

  const evaluate = async (split: string) => {
    const config = opts.config();
    const c = canaryOf(config, split);
    if (!c || c.arm.weight === 0 || !c.baseline) return;
    const now = clock.now();
    const state = await store.read(c.key, now);
    seen.set(c.key, { step: state.step, status: state.status });
    if (state.status !== 'running' || c.canary.paused) return;
    const canaryFigures = figuresOf(c.arm.model, state.arms.get(c.arm.model));
    const baselineFigures = figuresOf(c.baseline.model, state.arms.get(c.baseline.model));
    const enough = canaryFigures.calls >= c.canary.guard.min_samples && baselineFigures.calls >= c.canary.guard.min_samples;
    if (!enough) return;
    const figures = {
      canary_calls: canaryFigures.calls,
      canary_error_rate: canaryFigures.error_rate,
      canary_p95_ms: canaryFigures.p95_ms,
      canary_cost_per_call_usd: canaryFigures.cost_per_call_usd,
      baseline_calls: baselineFigures.calls,
      baseline_error_rate: baselineFigures.error_rate,
      baseline_p95_ms: baselineFigures.p95_ms,
      baseline_cost_per_call_usd: baselineFigures.cost_per_call_usd,
      step: state.step,
    };
    const breach = guardBreach(c.canary.guard, canaryFigures, baselineFigures);
    if (breach) {
      const decision: CanaryDecision = { status: 'rolled_back', at: new Date(now).toISOString(), reason: breach, figures, config_version: null };
      await decide(split, c, decision, [{ op: 'replace', path: `${pointer(split)}/${c.index}/weight`, value: 0 }]);
      return;
    }
    const due =
      (c.canary.step_after_requests !== undefined && state.step_calls >= c.canary.step_after_requests) ||
      (c.canary.step_after_minutes !== undefined && now - state.step_started_ms >= c.canary.step_after_minutes * 60_000);
    if (!due || !(await store.advance(c.key, state.step, now))) return;
    const next = state.step + 1;
    seen.set(c.key, { step: next, status: 'running' });
    bus.emit('canary_decision', { id: split, canary: c.arm.model, decision: 'step', reason: `step ${next}: ${c.canary.ramp[next] ?? 100}%`, config_version: null });
    if (next >= c.canary.ramp.length - 1 && (c.canary.ramp[next] ?? 100) >= 100) {
      const decision: CanaryDecision = {
        status: 'promoted',
        at: new Date(now).toISOString(),
        reason: `no guard rail breached over ${c.canary.ramp.slice(0, next).join('%, ')}% (${canaryFigures.calls} canary calls)`,
        figures,
        config_version: null,
      };
      const patch: CanaryPatchOp[] = c.arms.map((a, i) => ({ op: 'replace', path: `${pointer(split)}/${i}/weight`, value: i === c.index ? 100 : 0 }));
      patch.push({ op: 'remove', path: `${pointer(split)}/${c.index}/canary` });
      await decide(split, c, decision, patch);
    }
  };

  bus.on('attempt', (e) => {
    const split = e.context.split;
    // Only the arm's own model is its sample (not a fallback), and a refused call (open breaker) is no sample.
    if (!split || e.model !== split.arm || e.code === 'circuit_open') return;
    const c = canaryOf(opts.config(), split.split);
    if (!c || (e.model !== c.arm.model && e.model !== c.baseline?.model)) return;
    const sample = { error: e.outcome === 'failure', latency_ms: e.latency_ms, cost_nano: toNano(e.cost_usd ?? 0) };
    const now = clock.now();
    serial(async () => {
      await store.record(c.key, e.model, sample, e.model === c.arm.model, now);
      await evaluate(split.split);
    });
  });

  const viewOf = async (split: string, key: string, arm: Arm, baseline: string | null, config: Config): Promise<CanaryView> => {
    const state = await store.read(key, clock.now());
    const canary = arm.canary ?? canaryOf(config, split)?.canary;
    const ramp = canary?.ramp ?? [100];
    const paused = state.status === 'running' && canary?.paused === true;
    return {
      id: split,
      kind: 'canary',
      split,
      state: paused ? 'paused' : state.status,
      canary_model: arm.model,
      baseline_model: baseline,
      ramp,
      step: state.step,
      share_pct: state.status === 'promoted' ? 100 : state.status === 'rolled_back' ? 0 : ramp[Math.min(state.step, ramp.length - 1)]!,
      step_calls: state.step_calls,
      step_started_at: new Date(state.step_started_ms).toISOString(),
      started_at: new Date(state.started_ms).toISOString(),
      guard: canary?.guard ?? { min_samples: 0 },
      samples: {
        canary: figuresOf(arm.model, state.arms.get(arm.model)),
        baseline: baseline ? figuresOf(baseline, state.arms.get(baseline)) : null,
      },
      decision: state.decision,
    };
  };

  const all = async (): Promise<CanaryView[]> => {
    const config = opts.config();
    const views = new Map<string, CanaryView>();
    for (const [split] of splitsOf(config)) {
      const c = canaryOf(config, split);
      if (c) views.set(c.key, await viewOf(split, c.key, c.arm, c.baseline?.model ?? null, config));
    }
    for (const [key, d] of decided) if (!views.has(key)) views.set(key, await viewOf(d.split, key, d.arm, d.baseline, config));
    return [...views.values()];
  };

  return {
    share,
    list: all,
    view: async (id) => {
      const views = await all();
      // The live experiment of a split first, else the latest decided one.
      return views.find((v) => v.id === id && (v.state === 'running' || v.state === 'paused')) ?? views.reverse().find((v) => v.id === id) ?? null;
    },
    idle: async () => {
      while (pending > 0) await queue;
    },
  };
}
