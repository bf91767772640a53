import { describe, expect, it } from 'vitest';
import { testConfig } from '../../../test/telemetry/config.js';
import type { Config } from '../../config/schema.js';
import { EventBus } from '../../event-bus.js';
import type { AppEvents } from '../../events.js';
import { createMemoryDriftStore } from '../../store/drift-memory.js';
import { createDriftDetector } from './detector.js';
import { createRequestTiers } from '../request-tiers.js';
import { psi } from './statistics.js';

const withDrift = (drift: object, edit?: (raw: Record<string, any>) => void) =>
  testConfig((raw) => {
    raw.drift = drift;
    edit?.(raw);
  });

function setup(config: Config) {
  const bus = new EventBus<AppEvents>();
  let active = config;
  let now = 1_000_000;
  const changes: AppEvents['drift_state_changed'][] = [];
  bus.on('drift_state_changed', (e) => changes.push(e));
  const warned: string[] = [];
  const store = createMemoryDriftStore();
  const detector = createDriftDetector({
    bus,
    clock: { now: () => now },
    config: () => active,
    store,
    log: { warn: (_o, msg) => warned.push(msg) },
    replica: 'r1',
    tiers: createRequestTiers(bus),
  });
  const attempt = (model: string, latency_ms: number, extra: Partial<AppEvents['attempt']> = {}) => {
    now += 1;
    bus.emit('attempt', { model, provider: 'p', outcome: 'success', latency_ms, usage: { prompt_tokens: 5, completion_tokens: 10, total_tokens: 15 }, cost_usd: 0.001, simulated: false, context: {}, ...extra });
  };
  return {
    bus,
    detector,
    changes,
    warned,
    store,
    attempt,
    setConfig: (c: Config) => (active = c),
    advance: (ms: number) => (now += ms),
    find: (subject: string, metric: string) => detector.series().find((s) => s.subject === subject && s.metric === metric),
  };
}

describe('drift detector', () => {
  it('the population stability index is 0 for equal mixes and grows as they part', () => {
    expect(psi({ L: 0.5, M: 0.5 }, { L: 0.5, M: 0.5 }, ['L', 'M', 'H'])).toBe(0);
    const small = psi({ L: 0.5, M: 0.5 }, { L: 0.45, M: 0.55 }, ['L', 'M', 'H']);
    const large = psi({ L: 0.5, M: 0.5 }, { L: 0.1, M: 0.9 }, ['L', 'M', 'H']);
    expect(small).toBeGreaterThan(0);
    expect(small).toBeLessThan(0.1);
    expect(large).toBeGreaterThan(0.25);
  });

  it('keeps at most max_adhoc_models ad-hoc models (least recently used dropped), and every configured one', () => {
    const d = setup(withDrift({ baseline_samples: 5, recent_samples: 5, min_samples: 1, max_adhoc_models: 3 }));
    for (let i = 0; i < 50; i++) d.attempt(`openrouter/adhoc-${i}`, 10);
    d.attempt('openrouter/adhoc-47', 10);
    d.attempt('fast_ai', 10);
    const subjects = new Set(d.detector.series().map((s) => s.subject));
    expect([...subjects].sort()).toEqual(['model:fast_ai', 'model:openrouter/adhoc-47', 'model:openrouter/adhoc-48', 'model:openrouter/adhoc-49']);
    expect(d.detector.stateSizes()).toEqual({ drift_subjects: 4, drift_adhoc_models: 3 });
  });

  it('judges error rate per kind against the baseline, logs each change at warn and emits it once', () => {
    const d = setup(withDrift({ baseline_samples: 10, recent_samples: 10, min_samples: 5 }));
    for (let i = 0; i < 10; i++) d.attempt('fast_ai', 10);
    for (let i = 0; i < 4; i++) d.attempt('fast_ai', 10, { outcome: 'failure', kind: 'rate_limit', usage: undefined });
    expect(d.find('model:fast_ai', 'error_rate.rate_limit')).toMatchObject({ baseline: 0, recent: 0.4, state: 'alert' });
    expect(d.find('model:fast_ai', 'error_rate')).toMatchObject({ state: 'alert' });
    // One failure in ten is +0.1 (warn), two are +0.2 (alert); more keep it there without new events.
    const changes = d.changes.filter((c) => c.metric === 'error_rate.rate_limit');
    expect(changes.map((c) => [c.from, c.to])).toEqual([
      ['ok', 'warn'],
      ['warn', 'alert'],
    ]);
    expect(changes[1]).toMatchObject({ subject: 'model:fast_ai', reason: 'threshold', replica: 'r1', baseline: 0, recent: 0.2 });
    expect(d.warned).toContain('drift: model:fast_ai error_rate.rate_limit warn -> alert');
  });

  it('skips simulated calls, cancelled hedges and breaker refusals', () => {
    const d = setup(withDrift({ baseline_samples: 2, recent_samples: 2, min_samples: 1 }));
    d.attempt('fast_ai', 10, { simulated: true });
    d.attempt('fast_ai', 10, { outcome: 'cancelled' });
    d.attempt('fast_ai', 0, { outcome: 'failure', kind: 'server_error', code: 'circuit_open' });
    expect(d.detector.series()).toEqual([]);
  });

  it('samples older than recent_max_age_s leave the recent window; with too few left the state is kept', () => {
    const d = setup(withDrift({ baseline_samples: 5, recent_samples: 5, min_samples: 3, recent_max_age_s: 60 }));
    for (let i = 0; i < 5; i++) d.attempt('fast_ai', 10);
    for (let i = 0; i < 5; i++) d.attempt('fast_ai', 50);
    expect(d.find('model:fast_ai', 'latency_p50_ms')).toMatchObject({ state: 'alert', samples: { recent: 5 } });
    d.advance(61_000);
    expect(d.find('model:fast_ai', 'latency_p50_ms')).toMatchObject({ state: 'alert', recent: null, statistic: null, samples: { recent: 0 } });
  });

  it("a config change of the model starts a new baseline and returns its series to ok (reason baseline_reset); another model's change does not", async () => {
    const base = withDrift({ baseline_samples: 5, recent_samples: 5, min_samples: 3 });
    const d = setup(base);
    for (let i = 0; i < 5; i++) d.attempt('fast_ai', 10);
    for (let i = 0; i < 5; i++) d.attempt('medium_ai', 10);
    for (let i = 0; i < 5; i++) d.attempt('fast_ai', 50);
    expect(d.find('model:fast_ai', 'latency_p50_ms')?.state).toBe('alert');

    d.setConfig(withDrift({ baseline_samples: 5, recent_samples: 5, min_samples: 3 }, (raw) => (raw.models.fast_ai.max_output_tokens = 123)));
    d.attempt('fast_ai', 50);
    d.attempt('medium_ai', 10);
    expect(d.find('model:fast_ai', 'latency_p50_ms')).toMatchObject({ state: 'ok', baseline: null, samples: { baseline: 1, recent: 1 } });
    expect(d.find('model:medium_ai', 'latency_p50_ms')).toMatchObject({ baseline: 10, samples: { baseline: 5 } });
    expect(d.changes.at(-1)).toMatchObject({ subject: 'model:fast_ai', from: 'alert', to: 'ok', reason: 'baseline_reset' });

    await d.detector.idle();
    const stored = await d.store.list();
    expect(stored.find((b) => b.subject === 'model:medium_ai' && b.stream === 'latency')?.summary).toMatchObject({ p50: 10, count: 5 });
  });

  it("judges a model's category mix (PSI), the categorizer's heuristic-fallback rate and the fallback rate, per model and per tier", () => {
    const d = setup(withDrift({ baseline_samples: 10, recent_samples: 10, min_samples: 5 }));
    let id = 0;
    const request = (category: 'L' | 'M' | 'H', source: 'model' | 'heuristic', fallback = false) => {
      const request_id = `r${id++}`;
      d.bus.emit('request_categorized', { request_id, endpoint: '/chat', category, source });
      if (fallback) d.bus.emit('fallback', { from: 'fast_ai', to: 'medium_ai', reason: 'server_error', context: { request_id } });
      d.attempt(fallback ? 'medium_ai' : 'fast_ai', 10, { context: { request_id } });
    };
    for (let i = 0; i < 10; i++) request('M', 'model');
    for (let i = 0; i < 10; i++) request('L', 'heuristic', true);
    expect(d.find('model:fast_ai', 'category_mix')).toMatchObject({ baseline: { L: 0, M: 1, H: 0 }, state: 'ok' });
    expect(d.find('model:medium_ai', 'category_mix')).toMatchObject({ baseline: { L: 1, M: 0, H: 0 }, state: 'ok' });
    expect(d.find('categorizer', 'heuristic_fallback_rate')).toMatchObject({ baseline: 0, recent: 1, statistic: 1, state: 'alert' });
    expect(d.find('tier:L', 'heuristic_fallback_rate')).toMatchObject({ baseline: 1, samples: { baseline: 10 } });
    expect(d.find('model:fast_ai', 'fallback_rate')).toMatchObject({ baseline: 0, state: 'alert' });

    for (let i = 0; i < 10; i++) request('H', 'model');
    const mix = d.find('model:fast_ai', 'category_mix')!;
    expect(mix).toMatchObject({ baseline: { L: 0, M: 1, H: 0 }, recent: { L: 0, M: 0, H: 1 }, state: 'alert' });
    expect(mix.statistic).toBeGreaterThan(0.25);
    expect(d.find('categorizer', 'heuristic_fallback_rate')).toMatchObject({ recent: 0, state: 'ok' });
  });
});
