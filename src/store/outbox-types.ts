import type { WebhookEvent } from '../config/schema.js';

/**
 * The durable outbox of webhook deliveries: one message per run, event and
 * destination URL, written when the run concludes and kept until it is
 * delivered (a 2xx) or too old. Deliverers on any replica claim due messages
 * with a lease, so two never deliver one message at the same time; a
 * deliverer that dies simply lets its lease lapse and the message is due again.
 * Drivers: `outbox-sqlite.ts` (single node) and `outbox-redis.ts` (shared mode).
 */

/** One delivery to make. */
export interface OutboxMessage {
  /** The `webhook-id`: the same on every attempt, so receivers can deduplicate. */
  id: string;
  /** The run the message is about; for a drift.state_changed message, `drift:<subject>:<metric>` (its attempts group there). */
  run_id: string;
  event: WebhookEvent;
  /** Where the message is POSTed. */
  url: string;
  /** The URL as GET /runs/{id} shows it: a subscription's is cut to its origin (its path may carry a token). */
  shown_url: string;
  /** The JSON body, fixed when enqueued so every attempt sends the same bytes. */
  payload: string;
  /** Epoch ms it was enqueued; retries stop `webhooks.max_age_h` after this. */
  created_ms: number;
}

/** A message a deliverer holds: only the holder of `lease` may settle it. */
export interface LeasedMessage extends OutboxMessage {
  /** Attempts made before this one. */
  attempts: number;
  lease: string;
}

/** One delivery attempt, as GET /runs/{id} lists it under `webhooks`. */
export interface DeliveryAttempt {
  event: WebhookEvent;
  url: string;
  /** The receiver's HTTP status, or null when no response came (timeout, refused address, connection error). */
  status_code: number | null;
  /** ISO time the attempt ended. */
  at: string;
  /** Why there was no status (only when status_code is null). */
  error?: string;
}

/** What happens to a message after an attempt: delivered, given up, or retried at an epoch ms. */
export type Settlement = { kind: 'delivered' } | { kind: 'expired' } | { kind: 'retry'; at_ms: number };

export interface Outbox {
  /** Adds messages, due at once; a message whose id is already there is left as it is (enqueueing is idempotent). */
  enqueue(messages: readonly OutboxMessage[]): Promise<void>;
  /**
   * Claims up to `limit` messages due at `now_ms`, each leased until `now_ms + lease_ms`
   * (until then no other claim returns it).
   */
  claim(now_ms: number, limit: number, lease_ms: number): Promise<LeasedMessage[]>;
  /** Records the attempt and settles the message; a no-op returning false when the lease was lost meanwhile. */
  settle(message: LeasedMessage, attempt: DeliveryAttempt, next: Settlement): Promise<boolean>;
  /** Attempts made for a run's messages, oldest first. */
  attempts(run_id: string): Promise<DeliveryAttempt[]>;
  /** Epoch ms of the earliest pending message (leased ones count at their lease's end), or null. */
  nextDue(): Promise<number | null>;
  /** Drops settled messages and attempts older than `before_ms`; returns how many rows went. */
  prune(before_ms: number): Promise<number>;
}
