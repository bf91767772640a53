import type { Config } from '../../config/schema.js';
import { modelVersion, partVersion, versionMemo } from '../../config/model-version.js';

const versions = versionMemo();

/** The routing a tier or the categorizer depends on; null for a tier the config does not know. */
function routingOf(config: Config, subject: string): unknown {
  const { routing } = config;
  if (subject === 'categorizer') return { categorizer: routing.categorizer, model: config.models[routing.categorizer] ?? null };
  const tier = subject.slice('tier:'.length);
  const entry = tier === 'L' || tier === 'M' || tier === 'H' ? routing.tiers[tier] : undefined;
  if (!entry) return null;
  // A workflow tier's calls are the planner's, the tasks' and the finisher's.
  return entry.handler === 'workflow'
    ? { entry, planner: routing.planner, default_task_model: routing.default_task_model, finisher: routing.finisher, strongest: routing.strongest }
    : entry;
}

/**
 * A subject's config version: a hash of what its behaviour depends on — a model's version as the
 * response cache keys it (its entry and its provider's settings without the key, model-version.ts);
 * a tier's routing; the categorizer's model — so a config change that touches it starts a new
 * baseline and one that does not keeps it. `adhoc` for subjects the config does not know.
 */
export function subjectVersion(config: Config, subject: string): string {
  if (subject.startsWith('model:')) {
    const key = subject.slice('model:'.length);
    // Caller-named models are not versioned (nor remembered).
    return Object.hasOwn(config.models, key) ? modelVersion(config, key) : 'adhoc';
  }
  const perConfig = versions(config);
  const known = perConfig.get(subject);
  if (known !== undefined) return known;
  const routing = routingOf(config, subject);
  if (routing === null) return 'adhoc';
  const version = partVersion(routing);
  perConfig.set(subject, version);
  return version;
}
