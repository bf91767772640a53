import type { ClientOptions } from './args.js';
import type { Api } from './http.js';
import type { Output } from './output.js';

/** What every mode returns: it never throws at its caller. */
export interface ModeResult {
  ok: boolean;
  /** One line: what was proven, or what went wrong. */
  details: string;
}

/** What a mode runs with. */
export interface ModeContext {
  api: Api;
  out: Output;
  options: ClientOptions;
}

export type ModeRunner = (ctx: ModeContext) => Promise<ModeResult>;

export const pass = (details: string): ModeResult => ({ ok: true, details });
export const fail = (details: string): ModeResult => ({ ok: false, details });

/** Collects every failed expectation of a mode, so one run reports all of them. */
export class Checks {
  private readonly problems: string[] = [];

  /** Records `problem` when `condition` is false; returns the condition for narrowing in `if`s. */
  that(condition: unknown, problem: string): boolean {
    if (!condition) this.problems.push(problem);
    return Boolean(condition);
  }

  get failed(): boolean {
    return this.problems.length > 0;
  }

  /** `pass(success)` when nothing failed, else a failure listing every problem. */
  result(success: string): ModeResult {
    return this.failed ? fail(this.problems.join('; ')) : pass(success);
  }
}

/** A plain object, for checking response bodies whose shape the client does not trust. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
