import type { LoadedConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import type { AppEventBus } from '../events.js';
import type { Gateway } from '../gateway/types.js';
import { nextAdapters } from '../providers/registry.js';
import type { ProviderAdapter } from '../providers/types.js';

/** One config version in service: its hash, the config, and the gateway that serves it. */
export interface ActiveConfig {
  /** The version's hash (`config_version` in answers and run records). */
  hash: string;
  loaded: LoadedConfig;
  config: Config;
  gateway: Gateway;
  adapters: Record<string, ProviderAdapter>;
}

/**
 * The config version new work starts with. `activate` swaps in another one in a single
 * assignment: work that already took `current()` keeps its version (config and gateway)
 * to its end, new work gets the new one, and the gateway keeps the limiters, breakers
 * and connection pools of every provider and model the change left alone.
 */
export interface ConfigRuntime {
  current(): ActiveConfig;
  /** Swaps in an already validated version; a no-op when it is the active one. */
  activate(hash: string, loaded: LoadedConfig): ActiveConfig;
}

export function createConfigRuntime(opts: {
  hash: string;
  loaded: LoadedConfig;
  gateway: Gateway;
  adapters: Record<string, ProviderAdapter>;
  /** Adapters by provider name that every version uses (tests' fakes). */
  overrides?: Record<string, ProviderAdapter>;
  bus: AppEventBus;
}): ConfigRuntime {
  let active: ActiveConfig = { hash: opts.hash, loaded: opts.loaded, config: opts.loaded.config, gateway: opts.gateway, adapters: opts.adapters };
  return {
    current: () => active,
    activate: (hash, loaded) => {
      if (hash === active.hash) return active;
      const previous = active;
      const adapters = nextAdapters(previous, loaded, opts.overrides);
      const gateway = previous.gateway.reconfigure?.({ config: loaded.config, providerModes: loaded.providerModes, adapters }) ?? previous.gateway;
      active = { hash, loaded, config: loaded.config, gateway, adapters };
      opts.bus.emit('config_activated', { hash, previous: previous.hash });
      return active;
    },
  };
}
