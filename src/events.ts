import type { EventBus } from './event-bus.js';
import type { CacheEvents } from './cache/types.js';
import type { DriftEvents } from './telemetry/drift/types.js';
import type { GatewayEvents } from './gateway/types.js';
import type { RunStatus } from './orchestrator/workflow/types.js';

/** Events of the control plane: config versions and traffic rules (splits, canaries, shadows). */
export interface ControlEvents {
  /** A call was routed to one arm of a weighted split. */
  split_assigned: { split: string; arm: string; request_id?: string };
  /** A config version became the one new work starts with (this process's swap). */
  config_activated: { hash: string; previous: string };
  /** A canary stepped up its ramp, was rolled back or was promoted (the last two create a config version). */
  canary_decision: { id: string; canary: string; decision: 'step' | 'rolled_back' | 'promoted'; reason: string; config_version: string | null };
}

/** Events the orchestrator emits about requests and runs (SSE, stats, metrics, logs listen). */
export interface OrchestratorEvents {
  request_categorized: { request_id: string; endpoint: string; category: 'L' | 'M' | 'H'; source: 'model' | 'heuristic' | 'override' };
  run_started: { run_id: string; workflow: string; request_id?: string };
  run_finished: { run_id: string; workflow: string; status: RunStatus; duration_ms: number; cost_usd: number };
  /** Workflow admission: how many run and how many wait. */
  queue: { running: number; queued: number };
}

export type AppEvents = GatewayEvents & CacheEvents & DriftEvents & OrchestratorEvents & ControlEvents & { listener_error: unknown };
export type AppEventBus = EventBus<AppEvents>;
