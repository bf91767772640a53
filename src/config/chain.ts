import type { Config } from './schema.js';

/**
 * A model followed by its fallbacks, expanded depth-first and de-duplicated:
 * A → [B], B → [C] gives A, B, C. Config validation guarantees no cycles.
 */
export function fallbackChain(config: Config, key: string): string[] {
  const chain: string[] = [];
  const visit = (k: string) => {
    if (chain.includes(k) || !Object.hasOwn(config.models, k)) return;
    chain.push(k);
    for (const next of config.models[k]!.fallbacks) visit(next);
  };
  visit(key);
  return chain;
}
