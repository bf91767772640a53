import { automationProblems } from './automation-check.js';
import type { Arm, Capability, Config, ModelRef } from './schema.js';

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

  const roles: [string, ModelRef, Capability | undefined][] = [
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
  const checkModel = (path: string, key: string, capability: Capability | undefined) => {
    if (!hasModel(key)) problems.push({ path, message: `unknown model '${key}'` });
    else if (capability && !models[key]!.capabilities.includes(capability)) {
      problems.push({ path, message: `model '${key}' lacks the '${capability}' capability` });
    }
  };
  const checkRef = (path: string, ref: ModelRef, capability: Capability | undefined) => {
    if (typeof ref === 'string') return checkModel(path, ref, capability);
    ref.forEach((arm, i) => checkModel(`${path}.${i}.model`, arm.model, capability));
    problems.push(...armProblems(path, ref));
  };
  for (const [role, ref, capability] of roles) checkRef(`routing.${role}`, ref, capability);
  for (const tierName of ['L', 'M', 'H'] as const) {
    const tier = config.routing.tiers[tierName];
    if (tier.handler !== 'direct') continue;
    checkRef(`routing.tiers.${tierName}.model`, tier.model, 'text');
    if (tier.shadow) checkModel(`routing.tiers.${tierName}.shadow.model`, tier.shadow.model, 'text');
  }
  for (const [cls, rule] of Object.entries(config.error_handling)) {
    if (typeof rule === 'object' && rule.backoff_cap_ms < rule.backoff_base_ms) {
      problems.push({ path: `error_handling.${cls}.backoff_cap_ms`, message: 'must be at least backoff_base_ms' });
    }
  }
  problems.push(...automationProblems(config));
  for (const [tier, policy] of Object.entries(config.auth.jwt?.budget_tiers ?? {})) {
    (policy.models ?? []).forEach((m, i) => {
      if (!['L', 'M', 'H'].includes(m) && !hasModel(m)) problems.push({ path: `auth.jwt.budget_tiers.${tier}.models.${i}`, message: `'${m}' is neither a configured model nor a tier (L, M, H)` });
    });
  }
  return problems;
}

/** Rules of a weighted split: distinct models, some weight, at most one canary with a usable ramp and a baseline. */
function armProblems(path: string, arms: Arm[]): Problem[] {
  const problems: Problem[] = [];
  const seen = new Set<string>();
  arms.forEach((arm, i) => {
    if (seen.has(arm.model)) problems.push({ path: `${path}.${i}.model`, message: `model '${arm.model}' is named by two arms` });
    seen.add(arm.model);
  });
  if (arms.every((a) => a.weight === 0)) problems.push({ path, message: 'at least one arm needs a weight above 0' });
  const canaries = arms.flatMap((a, i) => (a.canary ? [i] : []));
  if (canaries.length > 1) problems.push({ path: `${path}.${canaries[1]}.canary`, message: 'a split may have one canary arm' });
  for (const i of canaries) {
    const canary = arms[i]!.canary!;
    const at = `${path}.${i}.canary`;
    if (canary.ramp.some((p, j) => j > 0 && p <= canary.ramp[j - 1]!)) problems.push({ path: `${at}.ramp`, message: 'steps must increase' });
    if (canary.step_after_requests === undefined && canary.step_after_minutes === undefined) {
      problems.push({ path: at, message: 'set step_after_requests or step_after_minutes' });
    }
    if (!arms.some((a, j) => j !== i && a.weight > 0)) problems.push({ path, message: 'a canary needs a baseline arm with a weight above 0' });
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
