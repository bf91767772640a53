import type { CallerSignal } from '../caller-signal.js';
import type { Config } from '../config/schema.js';
import type { ErrorCode, ErrorKind } from '../providers/provider-error.js';
import type { CacheDirective, CacheStatus } from '../cache/types.js';
import type { ChatMessage, ChatOptions, Media, OutputKind, ProviderAdapter, ToolCall, Usage } from '../providers/types.js';

/** Who a call is for; carried on every event so logs, SSE and stats can attribute it. */
export interface CallContext {
  request_id?: string;
  run_id?: string;
  task_id?: string;
  session_id?: string;
  /**
   * The managed client key (/admin/keys) that made the request: its id is also its budget's
   * identity, so the call's cost is added to that key's day and month spend. Absent for
   * API_KEYS keys, JWTs, open servers, schedules.
   */
  key_id?: string;
  /** The weighted split and arm that chose this call's model (canary guard rails read it). */
  split?: { split: string; arm: string };
  /** The caller's response-cache directive, carried to every call its request makes (`cache` on /chat and /v1, `Cache-Control: no-cache`). */
  cache?: CacheDirective;
}

export interface GatewayRequest {
  /** A configured model key, or `<provider>/<provider model id>` for any model of a configured provider. */
  model: string;
  /** Replaces the model's configured fallback chain for this call (same forms as `model`). */
  fallbacks?: string[];
  kind?: OutputKind;
  messages: ChatMessage[];
  max_tokens?: number;
  temperature?: number;
  json?: boolean;
  /** Chat Completions fields beyond messages (sampling, format, tools), forwarded or mapped by each adapter. */
  options?: ChatOptions;
  /**
   * When false, no output limit is sent unless `max_tokens` is given (the OpenAI door: the caller
   * decides, and providers such as OpenRouter reserve credits for whatever is sent). Default true:
   * the model's configured max_output_tokens.
   */
  default_max_tokens?: boolean;
  /** Aborts every attempt (client hung up, run cancelled); an AbortSignal or a CallerAbort. */
  signal?: CallerSignal;
  /** Epoch ms by which the whole call (all attempts) must end; the run's or request's budget. */
  deadline?: number;
  /** Caps the providers' `max_wait_ms` for this call; 0 = go only if a slot is free now, never queue (shadows). */
  max_wait_ms?: number;
  context?: CallContext;
}

/** One try of one model, as reported in results, 502 details and run records. */
export interface Attempt {
  model: string;
  provider: string;
  /** `cancelled`: the losing attempt of a hedge (hedge_after_ms), stopped by the gateway; never billed. */
  outcome: 'success' | 'failure' | 'skipped' | 'cancelled';
  kind?: ErrorKind;
  code?: ErrorCode | 'circuit_open' | 'limiter_wait' | 'rate_limit_reset' | 'capability' | 'hedge_lost';
  status?: number;
  message?: string;
  duration_ms: number;
}

export interface GatewayResult {
  text: string;
  media: Media[];
  usage: Usage;
  cost_usd: number;
  /** The model key (or `<provider>/<id>`) that actually answered. */
  model_used: string;
  provider: string;
  fallback_used: boolean;
  attempts: Attempt[];
  finish_reason: string;
  /** Functions the model asked to call. */
  tool_calls?: ToolCall[];
  /** Token log probabilities (OpenAI `choices[].logprobs` shape), when asked for. */
  logprobs?: unknown;
  /** The answer stopped at its token limit (`finish_reason: length`): a success, but not the whole answer. */
  truncated: boolean;
  simulated: boolean;
  /** Set by the response cache (src/cache/): answered from it, by a provider, or without it. */
  cache?: CacheStatus;
}

/**
 * A piece of a streamed answer: text (with its logprobs when asked for) or a piece of tool call
 * `index` (OpenAI delta shape: `id`/`name` first, `arguments` in pieces). `simulated` is true
 * when the simulator makes this answer.
 */
export type GatewayStreamChunk =
  | { type: 'delta'; text: string; model: string; simulated: boolean; logprobs?: unknown }
  | { type: 'tool_call'; index: number; id?: string; name?: string; arguments?: string; model: string; simulated: boolean };

/**
 * A streaming call: iterate `chunks` for deltas of the answer; `result` settles
 * when the stream ends (the full text, the model that finished it, usage, cost)
 * or rejects with the error that ended it. After the first delta a failure is
 * continued by the next model of the chain (prefill, or a spliced regeneration)
 * or rejects — never a silent success.
 */
export interface GatewayStream {
  chunks: AsyncIterable<GatewayStreamChunk>;
  result: Promise<GatewayResult>;
}

export type CircuitState = 'closed' | 'open' | 'half_open';

export interface GatewayHealth {
  models: Record<string, { provider: string; circuit: CircuitState }>;
  providers: Record<
    string,
    { mode: 'live' | 'simulated'; queued: number; running: number; reservoir: number | null; limits: { requests_per_minute: number; max_concurrent: number } }
  >;
}

/** What a gateway is configured from: one config version and the adapters of its providers. */
export interface GatewayVersion {
  config: Config;
  providerModes: Record<string, 'live' | 'simulated'>;
  adapters: Record<string, ProviderAdapter>;
}

/** What a caller of `Gateway.call` applies to the result as it is made (see there). */
export type CallFinish = (req: GatewayRequest, result: GatewayResult) => GatewayResult;

/** The one door every model call goes through. */
export interface Gateway {
  /**
   * Resolves with a result object of the caller's own (made for this call: the response cache marks it in place).
   * `finish`, when given, is applied to the result in the reaction that makes it (the response cache marks a
   * bypass with it: no promise of its own per call); what it returns is what the call resolves with. Every
   * implementation (a wrapper, a test double) must apply it to a successful result, exactly once: a `call` that
   * drops it compiles, and the result then lacks the response cache's bypass mark and event.
   */
  call(req: GatewayRequest, finish?: CallFinish): Promise<GatewayResult>;
  stream(req: GatewayRequest): GatewayStream;
  circuitState(model: string): CircuitState;
  health(): Promise<GatewayHealth>;
  /**
   * Entries of the gateway's state keyed by names callers choose (breakers, learned resets), by
   * kind, for the `caller_keyed_entries` gauge. Absent on test doubles.
   */
  stateSizes?(): Record<string, number>;
  /**
   * A gateway for a new config version that keeps the state (limiters, breakers) of
   * unchanged providers and models; this one keeps serving its own version. Absent on
   * test doubles that have no config.
   */
  reconfigure?(next: GatewayVersion): Gateway;
  /** Closes everything the gateway and its reconfigured successors hold. */
  close(): Promise<void>;
}

/** Events the gateway emits, for logs, stats, metrics and SSE. */
export interface GatewayEvents {
  attempt: {
    model: string;
    provider: string;
    /** `cancelled`: a hedge's losing attempt (no usage, no cost: what it consumed upstream is unknown). */
    outcome: 'success' | 'failure' | 'cancelled';
    kind?: ErrorKind;
    code?: string;
    status?: number;
    latency_ms: number;
    usage?: Usage;
    cost_usd?: number;
    simulated: boolean;
    context: CallContext;
  };
  retry: { model: string; provider: string; kind: ErrorKind; attempt: number; delay_ms: number; context: CallContext };
  fallback: { from: string; to: string; reason: string; context: CallContext };
  /** `model` produced no token within `after_ms`: `hedge` was started alongside it. */
  hedge: { model: string; hedge: string; after_ms: number; context: CallContext };
  breaker: { model: string; state: CircuitState };
  limiter_wait: { provider: string; wait_ms: number };
}
