import type { CallerSignal } from '../caller-signal.js';
import type { TokenSink } from '../orchestrator/stream-call.js';
import { AppError, shuttingDown } from '../errors.js';
import { Admission, type AdmissionCounts, type Release } from '../orchestrator/admission.js';
import { CancelledError, abortAtDeadline, cancelCauseOf } from '../orchestrator/cancellation.js';
import type { OrchestratorDeps } from '../orchestrator/chat-types.js';
import type { VersionedDeps } from '../orchestrator/orchestrator.js';
import type { Emit } from '../orchestrator/workflow/executor.js';
import { isFinalStatus, type RunResult, type Workflow } from '../orchestrator/workflow/types.js';
import type { RunSpec } from '../store/types.js';
import { ActiveRuns } from './active-runs.js';
import { prepareRun } from './prepare.js';
import { RunRetries } from './run-retries.js';
import { concludeUnstarted, runTry, type RunTryDeps } from './run-try.js';
import { createSharedRunEngine, type SharedRunsOptions } from './shared-engine.js';
import { turnWritesOf } from './turn-writes.js';

/** A run to start: a workflow given inline or a template by name, with its variables. */
export interface SubmitRequest {
  workflow?: Workflow;
  /** A template of the catalogue (404 when unknown); ignored when `workflow` is given. */
  template?: string;
  variables: Record<string, string>;
  session_id?: string | null;
  /** The run's time budget in seconds, capped by limits.default_timeout_s. */
  timeout_s?: number;
  request_id: string;
  /** The managed key that made the request: every model call of the run is billed to it, on any replica, after any restart. */
  key_id?: string;
  /** What the user asked for (finisher, failure reporter); default: the workflow's name and description. */
  goal?: string;
  /** Receives the run's final webhook; kept in the record so it survives restarts (the route checked it). */
  callback_url?: string;
}

/** How the submitter takes part; all optional (an async run has none of them). */
export interface SubmitOptions {
  /** A waiting caller: when it aborts because the client hung up, the run is cancelled (`cancelled_by: client`). */
  signal?: CallerSignal;
  /** Progress for the waiting caller (its SSE stream); the run's log gets the same events. */
  emit?: Emit;
  /** Deltas of the final answer for a streaming caller; the final step then streams. */
  onToken?: TokenSink;
  /** When the caller's budget started (epoch ms; /chat's H runs count from the request). Default: now. */
  accepted_at?: number;
  /** The caller's deadline (epoch ms); default: accepted_at + the run's budget. */
  deadline?: number;
  /** The config version the run keeps to its end (/chat's H: the request's); default: the active one. */
  version?: VersionedDeps;
}

/**
 * An accepted run: durable from here on. `done` settles with the final record (rejects 503 if
 * handed back at shutdown); the record as accepted is the store's (`GET /runs/{run_id}`).
 */
export interface Submitted {
  run_id: string;
  done: Promise<RunResult>;
}

/** The durable run engine: the one way every run starts (routes, /chat H, /v1 auto, schedules). */
export interface RunEngine {
  /**
   * Validates (400 listing every problem; 404 for an unknown template), refuses
   * when the queue is full or the replica drains (503), writes the record and
   * spec before any model call, and queues the run.
   */
  submit(req: SubmitRequest, opts?: SubmitOptions): Promise<Submitted>;
  /** Cancels a queued or running run (its in-flight calls are aborted); null when unknown. A final run is returned unchanged. */
  cancel(runId: string, by: string): Promise<RunResult | null>;
  /** Resumes every run left queued or running by a previous process (single-node start-up). */
  start(): Promise<void>;
  counts(): AdmissionCounts;
  /**
   * Stops taking runs; running ones start no new task and are handed back
   * (status `queued`, resumed by the next start or another replica) once their
   * in-flight tasks end, or at `graceMs` by aborting them. Never cancels. Idempotent.
   */
  shutdown(graceMs: number): Promise<void>;
}

export type RunEngineDeps = OrchestratorDeps & Pick<RunTryDeps, 'replica' | 'outboxFor'>;

/** A run's collaborators under its config version. */
type VersionedTry = RunTryDeps & VersionedDeps;

/**
 * The run engine of this deployment: BullMQ on the shared Redis when replicas
 * share one (see shared-engine.ts), else the single-node engine below.
 */
export function createRunEngineFor(deps: RunEngineDeps, current: () => VersionedDeps, shared?: SharedRunsOptions): RunEngine {
  return shared ? createSharedRunEngine(deps, current, shared) : createRunEngine(deps, current);
}

/**
 * Single-node engine: the store (SQLite by default) holds the runs, this
 * process's admission bounds them (limits.max_concurrent_workflows running,
 * limits.queue_depth waiting), and a restart resumes what was left unfinished.
 */
/**
 * `current` is the config version a new run takes (unless its submitter names one) and
 * keeps to its end; a run resumed after a restart continues under the active version.
 * Admission is sized once, from the config at creation.
 */
export function createRunEngine(deps: RunEngineDeps, current: () => VersionedDeps = () => deps): RunEngine {
  const { config, clock, log, stores } = deps;
  const admission = new Admission(config.limits.max_concurrent_workflows, config.limits.queue_depth, (counts) => deps.bus.emit('queue', counts));
  const active = new ActiveRuns();
  const tryDeps: RunTryDeps = { ...deps, retries: new RunRetries(deps.bus) };
  const versionedTry = (version: VersionedDeps = current()): VersionedTry => ({ ...tryDeps, ...version });
  let draining = false;
  let shutdownPromise: Promise<void> | undefined;

  /** Admits, runs and concludes one run on this replica; the caller (if any) waits on the result. */
  async function drive(
    record: RunResult,
    spec: RunSpec,
    controller: AbortController,
    ticket: Promise<Release>,
    opts: SubmitOptions,
    tryDeps: RunTryDeps,
  ): Promise<RunResult> {
    let release: Release | undefined;
    let stopDeadline: (() => void) | undefined;
    try {
      try {
        release = await ticket;
      } catch (err) {
        // Refused while draining: the record stays queued and the next start (or replica) runs it.
        if (draining) throw handedBack(record.run_id);
        // Out of time while queued: the engine arms no deadline timer before admission, so either its
        // deadline passed before it was cancelled, or its caller's own budget ran out (a /chat H run's
        // request budget aborts the caller's signal with a deadline cause, which onCallerAbort passes on).
        if (cancelCauseOf(controller.signal) === 'deadline' || clock.now() >= spec.deadline) return await concludeUnstarted(tryDeps, record, 'timed_out', 'The run ran out of time while waiting in the queue.');
        await concludeUnstarted(tryDeps, record, 'cancelled', 'The run was cancelled while waiting in the queue.');
        if (record.cancelled_by === 'api') return record;
        throw err;
      }
      // The run's budget is its controller's too: at the deadline it aborts with a deadline cause (a
      // run waiting in the queue stays there; it ends timed out once admitted, or cancelled earlier).
      stopDeadline = abortAtDeadline(controller, spec.deadline, () => clock.now());
      const run = await runTry(tryDeps, record, spec, {
        signal: controller.signal,
        shouldYield: () => draining,
        emit: opts.emit,
        onToken: opts.onToken,
      });
      if (run.status === 'queued') throw handedBack(run.run_id);
      return run;
    } finally {
      release?.();
      stopDeadline?.();
    }
  }

  /** Registers the run as active here and drives it; a waiting caller's hang-up cancels it. */
  function launch(
    record: RunResult,
    spec: RunSpec,
    opts: SubmitOptions,
    version: VersionedTry,
    admitted?: { controller: AbortController; ticket: Promise<Release> },
  ): Promise<RunResult> {
    const controller = admitted?.controller ?? new AbortController();
    // Throws at once (503) when the queue is full.
    const ticket = admitted?.ticket ?? admission.enter(controller.signal);
    const caller = opts.signal;
    const onCallerAbort = () => {
      const cause = caller ? cancelCauseOf(caller) : null;
      // A caller stopped by shutdown leaves the run to the engine, which hands it back.
      if (cause === 'shutdown' || cause === null) return;
      if (cause !== 'deadline') record.cancelled_by ??= 'client';
      controller.abort(caller!.reason instanceof Error ? caller!.reason : new CancelledError('client_closed'));
    };
    if (caller?.aborted) onCallerAbort();
    else caller?.addEventListener('abort', onCallerAbort, { once: true });
    const done = drive(record, spec, controller, ticket, opts, version).finally(() => {
      caller?.removeEventListener('abort', onCallerAbort);
      active.delete(record.run_id);
    });
    active.set(record.run_id, { controller, record, done: done.catch(() => undefined) });
    return done;
  }

  async function resume(runId: string): Promise<void> {
    if (active.has(runId)) return;
    const [record, spec] = await Promise.all([stores.runs.get(runId), stores.runs.spec(runId)]);
    if (!record || isFinalStatus(record.status)) return;
    if (!spec) {
      log.warn({ run_id: runId }, 'run recorded without a spec cannot resume; ending it');
      await concludeUnstarted(tryDeps, record, 'cancelled', 'The run was interrupted and cannot resume (recorded before runs were durable).');
      return;
    }
    const version = versionedTry();
    record.resumed += 1;
    record.config_version = version.config_version;
    await stores.events.append(runId, 'run_resumed', { run_id: runId, request_id: spec.request_id, replica: deps.replica, resumed: record.resumed });
    log.info({ run_id: runId, resumed: record.resumed }, 'resuming run');
    launch(record, spec, {}, version).catch((err: unknown) => {
      if (!(err instanceof AppError)) log.error({ err, run_id: runId }, 'resumed run failed');
    });
  }

  return {
    async submit(req, opts = {}) {
      if (draining) throw shuttingDown();
      const version = versionedTry(opts.version);
      const { record, spec } = prepareRun(version, req, opts);
      // Throws at once (503) when the queue is full, before anything is recorded.
      const controller = new AbortController();
      const ticket = admission.enter(controller.signal);
      try {
        // Durable before any model call: a crash from here on resumes the run.
        const queued = { run_id: record.run_id, request_id: req.request_id, workflow: record.workflow };
        const batch = turnWritesOf(stores);
        if (batch) {
          // With the other runs' writes of this turn (SQLite: one transaction at the end of the turn).
          const written = await Promise.all([
            batch.add(() => ({ kind: 'create', run: record, spec })),
            batch.add(() => ({ kind: 'event', run_id: record.run_id, event: 'run_queued', data: queued })),
          ]);
          for (const w of written) if (!w.ok) throw w.error;
        } else {
          await stores.runs.create(record, spec);
          await stores.events.append(record.run_id, 'run_queued', queued);
        }
      } catch (err) {
        controller.abort(new CancelledError('cancelled'));
        void ticket.then((release) => release(), () => undefined);
        throw err;
      }
      const done = launch(record, spec, opts, version, { controller, ticket });
      return { run_id: record.run_id, done };
    },

    async cancel(runId, by) {
      const here = active.abort(runId, by);
      if (here) {
        await here.done;
        return stores.runs.get(runId);
      }
      const record = await stores.runs.get(runId);
      if (!record) return null;
      if (isFinalStatus(record.status)) return record;
      // Left unfinished by a stopped process and not resumed yet: end it where it stands.
      record.cancelled_by = by;
      return concludeUnstarted(tryDeps, record, 'cancelled', 'The run was cancelled before it resumed.');
    },

    async start() {
      const ids = await stores.runs.unfinished(config.limits.max_concurrent_workflows + config.limits.queue_depth);
      for (const id of ids) {
        await resume(id).catch((err: unknown) => log.error({ err, run_id: id }, 'resuming run failed'));
      }
    },

    counts: () => admission.counts(),

    shutdown(graceMs) {
      shutdownPromise ??= (async () => {
        draining = true;
        admission.close();
        await active.drain(graceMs, log);
      })();
      return shutdownPromise;
    },
  };
}

/** What a waiting caller gets when its run is handed back at shutdown: the run itself goes on. */
function handedBack(runId: string): AppError {
  return new AppError('overloaded', `the server is shutting down; run '${runId}' was handed back and resumes on restart or another replica (GET /runs/${runId})`, [{ path: 'run', message: 'handed back', run_id: runId }], 1);
}
