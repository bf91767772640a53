import type { Clock } from '../clock.js';

/** A learned reset is kept at most this long: past it, one request probes the provider again. */
export const MAX_LEARNED_RESET_MS = 300_000;

/**
 * What a provider said about when it will take work again ("reset in 20 s": a retry hint
 * on a 429/503/529), per provider model id, so that no caller sends it more before then.
 * Kept per model because the providers' limits are (OpenAI, Anthropic and Google count
 * per model, and OpenRouter relays an upstream's per-model limit), so a chain that falls
 * back to another model of the same provider is not held up. Bounded in size and in time.
 */
export class LearnedResets {
  private readonly until = new Map<string, number>();

  /** `maxEntries`: models remembered (`bounds.model_resets`); beyond it the stamp ending soonest is dropped. */
  constructor(
    private readonly clock: Clock,
    private readonly maxEntries = 1024,
  ) {}

  /** Models with a reset remembered now. */
  get size(): number {
    return this.until.size;
  }

  /** Records "no requests for `waitMs`" (capped at MAX_LEARNED_RESET_MS); returns the ms kept. */
  learn(model: string, waitMs: number): number {
    const ms = Math.min(Math.max(0, Math.ceil(waitMs)), MAX_LEARNED_RESET_MS);
    if (ms <= 0) return 0;
    const now = this.clock.now();
    const at = now + ms;
    if ((this.until.get(model) ?? 0) >= at) return ms;
    this.until.set(model, at);
    if (this.until.size > this.maxEntries) this.prune(now);
    return ms;
  }

  /** Ms until the model may be sent work again (0 when it may now). */
  remaining(model: string | undefined): number {
    if (model === undefined) return 0;
    const at = this.until.get(model);
    if (at === undefined) return 0;
    const left = at - this.clock.now();
    if (left > 0) return left;
    this.until.delete(model);
    return 0;
  }

  private prune(now: number): void {
    for (const [model, at] of this.until) if (at <= now) this.until.delete(model);
    while (this.until.size > this.maxEntries) {
      let soonest: string | undefined;
      let soonestAt = Number.POSITIVE_INFINITY;
      for (const [model, at] of this.until) {
        if (at < soonestAt) {
          soonest = model;
          soonestAt = at;
        }
      }
      this.until.delete(soonest!);
    }
  }
}
