import { randomUUID } from 'node:crypto';
import { sleep } from '../clock.js';
import { notFound, shuttingDown, validationError } from '../errors.js';
import type { ChatMessage } from '../providers/types.js';
import { Admission, type AdmissionCounts, type Release } from './admission.js';
import { CancelledError, cancelCauseOf, createBudget } from './cancellation.js';
import { categorize } from './categorizer.js';
import { chat } from './chat.js';
import type { ChatResponse, OrchestratorDeps, RunOptions, RunPlanned } from './chat-types.js';
import { Ledger } from './ledger.js';
import { budgetMs, type ChatRequest } from './requests.js';
import { preloadTokenizer } from './tokens.js';
import { executeWorkflow, newRunRecord, type Emit } from './workflow/executor.js';
import { RunRecorder } from './workflow/run-recorder.js';
import type { RunResult, Workflow } from './workflow/types.js';
import { validateWorkflowDefinition } from './workflow/validate.js';
import type { SplitArm } from '../control/splits.js';
import { routeWith } from '../control/traffic.js';

export type { ChatResponse } from './chat-types.js';

/** The use cases behind /chat, /workflow, /template, /runs and the OpenAI-compatible `auto` model. */
export interface Orchestrator {
  chat(req: ChatRequest, opts: { request_id: string; signal: AbortSignal; emit?: Emit }): Promise<ChatResponse>;
  runWorkflow(wf: Workflow, variables: Record<string, string>, opts: RunOptions): Promise<RunResult>;
  runTemplate(name: string, variables: Record<string, string>, opts: RunOptions): Promise<RunResult>;
  getRun(id: string): Promise<RunResult | null>;
  /** Categorizes the last user message: L/M → the tier model, H (or a workflow tier) → routing.strongest. */
  pickModel(args: { messages: ChatMessage[]; signal: AbortSignal; request_id: string }): Promise<{ model: string; category: 'L' | 'M' | 'H'; split?: SplitArm }>;
  admission(): AdmissionCounts;
  /**
   * Stops admitting (new work gets 503 overloaded), waits for work in progress up
   * to `graceMs` (default server.shutdown_grace_ms), then aborts the rest, whose
   * runs end `cancelled` with their records saved. Idempotent.
   */
  shutdown(graceMs?: number): Promise<void>;
}


export function createOrchestrator(deps: OrchestratorDeps): Orchestrator {
  const { config, clock, bus, log } = deps;
  const admission = new Admission(config.limits.max_concurrent_workflows, config.limits.queue_depth, (counts) => bus.emit('queue', counts));
  /** Work in progress, so shutdown can wait for it and then abort it. */
  const active = new Map<AbortController, Promise<unknown>>();
  let draining = false;
  let shutdownPromise: Promise<void> | undefined;
  preloadTokenizer();

  /** Runs `work` under a controller that follows the caller's signal and that shutdown can abort. */
  function track<T>(callerSignal: AbortSignal, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    if (draining) return Promise.reject(shuttingDown());
    const controller = new AbortController();
    const onAbort = () => controller.abort(callerSignal.reason instanceof Error ? callerSignal.reason : new CancelledError('client_closed'));
    if (callerSignal.aborted) onAbort();
    else callerSignal.addEventListener('abort', onAbort, { once: true });
    const promise = work(controller.signal).finally(() => {
      callerSignal.removeEventListener('abort', onAbort);
      active.delete(controller);
    });
    active.set(controller, promise.catch(() => undefined));
    return promise;
  }

  /** Admits a validated workflow, runs it and returns its final record. */
  const execute: RunPlanned = async (workflow, variables, o) => {
    const record = newRunRecord({
      run_id: randomUUID(),
      workflow,
      variables,
      session_id: o.session_id || null,
      started_at: new Date(o.started).toISOString(),
    });
    // Throws at once (503) when the queue is full, before anything is recorded.
    const ticket = admission.enter(o.signal);
    const recorder = new RunRecorder(record, deps.stores.runs, log);
    recorder.save();
    let release: Release;
    try {
      release = await ticket;
    } catch (err) {
      const cause = cancelCauseOf(o.signal);
      record.status = cause === 'deadline' ? 'timed_out' : 'cancelled';
      record.failure_report = cause === 'deadline' ? 'The run ran out of time while waiting in the queue.' : 'The run was cancelled while waiting in the queue.';
      record.finished_at = new Date(clock.now()).toISOString();
      record.duration_ms = clock.now() - o.started;
      recorder.save();
      await recorder.flush();
      // A run that never left the queue still ends: stats and metrics count it like any other.
      deps.bus.emit('run_finished', { run_id: record.run_id, workflow: record.workflow, status: record.status, duration_ms: record.duration_ms, cost_usd: 0 });
      if (cause === 'deadline') return record;
      throw err;
    }
    try {
      return await executeWorkflow(deps, {
        recorder,
        workflow,
        request_id: o.request_id,
        signal: o.signal,
        deadline: o.deadline,
        accepted_at: o.started,
        goal: o.goal,
        emit: o.emit,
        onToken: o.onToken,
      });
    } finally {
      release();
    }
  };

  const runWorkflow = (wf: Workflow, variables: Record<string, string>, opts: RunOptions, invalidMessage = 'the workflow is invalid'): Promise<RunResult> => {
    const problems = validateWorkflowDefinition(wf, { config, addonIds: deps.catalog.addons, variables });
    if (problems.length > 0) return Promise.reject(validationError(invalidMessage, problems.map((p) => ({ path: p.path, message: p.message }))));
    return track(opts.signal, async (signal) => {
      const started = clock.now();
      const budget = createBudget(signal, started + budgetMs(config, opts.timeout_s), () => clock.now());
      const emit = opts.emit;
      try {
        return await execute(wf, variables, {
          request_id: opts.request_id,
          session_id: opts.session_id ?? '',
          signal: budget.signal,
          deadline: budget.deadline,
          started,
          goal: [wf.name, wf.description].filter(Boolean).join(': '),
          emit,
          onToken: emit ? (text) => emit('token', { request_id: opts.request_id, text }) : undefined,
        });
      } finally {
        budget.dispose();
      }
    });
  };

  return {
    chat: (req, opts) => track(opts.signal, (signal) => chat(deps, req, { ...opts, signal }, execute)),

    runWorkflow: (wf, variables, opts) => runWorkflow(wf, variables, opts),

    runTemplate: async (name, variables, opts) => {
      const template = deps.catalog.templates.get(name);
      if (!template) throw notFound(`template '${name}'`);
      return runWorkflow(template, variables, opts, `template '${name}' cannot run with these variables`);
    },

    getRun: (id) => deps.stores.runs.get(id),

    pickModel: ({ messages, signal, request_id }) =>
      track(signal, async (tracked) => {
        const last = [...messages].reverse().find((m) => m.role === 'user');
        const text = !last ? '' : typeof last.content === 'string' ? last.content : last.content.map((p) => (p.type === 'text' ? p.text : '')).join('\n');
        const categorization = await categorize(deps, { message: text, signal: tracked, context: { request_id }, ledger: new Ledger() });
        bus.emit('request_categorized', { request_id, endpoint: '/v1/chat/completions', category: categorization.category, source: categorization.source });
        const tier = config.routing.tiers[categorization.category];
        // No session on this door: the split follows the request id.
        const choice =
          tier.handler === 'direct'
            ? routeWith(deps.traffic, `routing.tiers.${categorization.category}.model`, tier.model, request_id, request_id)
            : routeWith(deps.traffic, 'routing.strongest', config.routing.strongest, request_id, request_id);
        return { model: choice.model, category: categorization.category, ...(choice.split ? { split: choice.split } : {}) };
      }),

    admission: () => admission.counts(),

    shutdown: (graceMs = config.server.shutdown_grace_ms) => {
      shutdownPromise ??= (async () => {
        draining = true;
        admission.close();
        const inFlight = () => Promise.all(active.values());
        const timer = new AbortController();
        await Promise.race([inFlight(), sleep(graceMs, timer.signal).catch(() => undefined)]);
        timer.abort();
        if (active.size > 0) {
          log.warn({ remaining: active.size }, 'shutdown grace period over; cancelling work in progress');
          for (const controller of active.keys()) controller.abort(new CancelledError('shutdown'));
          await inFlight();
        }
      })();
      return shutdownPromise;
    },
  };
}
