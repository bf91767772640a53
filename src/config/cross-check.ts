import type { Capability, Config } from './schema.js';

/** One problem of a config or content file: where it is and what is wrong. */
export interface Problem {
  path: string;
  message: string;
}

/**
 * Checks what a schema cannot: that every model, provider and fallback named
 * anywhere exists, that fallback chains have no cycle, and that the routing
 * roles point at models able to play them.
 */
export function crossCheck(config: Config): Problem[] {
  const problems: Problem[] = [];
  const models = config.models;
  const hasModel = (key: string) => Object.hasOwn(models, key);

  for (const [key, model] of Object.entries(models)) {
    if (!Object.hasOwn(config.providers, model.provider)) {
      problems.push({ path: `models.${key}.provider`, message: `unknown provider '${model.provider}'` });
    }
    model.fallbacks.forEach((fallback, i) => {
      const path = `models.${key}.fallbacks.${i}`;
      if (!hasModel(fallback)) problems.push({ path, message: `unknown model '${fallback}'` });
      else if (fallback === key) problems.push({ path, message: `model '${key}' cannot fall back to itself` });
    });
  }
  problems.push(...fallbackCycles(config));

  const roles: [string, string, Capability | undefined][] = [
    ['categorizer', config.routing.categorizer, 'text'],
    ['planner', config.routing.planner, 'text'],
    ['finisher', config.routing.finisher, 'text'],
    ['failure_reporter', config.routing.failure_reporter, 'text'],
    ['strongest', config.routing.strongest, 'text'],
    ['default_task_model', config.routing.default_task_model, 'text'],
    ['vision', config.routing.vision, 'vision'],
    ['image_generation', config.routing.image_generation, 'image_generation'],
    ['video_generation', config.routing.video_generation, 'video_generation'],
  ];
  for (const [role, key, capability] of roles) {
    const path = `routing.${role}`;
    if (!hasModel(key)) problems.push({ path, message: `unknown model '${key}'` });
    else if (capability && !models[key]!.capabilities.includes(capability)) {
      problems.push({ path, message: `model '${key}' lacks the '${capability}' capability` });
    }
  }
  for (const tierName of ['L', 'M', 'H'] as const) {
    const tier = config.routing.tiers[tierName];
    if (tier.handler === 'direct' && !hasModel(tier.model)) {
      problems.push({ path: `routing.tiers.${tierName}.model`, message: `unknown model '${tier.model}'` });
    }
  }
  for (const [cls, rule] of Object.entries(config.error_handling)) {
    if (typeof rule === 'object' && rule.backoff_cap_ms < rule.backoff_base_ms) {
      problems.push({ path: `error_handling.${cls}.backoff_cap_ms`, message: 'must be at least backoff_base_ms' });
    }
  }
  return problems;
}

/** Reports each fallback chain that loops back on itself, once per cycle. */
function fallbackCycles(config: Config): Problem[] {
  const problems: Problem[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const reported = new Set<string>();

  const visit = (key: string, trail: string[]): void => {
    if (state.get(key) === 'done') return;
    if (state.get(key) === 'visiting') {
      const cycle = trail.slice(trail.indexOf(key));
      const id = [...cycle].sort().join(',');
      if (!reported.has(id)) {
        reported.add(id);
        problems.push({ path: `models.${key}.fallbacks`, message: `fallback cycle: ${[...cycle, key].join(' -> ')}` });
      }
      return;
    }
    state.set(key, 'visiting');
    for (const next of config.models[key]?.fallbacks ?? []) {
      if (next !== key && Object.hasOwn(config.models, next)) visit(next, [...trail, key]);
    }
    state.set(key, 'done');
  };
  for (const key of Object.keys(config.models)) visit(key, []);
  return problems;
}
