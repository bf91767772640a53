import type { FastifyBaseLogger } from 'fastify';
import type { Clock } from './clock.js';
import type { Catalog } from './config/catalog.js';
import type { LoadedConfig } from './config/load.js';
import type { Config } from './config/schema.js';
import type { ReplicaVersion } from './control/config-sync.js';
import type { ConfigControl } from './control/config-control.js';
import type { ConfigRuntime } from './control/config-runtime.js';
import type { Ops } from './control/ops.js';
import type { AppEventBus } from './events.js';
import type { Gateway } from './gateway/types.js';
import type { Orchestrator } from './orchestrator/orchestrator.js';
import type { Schedules } from './runs/schedules/schedules.js';
import type { Webhooks } from './runs/webhooks/webhooks.js';
import type { ProviderAdapter } from './providers/types.js';
import type { RunEngine } from './runs/engine.js';
import type { Stores } from './store/types.js';
import type { Stats } from './telemetry/stats.js';
import type { Timeseries } from './telemetry/timeseries.js';
import type { Metrics } from './telemetry/metrics.js';
import type { ClientKeys } from './control/keys.js';
import type { Shadows } from './control/shadow.js';
import type { Canaries } from './control/canary.js';
import type { CacheDriver } from './cache/types.js';
import type { DriftDetector } from './telemetry/drift/detector.js';

/**
 * The collaborators of one server instance, built once by `buildApp` and
 * decorated on Fastify as `app.ctx`. Routes read from it; nothing is global.
 */
export interface AppContext {
  /** The active config version's (read once per request: a swap may happen between two reads). */
  loaded: LoadedConfig;
  config: Config;
  catalog: Catalog;
  clock: Clock;
  bus: AppEventBus;
  adapters: Record<string, ProviderAdapter>;
  gateway: Gateway;
  /** The config version new work starts with, and the swap. */
  runtime: ConfigRuntime;
  /** Config versions, changes, rollback and audit (the admin API's use cases). */
  control: ConfigControl;
  /** Shared mode: the active config version of every live replica (GET /health `replicas`). */
  configFleet?: () => Promise<ReplicaVersion[]>;
  /** Plain-words config operations (POST /admin/ops). */
  ops: Ops;
  stores: Stores;
  stats: Stats;
  /** Per-interval figures of the last hour and day (GET /stats/timeseries). */
  timeseries: Timeseries;
  metrics: Metrics;
  orchestrator: Orchestrator;
  /** The durable run engine: submit, cancel, resume (src/runs/). */
  runs: RunEngine;
  /** Client keys with budgets (/admin/keys). */
  clientKeys: ClientKeys;
  /** Shadow comparisons per route (/admin/experiments). */
  shadows: Shadows;
  /** Canary experiments of the splits (/admin/experiments). */
  canaries: Canaries;
  webhooks: Webhooks;
  schedules: Schedules;
  /** Where the response cache keeps answers (DELETE /admin/cache clears it). */
  cache: CacheDriver;
  /** Drift detection: baseline vs recent window per model, tier and the categorizer (GET /drift). */
  drift: DriftDetector;
  log: FastifyBaseLogger;
  /** Set when shutdown begins: new work is refused with 503. */
  draining: boolean;
  startedAt: number;
  version: string;
}

declare module 'fastify' {
  interface FastifyInstance {
    ctx: AppContext;
  }
}
