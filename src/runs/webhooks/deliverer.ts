import type { FastifyBaseLogger } from 'fastify';
import { Agent } from '../../undici-dispatchers.js';
import type { Clock } from '../../clock.js';
import type { WebhooksConfig } from '../../config/schema.js';
import type { DeliveryAttempt, LeasedMessage, Outbox, Settlement } from '../../store/outbox-types.js';
import type { Signer } from './signer.js';
import { callbackUrlProblem, guardedLookup, isAllowedHost, RefusedAddressError, type AllowHosts } from './url-guard.js';

/** Messages claimed per round. */
const BATCH = 16;
/** A receiver's answer is read this far, then dropped. */
const BODY_LIMIT = 64 * 1024;
const NO_ALLOW: AllowHosts = new Set();

export interface DelivererOptions {
  outbox: Outbox;
  config: WebhooksConfig;
  allow: AllowHosts;
  sign: Signer;
  clock: Clock;
  log: FastifyBaseLogger;
  /** Trust roots for receivers' certificates instead of Node's (tests' self-signed receivers). */
  ca?: string | Buffer;
  /** Jitter source in [0, 1); default Math.random. */
  random?: () => number;
}

export interface Deliverer {
  /** Looks for due messages now (after an enqueue) instead of at the next poll. */
  kick(): void;
  /** Stops claiming and waits for the attempts in flight to settle. */
  stop(): Promise<void>;
}

/**
 * When to try again after `attempts` failed attempts: exponential backoff from
 * `retry_base_ms`, capped at `retry_cap_ms`, with equal jitter (half fixed, half
 * random) so a fleet of failed deliveries does not retry in lockstep; the last
 * retry falls at `max_age_h` after the message was written, so every message is
 * tried for that long, then given up.
 */
export function nextSettlement(config: WebhooksConfig, m: Pick<LeasedMessage, 'created_ms'>, attempts: number, now: number, random: () => number): Settlement {
  const expiry = m.created_ms + config.max_age_h * 3_600_000;
  if (now >= expiry) return { kind: 'expired' };
  const exp = Math.min(config.retry_cap_ms, config.retry_base_ms * 2 ** Math.min(attempts - 1, 40));
  const delay = exp / 2 + (exp / 2) * random();
  return { kind: 'retry', at_ms: Math.min(now + Math.round(delay), expiry) };
}

const describe = (err: unknown): string => {
  const e = err as { code?: string; name?: string; message?: string };
  const text = e instanceof RefusedAddressError ? e.message : e?.name === 'TimeoutError' ? 'timed out' : `${e?.code ?? e?.name ?? 'error'}: ${e?.message ?? String(err)}`;
  return text.slice(0, 300);
};

/**
 * Delivers the outbox: claims due messages under a lease, POSTs each signed
 * body (no redirects followed; the whole attempt bounded by `timeout_ms`),
 * and settles it — a 2xx is final, anything else is retried with backoff.
 * Hosts not allow-listed connect through a lookup that refuses private
 * addresses, so the checked address is the one connected to.
 */
export function startDeliverer(opts: DelivererOptions): Deliverer {
  const { outbox, config, clock, log } = opts;
  const random = opts.random ?? Math.random;
  // A lease outlives the longest attempt, so a live deliverer never loses one mid-attempt.
  const leaseMs = 2 * config.timeout_ms + 5_000;
  const tls = opts.ca ? { ca: opts.ca } : {};
  const guarded = new Agent({ connect: { ...tls, lookup: guardedLookup, timeout: config.timeout_ms } });
  const trusted = new Agent({ connect: { ...tls, timeout: config.timeout_ms } });
  const stopping = new AbortController();
  let wake: (() => void) | null = null;
  let kicked = false;

  async function attempt(m: LeasedMessage): Promise<void> {
    let status_code: number | null = null;
    let error: string | undefined;
    try {
      const url = new URL(m.url);
      const allowed = isAllowedHost(url, opts.allow);
      // Literal IPs never reach the lookup, so they are checked here, at every attempt.
      const problem = allowed ? null : callbackUrlProblem(m.url, NO_ALLOW);
      if (problem) throw new RefusedAddressError(url.hostname, problem);
      const res = await (allowed ? trusted : guarded).request({
        origin: url.origin,
        path: `${url.pathname}${url.search}`,
        method: 'POST',
        body: m.payload,
        headers: { 'content-type': 'application/json', 'user-agent': 'master-orchestrator-webhooks', ...opts.sign(m.id, new Date(clock.now()), m.payload) },
        signal: AbortSignal.any([AbortSignal.timeout(config.timeout_ms), stopping.signal]),
        headersTimeout: config.timeout_ms,
        bodyTimeout: config.timeout_ms,
      });
      status_code = res.statusCode;
      await res.body.dump({ limit: BODY_LIMIT }).catch(() => undefined);
    } catch (err) {
      // Cut short by shutdown: not the receiver's failure. The lease lapses and another deliverer tries again.
      if (stopping.signal.aborted) return;
      error = describe(err);
    }
    const now = clock.now();
    const delivered = status_code !== null && status_code >= 200 && status_code < 300;
    const next: Settlement = delivered ? { kind: 'delivered' } : nextSettlement(config, m, m.attempts + 1, now, random);
    const record: DeliveryAttempt = { event: m.event, url: m.shown_url, status_code, at: new Date(now).toISOString(), ...(error ? { error } : {}) };
    if (!(await outbox.settle(m, record, next))) {
      log.warn({ webhook_id: m.id, run_id: m.run_id }, 'webhook lease lapsed before the attempt settled; another replica owns it now');
      return;
    }
    const fields = { webhook_id: m.id, run_id: m.run_id, event: m.event, status_code, attempt: m.attempts + 1 };
    if (next.kind === 'delivered') log.info(fields, 'webhook delivered');
    else if (next.kind === 'expired') log.warn({ ...fields, error }, 'webhook given up: every attempt failed');
    else log.info({ ...fields, error, retry_at: new Date(next.at_ms).toISOString() }, 'webhook attempt failed; will retry');
  }

  async function round(): Promise<number> {
    const claimed = await outbox.claim(clock.now(), BATCH, leaseMs);
    await Promise.all(claimed.map(attempt));
    return claimed.length;
  }

  async function pause(): Promise<void> {
    let waitMs = config.poll_ms;
    try {
      const due = await outbox.nextDue();
      if (due !== null) waitMs = Math.max(0, Math.min(waitMs, due - clock.now()));
    } catch {
      // The next round reports a store that is away.
    }
    if (kicked) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, waitMs);
      function done() {
        clearTimeout(timer);
        wake = null;
        resolve();
      }
      wake = done;
    });
  }

  let lastPrune = 0;
  const loop = (async () => {
    while (!stopping.signal.aborted) {
      kicked = false;
      let claimed = 0;
      try {
        claimed = await round();
        if (clock.now() - lastPrune > 3_600_000) {
          lastPrune = clock.now();
          await outbox.prune(lastPrune - Math.max(config.max_age_h, 24 * 7) * 3_600_000);
        }
      } catch (err) {
        log.error({ err: { message: (err as Error)?.message } }, 'webhook outbox unavailable; retrying');
      }
      if (claimed < BATCH && !stopping.signal.aborted) await pause();
    }
  })();

  return {
    kick() {
      kicked = true;
      wake?.();
    },
    async stop() {
      stopping.abort();
      wake?.();
      await loop;
      await Promise.all([guarded.close(), trusted.close()]);
    },
  };
}
