import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../src/config/load.js';
import { shippedConfig } from '../helpers/app.js';

function problemsOf(mutate: (c: Record<string, any>) => void): string[] {
  const raw = shippedConfig();
  mutate(raw);
  try {
    parseConfig(raw, {});
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems.map((p) => `${p.path}: ${p.message}`);
  }
  return [];
}

describe('weighted arms in the config', () => {
  it('accept arms wherever a tier, the planner, the strongest or the default task model is named; a plain string stays valid', () => {
    expect(
      problemsOf((c) => {
        c.routing.tiers.M.model = [{ model: 'medium_ai', weight: 80 }, { model: 'fast_ai', weight: 20 }];
        c.routing.planner = [{ model: 'planner', weight: 1 }, { model: 'thinking_ai', weight: 1 }];
        c.routing.strongest = [{ model: 'thinking_ai', weight: 1 }];
        c.routing.default_task_model = [{ model: 'medium_ai', weight: 9 }, { model: 'fast_ai', weight: 1 }];
        c.routing.tiers.L.shadow = { model: 'fast_ai', sample_rate: 0.5 };
      }),
    ).toEqual([]);
  });

  it('name every problem of a bad split by its path', () => {
    expect(
      problemsOf((c) => {
        c.routing.tiers.M.model = [{ model: 'nope', weight: 1 }, { model: 'nope', weight: 0 }];
        c.routing.planner = [{ model: 'planner', weight: 0 }];
        c.routing.tiers.L.model = [{ model: 'image_generation', weight: 1 }];
        c.routing.tiers.L.shadow = { model: 'ghost' };
      }),
    ).toEqual(
      expect.arrayContaining([
        "routing.planner: at least one arm needs a weight above 0",
        "routing.tiers.L.model.0.model: model 'image_generation' lacks the 'text' capability",
        "routing.tiers.L.shadow.model: unknown model 'ghost'",
        "routing.tiers.M.model.0.model: unknown model 'nope'",
        "routing.tiers.M.model.1.model: model 'nope' is named by two arms",
      ]),
    );
    expect(problemsOf((c) => (c.routing.tiers.M.model = [{ model: 'medium_ai', weight: -1 }]))).toEqual([
      'routing.tiers.M.model.0.weight: Too small: expected number to be >=0',
    ]);
  });

  it('reject a canary without a baseline, a ramp that does not climb, or no step rule', () => {
    const canary = { ramp: [10, 5], guard: { min_samples: 10 } };
    expect(
      problemsOf((c) => {
        c.routing.tiers.M.model = [{ model: 'medium_ai', weight: 0 }, { model: 'fast_ai', weight: 1, canary }];
      }),
    ).toEqual([
      'routing.tiers.M.model.1.canary.ramp: steps must increase',
      'routing.tiers.M.model.1.canary: set step_after_requests or step_after_minutes',
      'routing.tiers.M.model: a canary needs a baseline arm with a weight above 0',
    ]);
  });
});
