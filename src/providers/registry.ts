import type { LoadedConfig } from '../config/load.js';
import { createGoogleAdapter } from './google/adapter.js';
import { createOpenAiCompatibleAdapter } from './openai-compatible/adapter.js';
import { createSimulatorAdapter } from './simulator/adapter.js';
import type { ProviderAdapter } from './types.js';

/** Options for building adapters; tests shorten Veo's poll interval. */
export interface AdapterOptions {
  veoPollMs?: number;
  veoPollCapMs?: number;
}

/**
 * One adapter per configured provider: live (by wire `type`) when the config loader
 * decided the provider is live, else a simulator answering under the provider's name.
 */
export function createAdapters(loaded: LoadedConfig, opts: AdapterOptions = {}): Record<string, ProviderAdapter> {
  const adapters: Record<string, ProviderAdapter> = {};
  for (const [name, provider] of Object.entries(loaded.config.providers)) {
    const live = loaded.providerModes[name] === 'live';
    const common = {
      name,
      baseUrl: provider.base_url,
      apiKey: provider.api_key || undefined,
      headers: provider.headers,
      connections: provider.rate_limits.max_concurrent,
    };
    if (live && provider.type === 'openai_compatible') adapters[name] = createOpenAiCompatibleAdapter(common);
    else if (live && provider.type === 'google') adapters[name] = createGoogleAdapter({ ...common, veoPollMs: opts.veoPollMs, veoPollCapMs: opts.veoPollCapMs });
    else adapters[name] = createSimulatorAdapter(name);
  }
  return adapters;
}

/** Closes every adapter's pooled connections (shutdown). */
export async function closeAdapters(adapters: Record<string, ProviderAdapter>): Promise<void> {
  await Promise.all(Object.values(adapters).map((a) => a.close?.()));
}
