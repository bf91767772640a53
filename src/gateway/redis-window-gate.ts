import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { sleep } from '../clock.js';
import { clampWeight, holdMsFor, WaitBeyondLimit, type Gate, type GateTicket, type TakeOptions, type WindowLimits } from './window-gate.js';

/**
 * The sliding-window log of `WindowGate`, kept in Redis so every replica draws
 * from one allowance per provider. One Lua script checks and records a start
 * atomically (Redis runs scripts one at a time), using Redis's own clock so
 * replicas' clocks do not matter. It answers 0 when the start is granted, or the
 * milliseconds until the oldest blocking start leaves the window — or until a reset
 * the provider announced for the model (a key with a TTL, `LEARN`) has passed.
 */
const TAKE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local hold = tonumber(ARGV[1])
local perWindow = tonumber(ARGV[2])
local tokenCap = tonumber(ARGV[3])
local perDay = tonumber(ARGV[4])
local dayMs = tonumber(ARGV[5])
local weight = tonumber(ARGV[6])
local member = ARGV[7]
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - hold)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - dayMs)
local wait = 0
local blocked = redis.call('PTTL', KEYS[3])
if blocked > 0 then wait = blocked end
local count = redis.call('ZCARD', KEYS[1])
if count >= perWindow then
  local oldest = redis.call('ZRANGE', KEYS[1], count - perWindow, count - perWindow, 'WITHSCORES')
  wait = math.max(wait, tonumber(oldest[2]) + hold - now)
end
if tokenCap > 0 then
  local entries = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
  local used = 0
  for i = 1, #entries, 2 do used = used + tonumber(string.match(entries[i], ':(%d+)$')) end
  local i = 1
  while used + weight > tokenCap and i <= #entries do
    used = used - tonumber(string.match(entries[i], ':(%d+)$'))
    wait = math.max(wait, tonumber(entries[i + 1]) + hold - now)
    i = i + 2
  end
end
if perDay > 0 then
  local today = redis.call('ZCARD', KEYS[2])
  if today >= perDay then
    local oldest = redis.call('ZRANGE', KEYS[2], today - perDay, today - perDay, 'WITHSCORES')
    wait = math.max(wait, tonumber(oldest[2]) + dayMs - now)
  end
end
if wait > 0 then return {wait, math.max(0, perWindow - count), blocked} end
redis.call('ZADD', KEYS[1], now, member)
redis.call('PEXPIRE', KEYS[1], hold + 1000)
if perDay > 0 then
  redis.call('ZADD', KEYS[2], now, member)
  redis.call('PEXPIRE', KEYS[2], dayMs + 1000)
end
return {0, math.max(0, perWindow - count - 1), 0}
`;

/** Stamps "no starts for this model before PX ms" unless a later stamp is already there. */
const LEARN = `
local left = redis.call('PTTL', KEYS[1])
if left < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], '1', 'PX', ARGV[1]) end
return 1
`;

const REFUND = `
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return 1
`;

/** Longest pause between two tries of a waiting start, so a refund elsewhere is noticed soon. */
const MAX_POLL_MS = 250;

export class RedisWindowGate implements Gate {
  private waiters = 0;
  private lastHeadroom: number;
  private closed: unknown = undefined;
  private readonly holdMs: number;
  private readonly keys: [string, string];
  private readonly resetPrefix: string;

  constructor(
    private readonly redis: Redis,
    provider: string,
    private readonly limits: WindowLimits,
    prefix = 'mo:',
  ) {
    this.holdMs = holdMsFor(limits.windowMs);
    this.keys = [`${prefix}limit:${provider}:window`, `${prefix}limit:${provider}:day`];
    this.resetPrefix = `${prefix}limit:${provider}:reset:`;
    this.lastHeadroom = limits.requestsPerWindow;
    redis.defineCommand('moTake', { numberOfKeys: 3, lua: TAKE });
    redis.defineCommand('moLearnReset', { numberOfKeys: 1, lua: LEARN });
    redis.defineCommand('moRefund', { numberOfKeys: 2, lua: REFUND });
  }

  get waiting(): number {
    return this.waiters;
  }

  /** The headroom Redis reported on the last try (other replicas move it in between). */
  headroom(): number {
    return this.lastHeadroom;
  }

  /** The shared log lives in Redis; waits are discovered by trying, so the prediction is "no wait". */
  estimateWait(): number {
    return 0;
  }

  /** Every replica's gate honours the reset until it passes (the key expires with it). */
  async learnReset(model: string, waitMs: number): Promise<void> {
    const ms = Math.ceil(waitMs);
    if (ms <= 0) return;
    await (this.redis as unknown as { moLearnReset: (...a: unknown[]) => Promise<unknown> }).moLearnReset(this.resetPrefix + model, ms);
  }

  async take(weight: number, signal?: AbortSignal, opts: TakeOptions = {}): Promise<GateTicket> {
    const cap = this.limits.tokensPerWindow;
    const w = Math.max(0, Math.round(clampWeight(weight, cap)));
    const member = `${randomUUID()}:${w}`;
    const giveUpAt = opts.maxWaitMs === undefined ? undefined : Date.now() + opts.maxWaitMs;
    this.waiters += 1;
    try {
      for (;;) {
        if (this.closed !== undefined) throw this.closed;
        if (signal?.aborted) throw signal.reason;
        const [wait, headroom, blocked] = (await (this.redis as unknown as { moTake: (...a: unknown[]) => Promise<[number, number, number]> }).moTake(
          ...this.keys,
          this.resetPrefix + (opts.model ?? ''),
          this.holdMs,
          this.limits.requestsPerWindow,
          cap ?? 0,
          this.limits.requestsPerDay ?? 0,
          this.limits.dayMs,
          w,
          member,
        )) as [number, number, number];
        this.lastHeadroom = headroom;
        if (wait <= 0) return this.ticket(member);
        // Waiting would not end within the caller's allowance: say so now rather than at its end.
        if (giveUpAt !== undefined && Date.now() + wait > giveUpAt) throw new WaitBeyondLimit(wait, blocked >= wait);
        await sleep(Math.min(Math.max(wait, 5), MAX_POLL_MS), signal);
      }
    } finally {
      this.waiters -= 1;
    }
  }

  close(reason: unknown): void {
    this.closed = reason;
  }

  private ticket(member: string): GateTicket {
    let refunded = false;
    return {
      refund: () => {
        if (refunded) return;
        refunded = true;
        void (this.redis as unknown as { moRefund: (...a: unknown[]) => Promise<unknown> }).moRefund(...this.keys, member).catch(() => undefined);
      },
    };
  }
}
