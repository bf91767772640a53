/**
 * Canary experiments' shared state: per experiment its step on the ramp, its
 * status and decision, and per arm the call samples the guard rails compare.
 * Memory here (single process); `canary-redis.ts` shares it across replicas.
 * Step changes and decisions are compare-and-set, so two replicas seeing the
 * same samples act once.
 */

/** Samples of one arm since the experiment started. */
export interface ArmSamples {
  calls: number;
  errors: number;
  successes: number;
  /** Summed cost of successful calls, nano-USD. */
  cost_nano: number;
  /** The most recent latencies (ms), newest last, at most LATENCY_SAMPLES. */
  latencies: number[];
}

export type CanaryStatus = 'running' | 'rolled_back' | 'promoted';

/** A decision that ended an experiment, with the figures that decided it. */
export interface CanaryDecision {
  status: Exclude<CanaryStatus, 'running'>;
  at: string;
  reason: string;
  figures: Record<string, number | string | null>;
  /** The config version the decision created, once created. */
  config_version: string | null;
}

export interface CanaryState {
  status: CanaryStatus;
  step: number;
  step_started_ms: number;
  /** Canary calls at the current step. */
  step_calls: number;
  started_ms: number;
  decision: CanaryDecision | null;
  arms: Map<string, ArmSamples>;
}

/** One call's sample. */
export interface CanarySample {
  error: boolean;
  latency_ms: number;
  cost_nano: number;
}

/** Latencies kept per arm for the p95. */
export const LATENCY_SAMPLES = 1000;

export interface CanaryStore {
  /** Adds a sample of `arm`; `isCanary` also counts it toward the current step. Starts the experiment if new. */
  record(id: string, arm: string, sample: CanarySample, isCanary: boolean, now: number): Promise<void>;
  /** The experiment's state; a fresh one when it has none yet. */
  read(id: string, now: number): Promise<CanaryState>;
  /** Moves from step `from` to `from + 1` if still at `from` and running; true when this call did it. */
  advance(id: string, from: number, now: number): Promise<boolean>;
  /** Ends a running experiment with `decision`; true only for the one caller that ended it. */
  decide(id: string, decision: CanaryDecision): Promise<boolean>;
  /** Notes the config version a decision created. */
  noteVersion(id: string, hash: string): Promise<void>;
  /** Forgets the experiment (its canary was changed or re-armed). */
  reset(id: string): Promise<void>;
}

export const emptyArm = (): ArmSamples => ({ calls: 0, errors: 0, successes: 0, cost_nano: 0, latencies: [] });
const fresh = (now: number): CanaryState => ({
  status: 'running',
  step: 0,
  step_started_ms: now,
  step_calls: 0,
  started_ms: now,
  decision: null,
  arms: new Map(),
});

/** Most experiments kept in memory; the oldest is forgotten past this. */
const MAX_EXPERIMENTS = 100;

export function createMemoryCanaryStore(): CanaryStore {
  const states = new Map<string, CanaryState>();
  const get = (id: string, now: number) => {
    let s = states.get(id);
    if (!s) {
      states.set(id, (s = fresh(now)));
      if (states.size > MAX_EXPERIMENTS) states.delete(states.keys().next().value!);
    }
    return s;
  };
  const copy = (s: CanaryState): CanaryState => ({
    ...s,
    decision: s.decision ? structuredClone(s.decision) : null,
    arms: new Map([...s.arms].map(([k, a]) => [k, { ...a, latencies: [...a.latencies] }])),
  });
  return {
    async record(id, arm, sample, isCanary, now) {
      const s = get(id, now);
      let a = s.arms.get(arm);
      if (!a) s.arms.set(arm, (a = emptyArm()));
      a.calls++;
      if (sample.error) a.errors++;
      else {
        a.successes++;
        a.cost_nano += sample.cost_nano;
      }
      a.latencies.push(sample.latency_ms);
      if (a.latencies.length > LATENCY_SAMPLES) a.latencies.shift();
      if (isCanary) s.step_calls++;
    },
    read: async (id, now) => copy(get(id, now)),
    async advance(id, from, now) {
      const s = get(id, now);
      if (s.status !== 'running' || s.step !== from) return false;
      s.step = from + 1;
      s.step_started_ms = now;
      s.step_calls = 0;
      return true;
    },
    async decide(id, decision) {
      const s = states.get(id);
      if (!s || s.status !== 'running') return false;
      s.status = decision.status;
      s.decision = structuredClone(decision);
      return true;
    },
    async noteVersion(id, hash) {
      const s = states.get(id);
      if (s?.decision) s.decision.config_version = hash;
    },
    async reset(id) {
      states.delete(id);
    },
  };
}
