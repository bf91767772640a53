import type { Clock } from '../clock.js';

/** The pace one provider allows, over sliding windows. */
export interface WindowLimits {
  requestsPerWindow: number;
  /** Estimated tokens allowed per window. */
  tokensPerWindow?: number;
  requestsPerDay?: number;
  /** Starts allowed at once before the per-window pace applies (a token bucket of this size). */
  burst?: number;
  /** Length of the "minute" window (60 000 in production; shorter in tests). */
  windowMs: number;
  /** Length of the "day" window. */
  dayMs: number;
}

/** A granted start; `refund` gives it back when the call never reached the provider. */
export interface GateTicket {
  refund(): void;
  /** The provider has seen the request by now: its place in the window counts from now. */
  restamp?(): void;
}

/**
 * How long a start holds its place: the window plus a margin for the network delay
 * between our start and the provider's count (5 %, at most 1 s). Shared by both gates.
 */
export const holdMsFor = (windowMs: number): number => windowMs + Math.min(1000, Math.ceil(windowMs * 0.05));

/** A request heavier than the whole window's token budget would wait forever; it passes alone. */
export const clampWeight = (weight: number, tokensPerWindow: number | undefined): number =>
  tokensPerWindow === undefined ? weight : Math.min(weight, tokensPerWindow);

/** What a start is for, and how long its caller may still wait. */
export interface TakeOptions {
  /** The provider model id: a reset the provider announced for it is honoured (shared gate). */
  model?: string;
  /** Ms the caller may still wait; a gate that learns a longer wait rejects with WaitBeyondLimit at once. */
  maxWaitMs?: number;
}

/** A gate found that the start cannot happen within the caller's remaining wait. */
export class WaitBeyondLimit extends Error {
  constructor(
    readonly waitMs: number,
    /** True when the wait is a reset the provider announced for the model, not the shared window. */
    readonly modelReset = false,
  ) {
    super(`the start would wait ${Math.round(waitMs)} ms`);
    this.name = 'WaitBeyondLimit';
  }
}

/** What the limiter needs of a window: the in-process log below, or the Redis-shared one. */
export interface Gate {
  readonly waiting: number;
  headroom(): number;
  take(weight: number, signal?: AbortSignal, opts?: TakeOptions): Promise<GateTicket>;
  /**
   * A start granted now, synchronously, when nobody waits and the window admits it at once;
   * undefined otherwise (then `take`). Only gates that can answer without I/O have it.
   */
  takeNow?(weight: number): GateTicket | undefined;
  estimateWait(weight: number, ahead: number): number;
  /** Shares a reset the provider announced for `model` (shared gate); the limiter keeps its own copy. */
  learnReset?(model: string, waitMs: number): Promise<void>;
  close(reason: unknown): void;
}

interface Waiter {
  weight: number;
  resolve: (ticket: GateTicket) => void;
  reject: (reason: unknown) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

/** What a log slot's start time reads once its start moved on (restamped to the end) or was refunded. */
const VACATED = Number.NEGATIVE_INFINITY;

/** Slots the log holds before it first grows (it doubles when full, and halves once a quarter full after compaction). */
const FIRST_CAPACITY = 1024;

/** A new array of `capacity` slots starting with `slots` (capacity ≥ slots.length). */
function resized(slots: Float64Array, capacity: number): Float64Array<ArrayBuffer> {
  const next = new Float64Array(capacity);
  next.set(slots);
  return next;
}

/**
 * A sliding-window log of request starts: no window of `windowMs` ever holds
 * more than the allowed starts or estimated tokens, which a reservoir refreshed
 * at fixed intervals cannot promise (it lets 2N through around a refresh).
 * A start holds its place for the window plus a small margin, because the
 * provider counts arrivals, which trail our starts by a variable network delay.
 * Waiters are served first come, first served.
 */
export class WindowGate implements Gate {
  /**
   * The starts in the window, oldest first: their times (`at`) and weights in two typed arrays, slots
   * `0..length - 1` in use. A start is a slot, not an object: a log that holds a whole minute of starts
   * (300,000 at 5,000 calls/s) is two arrays, not that many objects for the collector to copy and mark.
   * A start's *position* is its index plus `base` (positions survive compaction and are never reused).
   * A restamped start moves to the end and a refunded one leaves: both leave VACATED in their old slot
   * (O(1); skipped and dropped as the window slides).
   */
  private at = new Float64Array(FIRST_CAPACITY);
  private weights = new Float64Array(FIRST_CAPACITY);
  /** Slots in use. */
  private length = 0;
  private readonly dayStarts: number[] = [];
  private readonly waiters: Waiter[] = [];
  private bucket: { level: number; at: number };
  private timer: NodeJS.Timeout | undefined;
  private readonly holdMs: number;
  /** Sum of the weights in the log, kept as starts come and go (no scan per call). */
  private tokensInWindow = 0;
  /** Index of the oldest live start: expired ones are skipped, and compacted away in bulk. */
  private head = 0;
  /** Position of slot 0: how many slots compaction has dropped so far. */
  private base = 0;
  /** Starts in the window (slots from `head` on that are not VACATED). */
  private live = 0;
  /** VACATED slots from `head` on: when none, the n-th live entry is found by index. */
  private vacated = 0;

  constructor(
    private readonly limits: WindowLimits,
    private readonly clock: Clock,
  ) {
    this.holdMs = holdMsFor(limits.windowMs);
    this.bucket = { level: limits.burst ?? 0, at: clock.now() };
  }

  /** Waiters not yet admitted. */
  get waiting(): number {
    return this.waiters.length;
  }

  /** Starts still available in the current window. */
  headroom(): number {
    this.prune(this.clock.now());
    return Math.max(0, this.limits.requestsPerWindow - this.live);
  }

  takeNow(weight: number): GateTicket | undefined {
    if (this.waiters.length > 0) return undefined;
    const now = this.clock.now();
    this.prune(now);
    const clamped = clampWeight(weight, this.limits.tokensPerWindow);
    return this.admissibleAt(clamped, now) > now ? undefined : this.record(clamped, now);
  }

  /** Resolves when a start is allowed; rejects with the signal's reason if it aborts first. */
  take(weight: number, signal?: AbortSignal): Promise<GateTicket> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { weight: clampWeight(weight, this.limits.tokensPerWindow), resolve, reject, signal };
      if (signal) {
        waiter.onAbort = () => {
          const i = this.waiters.indexOf(waiter);
          if (i >= 0) this.waiters.splice(i, 1);
          reject(signal.reason);
          this.pump();
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.waiters.push(waiter);
      this.pump();
    });
  }

  /**
   * A lower bound on how long a new start of `weight` would wait behind `ahead`
   * others: the time until enough of the logged starts leave the window.
   */
  estimateWait(weight: number, ahead: number): number {
    const now = this.clock.now();
    this.prune(now);
    const need = ahead + 1;
    let until = now;
    const requests = this.limits.requestsPerWindow;
    const free = requests - this.live;
    if (need > free) {
      const k = need - free;
      until = Math.max(until, k <= this.live ? this.nthLive(k) + this.holdMs : now + this.holdMs);
    }
    if (this.limits.requestsPerDay !== undefined) {
      const freeToday = this.limits.requestsPerDay - this.dayStarts.length;
      if (need > freeToday) {
        const k = need - freeToday;
        until = Math.max(until, k <= this.dayStarts.length ? this.dayStarts[k - 1]! + this.limits.dayMs : now + this.limits.dayMs);
      }
    }
    until = Math.max(until, this.tokensFreeAt(clampWeight(weight, this.limits.tokensPerWindow), now));
    if (this.limits.burst !== undefined) {
      const level = this.bucketLevel(now);
      if (level < need) until = Math.max(until, now + ((need - level) * this.limits.windowMs) / requests);
    }
    return Math.max(0, until - now);
  }

  /** Stops the timer and rejects everyone still waiting. */
  close(reason: unknown): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const w of this.waiters.splice(0)) {
      if (w.onAbort) w.signal?.removeEventListener('abort', w.onAbort);
      w.reject(reason);
    }
  }


  private prune(now: number): void {
    const { at } = this;
    while (this.head < this.length) {
      const started = at[this.head]!;
      if (started === VACATED) this.vacated--;
      else if (started + this.holdMs <= now) {
        this.tokensInWindow -= this.weights[this.head]!;
        this.live--;
      } else break;
      this.head++;
    }
    if (this.head > 1024 && this.head * 2 > this.length) {
      this.length -= this.head;
      this.base += this.head;
      if (at.length > FIRST_CAPACITY && this.length * 4 < at.length) {
        // After a peak: half the slots go back (a log that held a minute of 5,000 calls/s is 8 MiB).
        this.at = resized(at.subarray(this.head, this.head + this.length), at.length / 2);
        this.weights = resized(this.weights.subarray(this.head, this.head + this.length), at.length / 2);
      } else {
        at.copyWithin(0, this.head, this.head + this.length);
        this.weights.copyWithin(0, this.head, this.head + this.length);
      }
      this.head = 0;
    }
    let d = 0;
    while (d < this.dayStarts.length && this.dayStarts[d]! + this.limits.dayMs <= now) d++;
    if (d > 0) this.dayStarts.splice(0, d);
  }

  private bucketLevel(now: number): number {
    const burst = this.limits.burst ?? 0;
    const refill = ((now - this.bucket.at) * this.limits.requestsPerWindow) / this.limits.windowMs;
    return Math.min(burst, this.bucket.level + refill);
  }

  private tokensFreeAt(weight: number, now: number): number {
    const cap = this.limits.tokensPerWindow;
    if (cap === undefined) return now;
    let used = this.tokensInWindow;
    if (used + weight <= cap) return now;
    for (let i = this.head; i < this.length; i++) {
      const started = this.at[i]!;
      if (started === VACATED) continue;
      used -= this.weights[i]!;
      if (used + weight <= cap) return started + this.holdMs;
    }
    return now;
  }

  /** When a start of `weight` may begin: now when it fits, else the earliest moment it will. */
  private admissibleAt(weight: number, now: number): number {
    let at = now;
    if (this.live >= this.limits.requestsPerWindow) {
      at = Math.max(at, this.nthLive(this.live - this.limits.requestsPerWindow + 1) + this.holdMs);
    }
    const perDay = this.limits.requestsPerDay;
    if (perDay !== undefined && this.dayStarts.length >= perDay) {
      at = Math.max(at, this.dayStarts[this.dayStarts.length - perDay]! + this.limits.dayMs);
    }
    at = Math.max(at, this.tokensFreeAt(weight, now));
    if (this.limits.burst !== undefined) {
      const level = this.bucketLevel(now);
      if (level < 1) at = Math.max(at, now + Math.ceil(((1 - level) * this.limits.windowMs) / this.limits.requestsPerWindow));
    }
    return at;
  }

  private pump(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    for (;;) {
      const head = this.waiters[0];
      if (!head) return;
      const now = this.clock.now();
      this.prune(now);
      const at = this.admissibleAt(head.weight, now);
      if (at > now) {
        this.timer = setTimeout(() => this.pump(), at - now);
        return;
      }
      this.waiters.shift();
      if (head.onAbort) head.signal?.removeEventListener('abort', head.onAbort);
      head.resolve(this.record(head.weight, now));
    }
  }

  /** The start time of the k-th (1-based) oldest start in the window; 1 ≤ k ≤ live. */
  private nthLive(k: number): number {
    if (this.vacated === 0) return this.at[this.head + k - 1]!;
    for (let i = this.head; ; i++) {
      const started = this.at[i]!;
      if (started !== VACATED && --k === 0) return started;
    }
  }

  /** Index of the start at `position` when it is still in the window (not expired, moved or refunded), else -1. */
  private indexOf(position: number): number {
    const i = position - this.base;
    return i >= this.head && i < this.length && this.at[i] !== VACATED ? i : -1;
  }

  /** Logs a start at the end (the log grows by doubling when full); returns its position. */
  private append(at: number, weight: number): number {
    if (this.length === this.at.length) {
      this.at = resized(this.at, this.at.length * 2);
      this.weights = resized(this.weights, this.at.length);
    }
    this.at[this.length] = at;
    this.weights[this.length] = weight;
    return this.base + this.length++;
  }

  /** Empties slot `i` (its start moved on or was refunded). */
  private vacate(i: number): void {
    this.at[i] = VACATED;
    this.vacated++;
  }

  private record(weight: number, now: number): GateTicket {
    const position = this.append(now, weight);
    this.live++;
    this.tokensInWindow += weight;
    if (this.limits.requestsPerDay !== undefined) this.dayStarts.push(now);
    if (this.limits.burst !== undefined) this.bucket = { level: this.bucketLevel(now) - 1, at: now };
    return new WindowTicket(this, position, now);
  }

  /** For WindowTicket: the start at `position` moves to the end of the log (now is the latest time in it); its new position. */
  restampAt(position: number): number {
    const i = this.indexOf(position);
    if (i < 0) return position;
    const weight = this.weights[i]!;
    this.vacate(i);
    return this.append(this.clock.now(), weight);
  }

  /** For WindowTicket: gives the start at `position` (started at `startedAt`) back; it never reached the provider. */
  refundAt(position: number, startedAt: number): void {
    const i = this.indexOf(position);
    if (i >= 0) {
      this.tokensInWindow -= this.weights[i]!;
      this.vacate(i);
      this.live--;
    }
    const d = this.limits.requestsPerDay === undefined ? -1 : this.dayStarts.lastIndexOf(startedAt);
    if (d >= 0) this.dayStarts.splice(d, 1);
    if (this.limits.burst !== undefined) {
      const level = this.bucketLevel(this.clock.now());
      this.bucket = { level: Math.min(this.limits.burst, level + 1), at: this.clock.now() };
    }
    this.pump();
  }
}

/** A start granted by a WindowGate: its position in the log, followed as it is restamped. */
class WindowTicket implements GateTicket {
  private refunded = false;
  constructor(
    private readonly gate: WindowGate,
    private position: number,
    private readonly startedAt: number,
  ) {}

  // The start moves to the end of the log (now is the latest time in it), its old slot vacated: O(1).
  restamp(): void {
    if (this.refunded) return;
    this.position = this.gate.restampAt(this.position);
  }

  refund(): void {
    if (this.refunded) return;
    this.refunded = true;
    this.gate.refundAt(this.position, this.startedAt);
  }
}
