import type { CallerSignal } from '../caller-signal.js';
import type { CacheStatus } from '../cache/types.js';
import type { FastifyBaseLogger } from 'fastify';
import type { Clock } from '../clock.js';
import type { Catalog } from '../config/catalog.js';
import type { Config } from '../config/schema.js';
import type { AppEventBus } from '../events.js';
import type { Gateway } from '../gateway/types.js';
import type { Usage } from '../providers/types.js';
import type { Stores } from '../store/types.js';
import type { SplitArm } from '../control/splits.js';
import type { Traffic } from '../control/traffic.js';
import type { Shadows } from '../control/shadow.js';
import type { Categorization } from './categorizer.js';
import type { Category } from './heuristic.js';
import type { Emit } from './workflow/executor.js';
import type { TokenSink } from './stream-call.js';
import type { ReportedMedia } from './media-answer.js';
import type { RunResult, Workflow } from './workflow/types.js';

/** The collaborators every use case of the orchestrator works with. */
export interface OrchestratorDeps {
  /** The config version's config; a request keeps the version it started with. */
  config: Config;
  /** Hash of that config version. */
  config_version: string;
  catalog: Catalog;
  gateway: Gateway;
  stores: Stores;
  bus: AppEventBus;
  clock: Clock;
  log: FastifyBaseLogger;
  /** Resolves weighted splits (and canary shares); without it, plain weights. */
  traffic?: Traffic;
  /** Runs routes' shadow models after their answers; without it, shadows are off. */
  shadows?: Shadows;
}

/** For an H request: the generated plan and its run, or why the request was answered directly instead. */
export interface ChatWorkflowSummary {
  plan: Workflow | null;
  run: RunResult | null;
  /** Set when no valid plan could be made and the strongest model answered directly. */
  fallback_reason?: string;
}

/** The body of a /chat answer (API.md), also the data of the `completed` SSE event. */
export interface ChatResponse {
  session_id: string;
  request_id: string;
  category: Category;
  categorization: Categorization;
  response: string;
  model_used: string;
  /** Set when the answering model was assigned by a weighted split: its config path and arm. */
  split?: SplitArm;
  fallback_used: boolean;
  /** The answer stopped at its token limit (the answering model's `finish_reason: length`). */
  truncated: boolean;
  workflow: ChatWorkflowSummary | null;
  usage: Usage;
  cost_usd: number;
  duration_ms: number;
  simulated: boolean;
  media?: ReportedMedia[];
  /** Hash of the config version that answered (the one active when the request began). */
  config_version: string;
  /** The response cache: `hit` when no provider was called for the answer, `miss` when one was (and its answer stored if whole), `bypass` when the cache was not used. */
  cache: CacheStatus;
}

/** Options of one /chat call. */
export interface ChatOptions {
  request_id: string;
  /** The managed key billed for the request's model calls (CallContext.key_id). */
  key_id?: string;
  signal: CallerSignal;
  emit?: Emit;
  /** Refuses (throws 403) a tier or model the caller's key may not use; called before each answering call. */
  allow?: (what: { tier?: string; model?: string }) => void;
}

/** Per-call options of the orchestrator's use cases. */
export interface CallOptions {
  request_id: string;
  /** The managed key billed for the work's model calls (CallContext.key_id). */
  key_id?: string;
  /** Aborts the work (client hung up); the orchestrator adds the time budget and shutdown on top. */
  signal: CallerSignal;
  /** Progress for a streaming caller. */
  emit?: Emit;
  /** The request's own time budget (seconds), capped by limits.default_timeout_s. */
  timeout_s?: number;
}

export interface RunOptions extends CallOptions {
  session_id?: string;
  /** Receives the run's final webhook (checked by the route). */
  callback_url?: string;
}

/** How chat runs a planned workflow (admission and execution belong to the orchestrator). */
export type RunPlanned = (
  workflow: Workflow,
  variables: Record<string, string>,
  opts: { request_id: string; key_id?: string; session_id: string; signal: CallerSignal; deadline: number; started: number; goal: string; emit?: Emit; onToken?: TokenSink; callback_url?: string },
) => Promise<RunResult>;
