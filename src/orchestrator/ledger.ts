import type { GatewayResult } from '../gateway/types.js';
import { emptyUsage, type Usage } from '../providers/types.js';

/** Adds usage of `b` into a fresh object. */
export function addUsage(a: Usage, b: Usage): Usage {
  return {
    prompt_tokens: a.prompt_tokens + b.prompt_tokens,
    completion_tokens: a.completion_tokens + b.completion_tokens,
    total_tokens: a.total_tokens + b.total_tokens,
  };
}

/**
 * The bill of one request or run: every gateway call it made (categorizer,
 * planner, tasks, finisher, reporter) adds its usage and cost here, so the
 * response reports the sum of what was billed and whether any answer was simulated.
 */
export class Ledger {
  usage: Usage = emptyUsage();
  cost_usd = 0;
  simulated = false;

  add(result: Pick<GatewayResult, 'usage' | 'cost_usd' | 'simulated'>): void {
    this.usage = addUsage(this.usage, result.usage);
    this.cost_usd += result.cost_usd;
    this.simulated ||= result.simulated;
  }

  /** Folds another ledger (e.g. a run's) into this one. */
  merge(other: { usage: Usage; cost_usd: number; simulated: boolean }): void {
    this.usage = addUsage(this.usage, other.usage);
    this.cost_usd += other.cost_usd;
    this.simulated ||= other.simulated;
  }
}

/** Rounds a dollar amount for output, so sums of floats do not show 1e-17 noise. */
export const roundUsd = (usd: number): number => Math.round(usd * 1e8) / 1e8;
