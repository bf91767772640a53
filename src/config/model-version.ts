import { createHash } from 'node:crypto';
import { canonicalJson } from '../control/canonical.js';
import type { Config } from './schema.js';

/**
 * Versions of parts of a config: a short hash (16 hex) of the part's canonical JSON, so a config
 * change that touches the part gives it a new version and one that does not keeps it. The response
 * cache keys answers by their model's version; drift detection starts a new baseline when a
 * subject's version changes. Remembered per config object (a swap brings a new one).
 */

/** SHA-256 (first 16 hex) of `value`'s RFC 8785 canonical JSON. */
export const partVersion = (value: unknown): string => createHash('sha256').update(canonicalJson(value)).digest('hex').slice(0, 16);

/** A memo of versions by name for each config object; only configured names are put in it (callers' names must not grow it). */
export function versionMemo(): (config: Config) => Map<string, string> {
  const memo = new WeakMap<Config, Map<string, string>>();
  return (config) => {
    let perConfig = memo.get(config);
    if (!perConfig) memo.set(config, (perConfig = new Map()));
    return perConfig;
  };
}

const modelVersions = versionMemo();

/**
 * The model's config version: a hash of its model entry and its provider's settings (without the
 * key), so a new `config_version` that changes this model (or its provider) gives a new version,
 * while one that changes another model keeps it. `<provider>/<id>` models hash their provider's entry.
 */
export function modelVersion(config: Config, model: string): string {
  const perConfig = modelVersions(config);
  const known = perConfig.get(model);
  if (known !== undefined) return known;
  const entry = Object.hasOwn(config.models, model) ? config.models[model] : undefined;
  const providerName = entry?.provider ?? model.slice(0, Math.max(0, model.indexOf('/')));
  const provider = Object.hasOwn(config.providers, providerName) ? config.providers[providerName] : undefined;
  const { api_key: _secret, ...providerSettings } = provider ?? { api_key: undefined };
  const version = partVersion({ model: entry ?? model, provider: providerSettings });
  // Ad-hoc names come from callers: only configured models are remembered (issue 17, bounded state).
  if (entry) perConfig.set(model, version);
  return version;
}
