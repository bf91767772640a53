import { createHash } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { Clock } from '../../clock.js';
import type { WebhookEvent, WebhooksConfig } from '../../config/schema.js';
import { validationError } from '../../errors.js';
import type { AppEventBus, OrchestratorEvents } from '../../events.js';
import type { RunResult, RunStatus } from '../../orchestrator/workflow/types.js';
import type { RunStore } from '../../store/types.js';
import { startDeliverer, type Deliverer } from './deliverer.js';
import type { DeliveryAttempt, Outbox, OutboxMessage } from './outbox.js';
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
  /** Waits for enqueues in progress, then stops the deliverer. */
  close(): Promise<void>;
}

export interface WebhooksDeps {
  config: WebhooksConfig;
  /** Null when webhooks are off (no secret). */
  outbox: Outbox | null;
  bus: AppEventBus;
  runs: RunStore;
  clock: Clock;
  log: FastifyBaseLogger;
  /** Trust roots for receivers' certificates instead of Node's (tests). */
  ca?: string | Buffer;
}

/** The event a run's final status announces; null while it has not ended. */
export function eventOf(status: RunStatus): WebhookEvent | null {
  return status === 'queued' || status === 'running' ? null : `run.${status}`;
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

/** The same id for the same run, event and URL, so a repeated enqueue is a no-op. */
const messageId = (runId: string, event: string, url: string): string =>
  `msg_${createHash('sha256').update(`${runId}\n${event}\n${url}`).digest('base64url').slice(0, 32)}`;

/**
 * Wires webhooks into the server: when a run concludes (`run_finished`, emitted
 * after its final record was committed) its messages — one to the run's
 * `callback_url`, one to each subscription of its event — are written to the
 * outbox, and the deliverer is woken. Costs nothing when no secret is set.
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

  async function enqueueFor(e: OrchestratorEvents['run_finished']): Promise<void> {
    const event = eventOf(e.status);
    if (!event) return;
    const subscribed = config.subscriptions.filter((s) => s.events.includes(event));
    const run = await deps.runs.get(e.run_id);
    const callback = run?.callback_url;
    if (!callback && subscribed.length === 0) return;
    if (!run) {
      log.error({ run_id: e.run_id }, 'run record not found; its webhooks cannot be written');
      return;
    }
    const now = deps.clock.now();
    const payload = webhookPayload(event, run, run.finished_at ?? new Date(now).toISOString());
    const targets: [string, string][] = [...(callback ? [[callback, callback] as [string, string]] : []), ...subscribed.map((s): [string, string] => [s.url, originOf(s.url)])];
    const messages: OutboxMessage[] = targets.map(([url, shown_url]) => ({ id: messageId(run.run_id, event, url), run_id: run.run_id, event, url, shown_url, payload, created_ms: now }));
    await outbox!.enqueue(messages);
    deliverer.kick();
  }

  const stopListening = deps.bus.on('run_finished', (e) => {
    const p = enqueueFor(e)
      .catch((err: unknown) => log.error({ err: { message: (err as Error)?.message }, run_id: e.run_id }, 'writing webhooks to the outbox failed'))
      .finally(() => pending.delete(p));
    pending.add(p);
  });

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
