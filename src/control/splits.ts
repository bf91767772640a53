import { createHash } from 'node:crypto';
import type { Arm, ModelRef } from '../config/schema.js';

/**
 * Weighted splits: where the routing names weighted arms instead of one model,
 * each session (or, without one, each request) is assigned one arm.
 *
 * Assignment is weighted rendezvous hashing (highest random weight): every arm
 * scores `-weight / ln(u)`, with `u` in (0, 1) from the first 48 bits of
 * SHA-256(split id, key, arm model), and the highest score wins. The chance of
 * an arm is exactly its share of the weights; the same key always gets the same
 * arm; and changing one arm's weight only moves sessions to or from that arm —
 * never between two other arms — which a cumulative-interval split cannot promise.
 */

/** Where a split sits in the config (its id): `routing.tiers.M.model`, `routing.planner`, `routing.default_task_model`. */
export type SplitId = string;

/** The arm a call was routed to, carried on call contexts, answers and events. */
export interface SplitArm {
  /** The split's config path. */
  split: SplitId;
  /** The arm's model key. */
  arm: string;
}

/** The model to call and, when it came from a split, which split and arm. */
export interface ArmChoice {
  model: string;
  split?: SplitArm;
}

/** Current traffic share (0..1) of a canary arm, or undefined to use the arm's plain weight. */
export type CanaryShare = (split: SplitId, arm: Arm) => number | undefined;

/** Every model a reference may answer with. */
export const refModels = (ref: ModelRef): string[] => (typeof ref === 'string' ? [ref] : ref.map((a) => a.model));

/** The model a reference stands for when one name is needed (catalogue roles): the heaviest arm. */
export const primaryModel = (ref: ModelRef): string =>
  typeof ref === 'string' ? ref : ref.reduce((best, a) => (a.weight > best.weight ? a : best), ref[0]!).model;

/** A uniform number in (0, 1) from SHA-256 of the parts. */
function unitHash(split: string, key: string, model: string): number {
  const digest = createHash('sha256').update(split).update('\0').update(key).update('\0').update(model).digest();
  return (digest.readUIntBE(0, 6) + 1) / (2 ** 48 + 2);
}

/**
 * The arms' effective weights: a live canary (weight > 0) gets its ramp share
 * of the split and the other arms share the rest in proportion to their
 * weights; a canary at weight 0 was rolled back and gets nothing.
 */
export function effectiveWeights(split: SplitId, arms: readonly Arm[], canaryShare?: CanaryShare): number[] {
  const canaryIndex = arms.findIndex((a) => a.canary && a.weight > 0);
  if (canaryIndex < 0) return arms.map((a) => a.weight);
  const canary = arms[canaryIndex]!;
  const share = Math.min(1, Math.max(0, canaryShare?.(split, canary) ?? canary.canary!.ramp[0]! / 100));
  const others = arms.reduce((sum, a, i) => (i === canaryIndex ? sum : sum + a.weight), 0);
  if (others <= 0) return arms.map((_, i) => (i === canaryIndex ? 1 : 0));
  return arms.map((a, i) => (i === canaryIndex ? share : ((1 - share) * a.weight) / others));
}

/** The arm index `key` is assigned among `weights` (an arm of weight 0 is never chosen); -1 when all are 0. */
export function assignIndex(split: SplitId, models: readonly string[], weights: readonly number[], key: string): number {
  let best = -1;
  let bestScore = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < models.length; i++) {
    const w = weights[i]!;
    if (!(w > 0)) continue;
    const score = -w / Math.log(unitHash(split, key, models[i]!));
    if (score > bestScore) {
      bestScore = score;
      best = i;
    }
  }
  return best;
}

/**
 * Resolves a model reference for one session (or request) `key`: a plain key
 * is itself; arms are assigned per the rendezvous rule above. Never throws for
 * a validated config (the cross-check rejects arm sets whose weights are all 0);
 * if a canary rollback left no weight, the heaviest configured arm answers.
 */
export function chooseArm(split: SplitId, ref: ModelRef, key: string, canaryShare?: CanaryShare): ArmChoice {
  if (typeof ref === 'string') return { model: ref };
  const weights = effectiveWeights(split, ref, canaryShare);
  const index = assignIndex(
    split,
    ref.map((a) => a.model),
    weights,
    key,
  );
  const model = index >= 0 ? ref[index]!.model : primaryModel(ref);
  return { model, split: { split, arm: model } };
}
