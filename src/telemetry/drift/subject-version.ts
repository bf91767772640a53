import { createHash } from 'node:crypto';
import type { Config } from '../../config/schema.js';
import { canonicalJson } from '../../control/canonical.js';

const versions = new WeakMap<Config, Map<string, string>>();
const hash = (value: unknown): string => createHash('sha256').update(canonicalJson(value ?? null)).digest('hex').slice(0, 16);

/** The config a subject's behaviour depends on; null for a subject the config does not know (an ad-hoc model). */
function configOf(config: Config, subject: string): unknown {
  const { routing } = config;
  if (subject === 'categorizer') return { categorizer: routing.categorizer, model: config.models[routing.categorizer] ?? null };
  if (subject.startsWith('tier:')) {
    const tier = subject.slice(5);
    const entry = tier === 'L' || tier === 'M' || tier === 'H' ? routing.tiers[tier] : undefined;
    if (!entry) return null;
    // A workflow tier's calls are the planner's, the tasks' and the finisher's.
    return entry.handler === 'workflow'
      ? { entry, planner: routing.planner, default_task_model: routing.default_task_model, finisher: routing.finisher, strongest: routing.strongest }
      : entry;
  }
  const key = subject.slice('model:'.length);
  if (!Object.hasOwn(config.models, key)) return null;
  const model = config.models[key]!;
  const provider = Object.hasOwn(config.providers, model.provider) ? config.providers[model.provider] : undefined;
  const { api_key: _secret, ...settings } = provider ?? { api_key: undefined };
  return { model, provider: settings };
}

/**
 * A subject's config version: a hash of what its behaviour depends on (a model's entry and its
 * provider's settings without the key; a tier's routing; the categorizer's model), so a config
 * change that touches it starts a new baseline and one that does not keeps it. `adhoc` for
 * subjects the config does not know. Cached per config object (a swap brings a new one).
 */
export function subjectVersion(config: Config, subject: string): string {
  let perConfig = versions.get(config);
  if (!perConfig) versions.set(config, (perConfig = new Map()));
  const known = perConfig.get(subject);
  if (known !== undefined) return known;
  const entry = configOf(config, subject);
  // Not cached: caller-named models must not grow the map.
  if (entry === null) return 'adhoc';
  const version = hash(entry);
  perConfig.set(subject, version);
  return version;
}
