import { createHash } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { Clock } from '../../clock.js';
import type { WebhookEvent, WebhooksConfig } from '../../config/schema.js';
import { validationError } from '../../errors.js';
import type { AppEventBus } from '../../events.js';
import type { DriftEvents } from '../../telemetry/drift/types.js';
import { isFinalStatus, type RunResult, type RunStatus } from '../../orchestrator/workflow/types.js';
import { startDeliverer, type Deliverer } from './deliverer.js';
import type { DeliveryAttempt, Outbox, OutboxMessage } from '../../store/outbox-types.js';
import { createSigner } from './signer.js';
import { callbackUrlProblem, parseAllowHosts, type AllowHosts } from './url-guard.js';

/** Webhooks as the routes and the run record see them. */
export interface Webhooks {
  /** Whether a secret is configured (without one, nothing is delivered and callback_url is refused). */
  readonly enabled: boolean;
  /** Throws a 400 naming `callback_url` when the URL may not be called back. */
  checkCallbackUrl(url: string | undefined): void;
  /** The delivery attempts of a run's webhooks, oldest first (empty when webhooks are off). */
  attempts(run_id: string): Promise<DeliveryAttempt[]>;
  /** Stops the deliverer (attempts in flight settle first). */
  close(): Promise<void>;
}

export interface WebhooksDeps {
  config: WebhooksConfig;
  /** Null when webhooks are off (no secret). */
  outbox: Outbox | null;
  bus: AppEventBus;
  clock: Clock;
  log: FastifyBaseLogger;
  /** Trust roots for receivers' certificates instead of Node's (tests). */
  ca?: string | Buffer;
}

/** The event a run's final status announces; null while it has not ended. */
export function eventOf(status: RunStatus): WebhookEvent | null {
  return isFinalStatus(status) ? `run.${status}` : null;
}

/** A subscription URL as the run record shows it: its origin only, since a path may carry a token (Slack, Discord). */
const originOf = (url: string): string => {
  try {
    return new URL(url).origin;
  } catch {
    return '[invalid url]';
  }
};

/** The Standard Webhooks body: `{type, timestamp, data}` with the run's outcome as data. */
export function webhookPayload(event: WebhookEvent, run: RunResult, at: string): string {
  const data = {
    run_id: run.run_id,
    workflow: run.workflow,
    status: run.status,
    output: run.output,
    failure_report: run.failure_report,
    usage: run.usage,
    cost_usd: run.cost_usd,
    duration_ms: run.duration_ms,
    started_at: run.started_at,
    finished_at: run.finished_at,
    session_id: run.session_id,
    simulated: run.simulated,
  };
  return JSON.stringify({ type: event, timestamp: at, data });
}

/** The `drift.state_changed` body: `{type, timestamp, data}` with the change as data (see DriftEvents). */
export function driftPayload(change: DriftEvents['drift_state_changed']): string {
  return JSON.stringify({ type: 'drift.state_changed', timestamp: change.since, data: change });
}

/** The same id for the same run, event and URL, so a repeated enqueue is a no-op. */
const messageId = (runId: string, event: string, url: string): string =>
  `msg_${createHash('sha256').update(`${runId}\n${event}\n${url}`).digest('base64url').slice(0, 32)}`;

/**
 * The outbox messages of a run that reached its final status: one to the run's
 * `callback_url`, one to each subscription of its event. Empty while the run is
 * unfinished, when webhooks are off (no secret) or nobody listens. The run
 * engine writes them with the final record, in one transaction (RunStore.save).
 */
export function webhookMessages(config: WebhooksConfig, run: RunResult, now: number): OutboxMessage[] {
  const event = eventOf(run.status);
  if (!config.secret || !event) return [];
  const subscribed = config.subscriptions.filter((s) => s.events.includes(event));
  const callback = run.callback_url;
  if (!callback && subscribed.length === 0) return [];
  const payload = webhookPayload(event, run, run.finished_at ?? new Date(now).toISOString());
  const targets: [string, string][] = [...(callback ? [[callback, callback] as [string, string]] : []), ...subscribed.map((s): [string, string] => [s.url, originOf(s.url)])];
  return targets.map(([url, shown_url]) => ({ id: messageId(run.run_id, event, url), run_id: run.run_id, event, url, shown_url, payload, created_ms: now }));
}

/**
 * Wires webhooks into the server: the deliverer works through the outbox from
 * startup on (what a stopped process left pending is delivered first, then
 * every `poll_ms`, each message under a lease so one replica delivers it), and
 * is woken when a run concludes (`run_finished`, emitted after the final record
 * and its messages committed). Costs nothing when no secret is set.
 */
export function createWebhooks(deps: WebhooksDeps): Webhooks {
  const { config, outbox, log } = deps;
  const allow: AllowHosts = parseAllowHosts(config.allow_hosts);
  if (!config.secret || !outbox) {
    return {
      enabled: false,
      checkCallbackUrl(url) {
        if (url === undefined) return;
        throw validationError('webhooks are not configured on this server', [
          { path: 'callback_url', message: 'this server has no webhook secret (WEBHOOK_SECRET), so it cannot sign callbacks' },
        ]);
      },
      attempts: async () => [],
      close: async () => undefined,
    };
  }

  const deliverer: Deliverer = startDeliverer({ outbox, config, allow, sign: createSigner(config.secret), clock: deps.clock, log, ca: deps.ca });
  const pending = new Set<Promise<void>>();

  /**
   * A drift series changed state: one message per `drift.state_changed` subscription. Such a message is
   * about no run: its `run_id` column holds `drift:<subject>:<metric>`, which groups its attempts.
   */
  async function enqueueDrift(change: DriftEvents['drift_state_changed']): Promise<void> {
    const subscribed = config.subscriptions.filter((s) => s.events.includes('drift.state_changed'));
    if (subscribed.length === 0) return;
    const about = `drift:${change.subject}:${change.metric}`;
    const payload = driftPayload(change);
    const now = deps.clock.now();
    const messages: OutboxMessage[] = subscribed.map((s) => ({
      id: messageId(about, `drift.state_changed ${change.to} ${change.since} ${change.replica}`, s.url),
      run_id: about,
      event: 'drift.state_changed',
      url: s.url,
      shown_url: originOf(s.url),
      payload,
      created_ms: now,
    }));
    await outbox!.enqueue(messages);
    deliverer.kick();
  }

  const offs = [
    deps.bus.on('run_finished', (e) => {
      if (eventOf(e.status)) deliverer.kick();
    }),
    deps.bus.on('drift_state_changed', (e) => {
      const p = enqueueDrift(e)
        .catch((err: unknown) => log.error({ err: { message: (err as Error)?.message }, drift: `${e.subject}:${e.metric}` }, 'writing a drift webhook to the outbox failed'))
        .finally(() => pending.delete(p));
      pending.add(p);
    }),
  ];
  const stopListening = () => offs.forEach((off) => off());

  return {
    enabled: true,
    checkCallbackUrl(url) {
      if (url === undefined) return;
      const problem = callbackUrlProblem(url, allow);
      if (problem) throw validationError('callback_url is refused', [{ path: 'callback_url', message: problem }]);
    },
    attempts: (runId) => outbox.attempts(runId),
    async close() {
      stopListening();
      await Promise.all(pending);
      await deliverer.stop();
    },
  };
}
