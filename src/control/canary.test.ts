import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load.js';
import { EventBus } from '../event-bus.js';
import type { AppEvents } from '../events.js';
import { createMemoryCanaryStore } from '../store/canary-store.js';
import { shippedConfig } from '../../test/helpers/app.js';
import { createCanaries, guardBreach, type ArmFigures, type CanaryPatchOp } from './canary.js';

const figures = (over: Partial<ArmFigures>): ArmFigures => ({ model: 'x', calls: 100, errors: 0, error_rate: 0, p95_ms: 100, cost_per_call_usd: 0.001, ...over });

describe('canary guard rails', () => {
  const guard = { min_samples: 10, max_error_rate: 0.05, max_p95_ms_ratio: 1.5, max_cost_per_request_ratio: 2 };
  it('breach on error rate above the baseline’s by more than the allowance, naming the figures', () => {
    expect(guardBreach(guard, figures({ error_rate: 0.3, calls: 20 }), figures({ error_rate: 0.01 }))).toMatch(/error rate 30\.0% over 20 calls vs baseline 1\.0%/);
    expect(guardBreach(guard, figures({ error_rate: 0.05 }), figures({ error_rate: 0.01 }))).toBeNull();
  });
  it('breach on p95 ratio, absolute p95 and cost ratio; nothing to compare is no breach', () => {
    expect(guardBreach(guard, figures({ p95_ms: 200 }), figures({ p95_ms: 100 }))).toMatch(/2\.00× baseline/);
    expect(guardBreach({ min_samples: 1, max_p95_ms: 150 }, figures({ p95_ms: 200 }), figures({}))).toMatch(/above 150 ms/);
    expect(guardBreach(guard, figures({ cost_per_call_usd: 0.003 }), figures({}))).toMatch(/cost per call/);
    expect(guardBreach(guard, figures({ cost_per_call_usd: 0.003 }), figures({ cost_per_call_usd: null }))).toBeNull();
  });
});

describe('canary steps by time', () => {
  it('moves up the ramp after step_after_minutes on the clock, then promotes; a paused canary holds', async () => {
    const raw = shippedConfig();
    raw.routing.tiers.M.model = [
      { model: 'medium_ai', weight: 1 },
      { model: 'fast_ai', weight: 1, canary: { ramp: [10, 50, 100], step_after_minutes: 5, guard: { min_samples: 2 } } },
    ];
    let config = parseConfig(raw, {}).config;
    let now = Date.parse('2026-11-30T10:00:00Z');
    const bus = new EventBus<AppEvents>();
    const applied: CanaryPatchOp[][] = [];
    const canaries = createCanaries({
      bus,
      clock: { now: () => now },
      store: createMemoryCanaryStore(),
      config: () => config,
      actions: () => ({ apply: async (patch) => (applied.push(patch), 'f'.repeat(64)) }),
      log: { warn: () => undefined, info: () => undefined },
    });
    const call = async (model: string) => {
      bus.emit('attempt', { model, provider: 'openrouter', outcome: 'success', latency_ms: 10, cost_usd: 0, simulated: true, context: { split: { split: 'routing.tiers.M.model', arm: model } } });
      await canaries.idle();
    };
    const arms = config.routing.tiers.M;
    if (arms.handler !== 'direct' || typeof arms.model === 'string') throw new Error('test config');
    for (let i = 0; i < 3; i++) await Promise.all([call('medium_ai'), call('fast_ai')]);
    expect(canaries.share('routing.tiers.M.model', arms.model[1]!)).toBe(0.1);
    now += 5 * 60_000;
    await call('fast_ai');
    expect((await canaries.view('routing.tiers.M.model'))!.step).toBe(1);
    expect(canaries.share('routing.tiers.M.model', arms.model[1]!)).toBe(0.5);

    // Paused: the step holds however long it waits.
    const paused = structuredClone(raw);
    paused.routing.tiers.M.model[1].canary.paused = true;
    const running = config;
    config = parseConfig(paused, {}).config;
    now += 60 * 60_000;
    await call('fast_ai');
    expect(applied).toHaveLength(0);
    expect((await canaries.view('routing.tiers.M.model'))!).toMatchObject({ state: 'paused', step: 1 });

    config = running;
    await call('fast_ai');
    expect(applied).toHaveLength(1);
    expect(applied[0]).toEqual([
      { op: 'replace', path: '/routing/tiers/M/model/0/weight', value: 0 },
      { op: 'replace', path: '/routing/tiers/M/model/1/weight', value: 100 },
      { op: 'remove', path: '/routing/tiers/M/model/1/canary' },
    ]);
    expect((await canaries.list())[0]).toMatchObject({ state: 'promoted', decision: { config_version: 'f'.repeat(64) } });
  });
});
