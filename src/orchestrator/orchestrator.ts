import { CallerAbort, type CallerSignal } from '../caller-signal.js';
import { settledWithin } from '../clock.js';
import { shuttingDown } from '../errors.js';
import type { RunEngine, SubmitRequest } from '../runs/engine.js';
import type { AdmissionCounts } from './admission.js';
import { CancelledError } from './cancellation.js';
import { answerAutoWorkflow, routeAuto, type AutoRoute, type AutoRouteArgs, type AutoWorkflowAnswer, type AutoWorkflowArgs } from './auto.js';
import { chat } from './chat.js';
import type { ChatOptions, ChatResponse, OrchestratorDeps, RunOptions, RunPlanned } from './chat-types.js';
import type { ChatRequest } from './requests.js';
import type { RunResult, Workflow } from './workflow/types.js';

export type { ChatResponse } from './chat-types.js';

/** The use cases behind /chat, /workflow, /template, /runs and the OpenAI-compatible `auto` model. */
export interface Orchestrator {
  chat(req: ChatRequest, opts: ChatOptions): Promise<ChatResponse>;
  runWorkflow(wf: Workflow, variables: Record<string, string>, opts: RunOptions): Promise<RunResult>;
  runTemplate(name: string, variables: Record<string, string>, opts: RunOptions): Promise<RunResult>;
  getRun(id: string): Promise<RunResult | null>;
  /** The OpenAI door's `auto` model: categorizes and routes like /chat (see auto.ts). */
  routeAuto(args: AutoRouteArgs): Promise<AutoRoute>;
  /** Answers an `auto` request routed to a workflow: plans, runs, answers with the final output. */
  answerAutoWorkflow(args: AutoWorkflowArgs): Promise<AutoWorkflowAnswer>;
  admission(): AdmissionCounts;
  /**
   * Stops admitting (new work gets 503 overloaded), waits for work in progress up
   * to `graceMs` (default server.shutdown_grace_ms), then aborts the rest. Runs
   * are not cancelled: the run engine hands them back (see RunEngine.shutdown). Idempotent.
   */
  shutdown(graceMs?: number): Promise<void>;
}


/** The versioned part of the deps: the config version new work starts with (see control/config-runtime.ts). */
export type VersionedDeps = Pick<OrchestratorDeps, 'config' | 'config_version' | 'gateway'>;

/**
 * `current` names the config version each new request takes at its start and keeps
 * to its end, whatever is activated meanwhile (an H request's run keeps it too).
 * The shutdown grace is read once, from the config at creation.
 */
export function createOrchestrator(deps: OrchestratorDeps & { runs: RunEngine }, current: () => VersionedDeps = () => deps): Orchestrator {
  const { config, log } = deps;
  const versioned = () => ({ ...deps, ...current() });
  /** Work in progress, so shutdown can wait for it and then abort it. */
  const active = new Map<CallerAbort, Promise<unknown>>();
  /** Runs started here and not settled yet (see runWorkflow): shutdown waits for them too. */
  const submittedRuns = new Set<Promise<unknown>>();
  let draining = false;
  let shutdownPromise: Promise<void> | undefined;

  /** Runs `work` under a cancellation that follows the caller's and that shutdown can abort (a CallerAbort: no AbortSignal per request). */
  function track<T>(callerSignal: CallerSignal, work: (signal: CallerSignal) => Promise<T>): Promise<T> {
    if (draining) return Promise.reject(shuttingDown());
    const controller = new CallerAbort();
    const onAbort = () => controller.abort(callerSignal.reason instanceof Error ? callerSignal.reason : new CancelledError('client_closed'));
    if (callerSignal.aborted) onAbort();
    else callerSignal.addEventListener('abort', onAbort, { once: true });
    const promise = work(controller).finally(() => {
      callerSignal.removeEventListener('abort', onAbort);
      active.delete(controller);
    });
    active.set(controller, promise.catch(() => undefined));
    return promise;
  }

  /** /chat's H runs: the plan goes through the run engine like any run, on the request's budget and config version. */
  const executeWith =
    (version: VersionedDeps): RunPlanned =>
    async (workflow, variables, o) => {
      const submitted = await deps.runs.submit(
        { workflow, variables, session_id: o.session_id || null, request_id: o.request_id, key_id: o.key_id, goal: o.goal, callback_url: o.callback_url },
        { signal: o.signal, emit: o.emit, onToken: o.onToken, accepted_at: o.started, deadline: o.deadline, version },
      );
      return submitted.done;
    };

  /**
   * A run needs no controller of its own here: the run engine follows the caller's signal itself
   * (a hang-up cancels the run) and hands its runs back at shutdown, which a `shutdown` abort from
   * here would only have asked it to do. Shutdown still refuses new runs and waits for these.
   */
  const runWorkflow = (run: Pick<SubmitRequest, 'workflow' | 'template' | 'variables'>, opts: RunOptions): Promise<RunResult> => {
    if (draining) return Promise.reject(shuttingDown());
    const emit = opts.emit;
    const { workflow, template, variables } = run;
    const result = deps.runs
      .submit(
        { workflow, template, variables, session_id: opts.session_id ?? null, timeout_s: opts.timeout_s, request_id: opts.request_id, key_id: opts.key_id, callback_url: opts.callback_url },
        { signal: opts.signal, emit, onToken: emit ? (text, from) => emit('token', { request_id: opts.request_id, text, model: from.model, simulated: from.simulated }) : undefined },
      )
      .then((submitted) => submitted.done);
    const settled: Promise<unknown> = result.then(
      () => submittedRuns.delete(settled),
      () => submittedRuns.delete(settled),
    );
    submittedRuns.add(settled);
    return result;
  };

  return {
    chat: (req, opts) => {
      const version = versioned();
      return track(opts.signal, (signal) => chat(version, req, { ...opts, signal }, executeWith(version)));
    },

    runWorkflow: (workflow, variables, opts) => runWorkflow({ workflow, variables }, opts),

    runTemplate: (template, variables, opts) => runWorkflow({ template, variables }, opts),

    getRun: (id) => deps.stores.runs.get(id),

    routeAuto: (args) => {
      const version = versioned();
      return track(args.signal, (signal) => routeAuto(version, { ...args, signal }));
    },

    answerAutoWorkflow: (args) => {
      const version = versioned();
      return track(args.signal, (signal) => answerAutoWorkflow(version, { ...args, signal }, executeWith(version)));
    },

    admission: () => deps.runs.counts(),

    shutdown: (graceMs = config.server.shutdown_grace_ms) => {
      shutdownPromise ??= (async () => {
        draining = true;
        const inFlight = () => Promise.all([...active.values(), ...submittedRuns]);
        // This grace timer is armed before the run engine's own (same length, same turn), so it
        // fires first: what is counted below is what was still going when the grace ran out, not
        // what is left after the engine has already handed its runs back.
        const inTime = settledWithin(inFlight(), graceMs);
        const handedBack = deps.runs.shutdown(graceMs);
        await inTime;
        // Requests still in progress are cancelled; runs are not: the run engine hands them back.
        if (active.size > 0 || submittedRuns.size > 0) {
          const requests = active.size > 0 ? 'cancelling the requests in progress' : 'no request in progress to cancel';
          const runs = submittedRuns.size > 0 ? ', runs left to the run engine to hand back' : '';
          log.warn({ remaining: active.size, runs: submittedRuns.size }, `shutdown grace period over; ${requests}${runs}`);
        }
        if (active.size > 0) {
          for (const controller of active.keys()) controller.abort(new CancelledError('shutdown'));
          await inFlight();
        }
        await handedBack;
      })();
      return shutdownPromise;
    },
  };
}
