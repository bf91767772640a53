import { describe, expect, it } from 'vitest';
import { holdMsFor, WindowGate, type GateTicket, type WindowLimits } from './window-gate.js';

/**
 * The window log as a plain list of starts: what WindowGate's typed-array log (slots that grow,
 * compact and shrink, positions that survive compaction) must answer the same as.
 */
class ReferenceLog {
  starts: Array<{ at: number; weight: number }> = [];
  constructor(
    private readonly limits: WindowLimits,
    private readonly now: () => number,
  ) {}

  private live(): Array<{ at: number; weight: number }> {
    const hold = holdMsFor(this.limits.windowMs);
    this.starts = this.starts.filter((s) => s.at + hold > this.now());
    return this.starts;
  }

  headroom(): number {
    return Math.max(0, this.limits.requestsPerWindow - this.live().length);
  }

  /** When a start of `weight` behind `ahead` others may begin (requests and tokens per window; no day limit or burst). */
  estimateWait(weight: number, ahead: number): number {
    const hold = holdMsFor(this.limits.windowMs);
    const live = this.live();
    const now = this.now();
    let until = now;
    const need = ahead + 1;
    const free = this.limits.requestsPerWindow - live.length;
    if (need > free) {
      const k = need - free;
      until = Math.max(until, k <= live.length ? live[k - 1]!.at + hold : now + hold);
    }
    const cap = this.limits.tokensPerWindow;
    if (cap !== undefined) {
      const w = Math.min(weight, cap);
      let used = live.reduce((sum, s) => sum + s.weight, 0);
      if (used + w > cap) {
        for (const s of live) {
          used -= s.weight;
          if (used + w <= cap) {
            until = Math.max(until, s.at + hold);
            break;
          }
        }
      }
    }
    return Math.max(0, until - now);
  }
}

/** A small deterministic generator (tests repeat exactly). */
function random(seed: number): () => number {
  return () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
}

describe('WindowGate log (typed arrays that grow, compact and shrink)', () => {
  for (const seed of [1, 2, 3]) {
    it(`answers as a plain list of starts through growth, compaction and shrinking (seed ${seed})`, () => {
      const r = random(seed);
      let t = 1_000_000;
      // Seed 2 binds on tokens (~4,900 starts of 30 on average fill 150,000): the weights' slots are read too.
      const limits: WindowLimits = { requestsPerWindow: 6000, tokensPerWindow: seed === 2 ? 150_000 : undefined, windowMs: 1000, dayMs: 100_000 };
      const gate = new WindowGate(limits, { now: () => t });
      const reference = new ReferenceLog(limits, () => t);
      const tickets: Array<{ ticket: GateTicket; start: { at: number; weight: number } }> = [];
      let peak = 0;
      let compactedAfterPeak = false;
      // A peak (many starts per ms: the log grows past 4,096 slots), then a trickle (it compacts and shrinks), twice.
      for (let step = 0; step < 40_000; step++) {
        const peakPhase = step % 20_000 < 8_000;
        const x = r();
        if (x < (peakPhase ? 0.7 : 0.2)) {
          const weight = 1 + Math.floor(r() * 60);
          const ticket = gate.takeNow(weight);
          const admitted = reference.estimateWait(weight, 0) === 0;
          expect(ticket !== undefined, `step ${step}: admitted`).toBe(admitted);
          if (ticket) {
            const start = { at: t, weight: Math.min(weight, limits.tokensPerWindow ?? weight) };
            reference.starts.push(start);
            tickets.push({ ticket, start });
          }
        } else if (x < 0.8 && tickets.length > 0) {
          const { ticket, start } = tickets[Math.floor(r() * tickets.length)]!;
          ticket.restamp?.();
          const i = reference.starts.indexOf(start);
          if (i >= 0 && start.at + holdMsFor(limits.windowMs) > t) {
            reference.starts.splice(i, 1);
            start.at = t;
            reference.starts.push(start);
          }
        } else if (x < 0.85 && tickets.length > 0) {
          const { ticket, start } = tickets.splice(Math.floor(r() * tickets.length), 1)[0]!;
          ticket.refund();
          const i = reference.starts.indexOf(start);
          if (i >= 0) reference.starts.splice(i, 1);
        } else {
          t += peakPhase ? (r() < 0.2 ? 1 : 0) : Math.floor(r() * 20);
        }
        if (tickets.length > 10_000) tickets.splice(0, 5_000);
        const headroom = gate.headroom();
        expect(headroom, `step ${step}: headroom`).toBe(reference.headroom());
        const live = limits.requestsPerWindow - headroom;
        peak = Math.max(peak, live);
        if (peak > 4096 && live < 256) compactedAfterPeak = true;
        if (step % 5 === 0) {
          const weight = 1 + Math.floor(r() * 200);
          const ahead = Math.floor(r() * 8000);
          expect(gate.estimateWait(weight, ahead), `step ${step}: wait`).toBe(reference.estimateWait(weight, ahead));
        }
      }
      // The walk reached the paths it is here for: more starts than four growths hold, then few again.
      expect(peak).toBeGreaterThan(4096);
      expect(compactedAfterPeak).toBe(true);
      gate.close(new Error('done'));
    });
  }
});
