import type { LoadedConfig } from '../config/load.js';
import type { ProviderConfig } from '../config/schema.js';
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
    adapters[name] = createAdapter(name, provider, loaded.providerModes[name] === 'live', opts);
  }
  return adapters;
}

/** The adapter of one provider: its wire format when live, else the simulator under its name. */
export function createAdapter(name: string, provider: ProviderConfig, live: boolean, opts: AdapterOptions = {}): ProviderAdapter {
  const common = {
    name,
    baseUrl: provider.base_url,
    apiKey: provider.api_key || undefined,
    headers: provider.headers,
    connections: provider.rate_limits.max_concurrent,
  };
  if (live && provider.type === 'openai_compatible') return createOpenAiCompatibleAdapter(common);
  if (live && provider.type === 'google') return createGoogleAdapter({ ...common, veoPollMs: opts.veoPollMs, veoPollCapMs: opts.veoPollCapMs });
  return createSimulatorAdapter(name);
}

/**
 * The adapters of a new config version: the same instance (and its connection pool)
 * for every provider whose resolved settings and mode did not change, a new one for
 * the others. `overrides` (tests' adapters by provider name) always win.
 */
export function nextAdapters(
  previous: { loaded: LoadedConfig; adapters: Record<string, ProviderAdapter> },
  loaded: LoadedConfig,
  overrides: Record<string, ProviderAdapter> = {},
): Record<string, ProviderAdapter> {
  const adapters: Record<string, ProviderAdapter> = {};
  for (const [name, provider] of Object.entries(loaded.config.providers)) {
    const before = previous.loaded.config.providers[name];
    const same =
      before !== undefined &&
      JSON.stringify(before) === JSON.stringify(provider) &&
      previous.loaded.providerModes[name] === loaded.providerModes[name] &&
      previous.adapters[name] !== undefined;
    adapters[name] = overrides[name] ?? (same ? previous.adapters[name]! : createAdapter(name, provider, loaded.providerModes[name] === 'live'));
  }
  return adapters;
}

/** Closes every adapter's pooled connections (shutdown). */
export async function closeAdapters(adapters: Record<string, ProviderAdapter>): Promise<void> {
  await Promise.all(Object.values(adapters).map((a) => a.close?.()));
}
