import { fallbackChain } from '../config/chain.js';
import type { Capability, Config, ModelConfig } from '../config/schema.js';
import { AppError, type ErrorDetail } from '../errors.js';
import type { ChatMessage, OutputKind } from '../providers/types.js';

/**
 * A model the gateway can call: a configured model key, or an ad-hoc
 * `<provider>/<provider model id>` on a configured provider.
 */
export interface ResolvedModel extends Omit<ModelConfig, 'description'> {
  /** How the caller named it: the config key or `<provider>/<id>`; results and events use this name. */
  key: string;
  adHoc: boolean;
}

/** What an ad-hoc model is assumed to do when no configured model matches its id. */
const AD_HOC_CAPABILITIES: Capability[] = ['text', 'vision', 'json_output'];

/** What is known of a model address under one config version: its resolution and, once asked for, its chain. */
interface Known {
  model: ResolvedModel | undefined;
  /** The chain of a call to this address that names no fallbacks of its own (frozen, shared). */
  chain?: readonly ResolvedModel[];
}

/**
 * Addresses per config version, resolved once: the hot path resolves the same few names, and walks
 * the same chains, on every call. One memo for both (resolveModel, resolveChain). Bounded
 * (`bounds.ad_hoc_models`): ad-hoc addresses come from callers; past the bound they are resolved each time.
 */
const known = new WeakMap<Config, Map<string, Known>>();

function knownOf(config: Config, address: string): Known {
  let perConfig = known.get(config);
  if (!perConfig) known.set(config, (perConfig = new Map()));
  let entry = perConfig.get(address);
  if (entry) return entry;
  const model = resolveUncached(config, address);
  entry = { model: model && Object.freeze(model) };
  if (perConfig.size < config.bounds.ad_hoc_models) perConfig.set(address, entry);
  return entry;
}

/**
 * Resolves one model address, or returns undefined when it names nothing known.
 * An ad-hoc id that matches a configured model of the same provider borrows that
 * model's capabilities, window and prices (but never its fallbacks).
 */
export function resolveModel(config: Config, address: string): ResolvedModel | undefined {
  return knownOf(config, address).model;
}

function resolveUncached(config: Config, address: string): ResolvedModel | undefined {
  if (Object.hasOwn(config.models, address)) {
    const { description: _description, ...model } = config.models[address]!;
    return { ...model, key: address, adHoc: false };
  }
  const slash = address.indexOf('/');
  if (slash <= 0 || slash === address.length - 1) return undefined;
  const provider = address.slice(0, slash);
  const id = address.slice(slash + 1);
  if (!Object.hasOwn(config.providers, provider)) return undefined;
  const known = Object.values(config.models).find((m) => m.provider === provider && m.model === id);
  if (known) {
    const { description: _description, ...model } = known;
    return { ...model, fallbacks: [], key: address, adHoc: true };
  }
  return {
    key: address,
    adHoc: true,
    provider,
    model: id,
    capabilities: AD_HOC_CAPABILITIES,
    // Unknown: a context-length failure elsewhere never escalates to a model whose window is unknown.
    context_window: 0,
    max_output_tokens: 4096,
    pricing: { input_per_million: 0, output_per_million: 0 },
    fallbacks: [],
    timeouts: {},
  };
}

/**
 * The models a call tries, in order: the requested model then its configured
 * fallbacks expanded depth-first and de-duplicated, or the request's own
 * `fallbacks` used as given. Unknown names are the caller's mistake (400).
 * A model's configured chain is worked out once per config version (frozen, shared; kept beside its resolution).
 */
export function resolveChain(config: Config, model: string, fallbacks?: string[]): readonly ResolvedModel[] {
  if (fallbacks) return resolveUncachedChain(config, model, fallbacks);
  const entry = knownOf(config, model);
  return (entry.chain ??= Object.freeze(resolveUncachedChain(config, model, undefined)));
}

function resolveUncachedChain(config: Config, model: string, fallbacks: string[] | undefined): ResolvedModel[] {
  const problems: ErrorDetail[] = [];
  const first = resolveModel(config, model);
  if (!first) problems.push({ path: 'model', message: `unknown model '${model}'` });
  const rest: ResolvedModel[] = [];
  if (fallbacks) {
    fallbacks.forEach((name, i) => {
      const resolved = resolveModel(config, name);
      if (!resolved) problems.push({ path: `fallbacks.${i}`, message: `unknown model '${name}'` });
      else rest.push(resolved);
    });
  }
  if (problems.length > 0) throw new AppError('validation_error', problems.map((p) => p.message).join('; '), problems);
  const names = fallbacks ?? (first!.adHoc ? [] : fallbackChain(config, model).slice(1));
  const chain = [first!, ...(fallbacks ? rest : names.map((n) => resolveModel(config, n)!))];
  const seen = new Set<string>();
  return chain.filter((m) => (seen.has(m.key) ? false : (seen.add(m.key), true)));
}

const NEEDS: Record<'image' | 'video' | 'text' | 'vision', readonly Capability[]> = {
  image: Object.freeze<Capability[]>(['image_generation']),
  video: Object.freeze<Capability[]>(['video_generation']),
  text: Object.freeze<Capability[]>(['text']),
  vision: Object.freeze<Capability[]>(['text', 'vision']),
};

/** The capabilities a model needs to answer a request of this kind with these messages. */
export function requiredCapabilities(kind: OutputKind, messages: ChatMessage[]): readonly Capability[] {
  if (kind === 'image') return NEEDS.image;
  if (kind === 'video') return NEEDS.video;
  const hasImages = messages.some((m) => Array.isArray(m.content) && m.content.some((p) => p.type === 'image_url'));
  return hasImages ? NEEDS.vision : NEEDS.text;
}

/** The first capability of `needed` the model lacks, if any. */
export function missingCapability(model: ResolvedModel, needed: readonly Capability[]): Capability | undefined {
  return needed.find((c) => !model.capabilities.includes(c));
}
