import { fallbackChain } from '../config/chain.js';
import type { Capability, Config } from '../config/schema.js';
import { validationError } from '../errors.js';
import { refModels } from '../control/splits.js';
import type { PromptSize } from './tokens.js';

/** Room kept free in a window for the answer, capped so small-output models are not penalised. */
const ANSWER_RESERVE_TOKENS = 1024;

export const answerReserve = (config: Config, model: string): number =>
  Math.min(config.models[model]?.max_output_tokens ?? ANSWER_RESERVE_TOKENS, ANSWER_RESERVE_TOKENS);

/** Whether `inputTokens` plus room for an answer fit the model's context window. */
export function fitsWindow(config: Config, model: string, inputTokens: number): boolean {
  const m = config.models[model];
  return m !== undefined && inputTokens + answerReserve(config, model) <= m.context_window;
}

export interface WindowChoice {
  model: string;
  /** True when a larger-window model replaced the preferred one. */
  escalated: boolean;
}

/**
 * The model that answers an input of `inputTokens`: the preferred one when it
 * fits, else the configured model with the next larger window that has the
 * needed capabilities (100k → 200k → 900k with the shipped config). Among
 * models of equal window it prefers the preferred model's own fallbacks, then
 * the strongest model, then the tier models, then any other. When nothing fits,
 * a 400 that states the input size and the largest window.
 */
export function chooseByWindow(
  config: Config,
  preferred: string,
  inputTokens: number,
  needs: Capability[] = ['text'],
  escalate = true,
): WindowChoice {
  if (fitsWindow(config, preferred, inputTokens)) return { model: preferred, escalated: false };
  const capable = Object.entries(config.models).filter(([, m]) => needs.every((c) => m.capabilities.includes(c)));
  const tierModels = (['L', 'M', 'H'] as const).flatMap((t) => {
    const tier = config.routing.tiers[t];
    return tier.handler === 'direct' ? refModels(tier.model) : [];
  });
  const preference = [...fallbackChain(config, preferred), ...refModels(config.routing.strongest), ...tierModels];
  const rank = (key: string) => {
    const i = preference.indexOf(key);
    return i === -1 ? preference.length : i;
  };
  if (escalate) {
    const candidates = capable
      .filter(([key]) => fitsWindow(config, key, inputTokens))
      .sort(([a, ma], [b, mb]) => ma.context_window - mb.context_window || rank(a) - rank(b));
    if (candidates.length > 0) return { model: candidates[0]![0], escalated: true };
  }
  const largest = capable.reduce((best, [key, m]) => (m.context_window > best.window ? { key, window: m.context_window } : best), {
    key: preferred,
    window: config.models[preferred]?.context_window ?? 0,
  });
  const where = escalate
    ? `the largest context window of a suitable model is ${largest.window} tokens ('${largest.key}')`
    : `model '${preferred}' has a context window of ${config.models[preferred]?.context_window ?? 0} tokens`;
  throw validationError(`the input is too large: about ${inputTokens} tokens, and ${where}`, [
    { path: 'message', message: `about ${inputTokens} tokens; ${where}` },
  ]);
}

/**
 * `chooseByWindow` for a prompt whose exact size may not be needed: when its upper
 * bound fits the preferred model, the exact count fits too and the answer is the
 * same, so the prompt is counted (tokenizer loaded) only when the window is close.
 */
export async function chooseForPrompt(config: Config, preferred: string, size: PromptSize, needs: Capability[] = ['text'], escalate = true): Promise<WindowChoice> {
  if (fitsWindow(config, preferred, size.bound)) return { model: preferred, escalated: false };
  return chooseByWindow(config, preferred, await size.exact(), needs, escalate);
}
