import type { TokenSink } from '../stream-call.js';
import type { FastifyBaseLogger } from 'fastify';
import PQueue from 'p-queue';
import type { Clock } from '../../clock.js';
import type { Catalog } from '../../config/catalog.js';
import type { Config } from '../../config/schema.js';
import type { AppEventBus } from '../../events.js';
import type { RunRetries } from '../../runs/run-retries.js';
import type { Gateway } from '../../gateway/types.js';
import type { OutboxMessage } from '../../store/outbox-types.js';
import { emptyUsage } from '../../providers/types.js';
import { cancelCauseOf } from '../cancellation.js';
import { Ledger, roundUsd } from '../ledger.js';
import { concludeRun, finalStep, stopCause, type Conclusion } from './outcome.js';
import type { RunRecorder } from './run-recorder.js';
import type { ReportedMedia } from '../media-answer.js';
import { runTask, taskModel } from './task-runner.js';
import type { RunResult, Task, TaskAttempt, TaskRecord, TaskStatus, Workflow } from './types.js';
import { outputName } from './validate.js';
import { extractReferences, substitute } from './variables.js';

export interface ExecutorDeps {
  config: Config;
  catalog: Catalog;
  gateway: Gateway;
  bus: AppEventBus;
  clock: Clock;
  log: FastifyBaseLogger;
  /** The run engine's router of the bus's retry events (one bus listener per engine): a run's tasks' retries become `task_retry` events. */
  retries: RunRetries;
}

/** Progress for one caller (the SSE stream): event name and a JSON object carrying run_id and request_id. */
export type Emit = (event: string, data: object) => void;

export interface ExecuteOptions {
  /** Holds the record made when the run was accepted (status queued), or the committed record of a run that resumes. */
  recorder: RunRecorder;
  workflow: Workflow;
  request_id: string;
  /** The managed key billed for the run's model calls (from the run's spec). */
  key_id?: string;
  /** The webhook messages of the run's final status: written with the final record, in one transaction. */
  outboxFor?: (run: RunResult) => readonly OutboxMessage[];
  /**
   * The run's signal: aborts on client hang-up, cancellation, the deadline (the run engine's
   * abortAtDeadline), or shutdown — which hands the run back instead of ending it.
   */
  signal: AbortSignal;
  deadline: number;
  /** Clock time the run was accepted; its duration counts from here. */
  accepted_at: number;
  /** What the user asked for, for the finisher and the failure reporter. */
  goal: string;
  /** The replica running this try; recorded on each task attempt. */
  replica: string;
  /** True when the replica wants the run back (draining): no new task starts, the run is handed back. */
  shouldYield?: () => boolean;
  emit?: Emit;
  /** Deltas of the final answer, when its last step can stream. */
  onToken?: TokenSink;
}

/** A fresh record for a validated workflow: every task pending, the given variables (with input defaults) set. */
export function newRunRecord(args: {
  run_id: string;
  workflow: Workflow;
  variables: Record<string, string>;
  session_id: string | null;
  started_at: string;
  config_version: string;
  callback_url?: string;
}): RunResult {
  const defaults = Object.fromEntries(
    Object.entries(args.workflow.inputs).flatMap(([name, input]) => (input.default === undefined ? [] : [[name, input.default]])),
  );
  const pending = (task: Task, queue: 'linear' | 'inline'): TaskRecord => ({
    id: task.id,
    queue,
    output_variable: outputName(task),
    references: taskReferences(task),
    prompt: null,
    status: 'pending',
    model_used: null,
    fallback_used: false,
    attempts: [],
    calls: 0,
    replica: null,
    started_at: null,
    duration_ms: 0,
    usage: emptyUsage(),
    cost_usd: 0,
    error: null,
  });
  return {
    run_id: args.run_id,
    workflow: args.workflow.name,
    status: 'queued',
    output: null,
    variables: { ...defaults, ...args.variables },
    tasks: [...args.workflow.linear_queue.map((t) => pending(t, 'linear')), ...args.workflow.inline_queue.map((t) => pending(t, 'inline'))],
    failure_report: null,
    usage: emptyUsage(),
    cost_usd: 0,
    duration_ms: 0,
    started_at: args.started_at,
    finished_at: null,
    session_id: args.session_id,
    media: [],
    simulated: false,
    resumed: 0,
    cancelled_by: null,
    config_version: args.config_version,
    ...(args.callback_url ? { callback_url: args.callback_url } : {}),
  };
}

/** What the executor reads of a workflow, the same for every run of it. */
interface Plan {
  /** Each task's place in the run's records, by task id. */
  index: ReadonlyMap<string, number>;
  /** The task that writes each output variable. */
  producer: ReadonlyMap<string, Task>;
  /** The task whose answer may stream (outcome.ts finalStep). */
  finalTask: Task | undefined;
}

/** Plans by workflow object (a template's, a spec's): made once per object, not per run. Workflows are not changed once submitted. */
const plans = new WeakMap<Workflow, Plan>();

function planOf(wf: Workflow): Plan {
  let plan = plans.get(wf);
  if (!plan) {
    const tasks = [...wf.linear_queue, ...wf.inline_queue];
    plan = { index: new Map(tasks.map((task, i) => [task.id, i])), producer: new Map(tasks.map((task) => [outputName(task), task])), finalTask: finalStep(wf) };
    plans.set(wf, plan);
  }
  return plan;
}

/** Task states that are final: a resumed run keeps them (and their bill) and never calls them again. */
const FINISHED: ReadonlySet<TaskStatus> = new Set(['completed', 'failed', 'skipped']);

/**
 * Runs a validated workflow: every linear task at once (bounded by
 * task_concurrency), then the inline tasks in order. Tasks end as record values;
 * a failed task's dependants are skipped. The run's output is the named output,
 * else the last inline output, else the finisher's merge of the linear outputs.
 *
 * Durable: each task's start and result are committed to the run store before
 * anything depends on them. Given the committed record of an interrupted run it
 * resumes: finished tasks keep their output and bill and are not called again;
 * tasks that were in flight get a new attempt. When the replica shuts down
 * (signal cause `shutdown`, or `shouldYield`) the run is handed back: in-flight
 * tries are marked `interrupted`, the record returns to `queued`, and it resolves
 * with that record for another try to resume.
 * Resolves with the final record (never rejects for a task or model failure).
 */
export async function executeWorkflow(deps: ExecutorDeps, opts: ExecuteOptions): Promise<RunResult> {
  const { recorder, workflow: wf, signal } = opts;
  const run = recorder.record;
  const ledger = new Ledger();
  const values = run.variables;
  const emit: Emit = opts.emit ?? (() => undefined);
  // Event data is written as literals (run_id and request_id first): no spread of a shared base per event.
  const runId = run.run_id;
  const requestId = opts.request_id;
  const { index, producer, finalTask } = planOf(wf);
  /** A task's record: the run's records are in the workflow's order (newRunRecord). */
  const recordOf = (id: string): TaskRecord => run.tasks[index.get(id)!]!;
  /** The variables a task reads: worked out once, when its record was made (records from before then lack them). */
  const referencesOf = (task: Task): readonly string[] => recordOf(task.id).references ?? taskReferences(task);
  const now = () => new Date(deps.clock.now()).toISOString();

  // What finished before an interruption stays billed once, from its record.
  for (const record of run.tasks) {
    if (FINISHED.has(record.status)) ledger.add({ usage: record.usage, cost_usd: record.cost_usd, simulated: false });
  }
  ledger.simulated = run.simulated;
  // Tries left `running` by a replica that stopped were interrupted: their tasks run again (or end with the run).
  for (const record of run.tasks) {
    if (record.status !== 'running') continue;
    record.status = 'pending';
    for (const attempt of record.attempts) if (attempt.status === 'running') attempt.status = 'interrupted';
  }

  const stopRetries = deps.retries.follow(run.run_id, (e) => {
    if (!e.context.task_id) return;
    emit('task_retry', { run_id: runId, request_id: requestId, task_id: e.context.task_id, model: e.model, attempt: e.attempt, delay_ms: e.delay_ms, kind: e.kind });
  });

  run.status = 'running';
  // Written with the first tasks' start (one write), before any model call.
  recorder.save();
  deps.bus.emit('run_started', { run_id: run.run_id, workflow: run.workflow, request_id: opts.request_id });

  /** The replica wants the run back: at once when shutdown aborted it, else while tasks remain to start. */
  const handingBack = () =>
    cancelCauseOf(signal) === 'shutdown' || ((opts.shouldYield?.() ?? false) && run.tasks.some((t) => t.status === 'pending' || t.status === 'running'));
  /** Events of a finished task, once the writes queued so far (its result's among them) are done: in the order tasks ended. */
  const finished = (data: object, completed: boolean): Promise<void> =>
    recorder.flush().then(() => emit(completed ? 'task_completed' : 'task_failed', data));
  const skip = (task: Task, kind: string, message: string): void => {
    const record = recordOf(task.id);
    record.status = 'skipped';
    record.error = { kind, message };
    void finished({ run_id: runId, request_id: requestId, task: record }, false);
  };
  const stopped = () => stopCause(deps, opts);

  const execute = async (task: Task): Promise<void> => {
    const record = recordOf(task.id);
    if (FINISHED.has(record.status) || handingBack()) return;
    const cause = stopped();
    if (cause) return skip(task, cause === 'deadline' ? 'timeout' : 'cancelled', 'the run stopped before this task started');
    const attempt: TaskAttempt = { replica: opts.replica, started_at: now(), status: 'running' };
    record.attempts.push(attempt);
    record.status = 'running';
    record.replica = opts.replica;
    record.started_at = attempt.started_at;
    record.prompt = substitute(task.prompt, values);
    record.error = null;
    // The start (and whatever finished before it, which this task may depend on) is written before the call.
    await recorder.commit();
    emit('task_started', { run_id: runId, request_id: requestId, task_id: task.id, queue: record.queue, model: taskModel(deps.config, task, run).model, started_at: record.started_at });
    const outcome = await runTask(deps, task, values, record, {
      run_id: run.run_id,
      request_id: opts.request_id,
      key_id: opts.key_id,
      session_id: run.session_id,
      signal,
      runDeadline: opts.deadline,
      ledger,
      onDelta: opts.onToken && task === finalTask ? opts.onToken : undefined,
      cache: wf.cache,
    });
    if (cancelCauseOf(signal) === 'shutdown') {
      // Handed back mid-call: the next try runs the task again, so it is pending, not failed.
      attempt.status = 'interrupted';
      record.status = 'pending';
      record.error = null;
      await recorder.commit();
      return;
    }
    if (outcome.output !== null) values[outputName(task)] = outcome.output;
    // runTask moved the status on; read it afresh rather than the narrowed 'running'.
    const completed = (record.status as TaskStatus) === 'completed';
    attempt.status = completed ? 'completed' : 'failed';
    run.usage = ledger.usage;
    run.cost_usd = roundUsd(ledger.cost_usd);
    run.simulated = ledger.simulated;
    // Committed before any dependant starts: its start waits for this write (or is part of it), and so
    // does the run's final record; a crash after the write never calls this task again. Not awaited
    // here, so that the next task's start and this result are one write when they fall in one turn.
    recorder.save();
    const output = outcome.output;
    void finished(output !== null ? { run_id: runId, request_id: requestId, task: record, output } : { run_id: runId, request_id: requestId, task: record }, completed);
  };

  let conclusion: Conclusion | undefined;
  try {
    // All at once when task_concurrency allows (the usual case): no queue to build per run.
    const concurrency = deps.config.limits.task_concurrency;
    if (wf.linear_queue.length <= concurrency) await Promise.all(wf.linear_queue.map(execute));
    else {
      const queue = new PQueue({ concurrency });
      await Promise.all(wf.linear_queue.map((task) => queue.add(() => execute(task))));
    }

    for (const task of wf.inline_queue) {
      if (handingBack()) break;
      if (FINISHED.has(recordOf(task.id).status)) continue;
      if (stopped()) {
        await execute(task);
        continue;
      }
      const references = referencesOf(task);
      const blocker = references
        .map((name) => producer.get(name))
        .find((dep) => dep && recordOf(dep.id).status !== 'completed' && !dep.optional);
      if (blocker) {
        skip(task, 'dependency_failed', `it needs the output of task '${blocker.id}', which did not complete`);
        continue;
      }
      // An optional task that failed leaves a marker, so its dependants still run and say what is missing.
      for (const name of references) {
        const dep = producer.get(name);
        if (dep && !Object.hasOwn(values, name)) values[name] = `[unavailable: optional task '${dep.id}' did not complete]`;
      }
      await execute(task);
    }

    if (!handingBack()) conclusion = await concludeRun(deps, opts, ledger, recordOf, producer);
    if (!conclusion || handingBack()) {
      // The finisher or reporter may have been cut short too: the next try concludes afresh.
      run.status = 'queued';
      run.output = null;
      run.failure_report = null;
      await recorder.commit();
      return run;
    }
  } finally {
    stopRetries();
  }

  const { status, output, failure_report } = conclusion;
  // Set as the final save begins, in the turn it writes them (see RunRecorder.finish).
  await recorder.finish(() => {
    run.status = status;
    run.output = output;
    run.failure_report = failure_report;
    run.usage = ledger.usage;
    run.cost_usd = roundUsd(ledger.cost_usd);
    run.simulated = ledger.simulated;
    run.media = run.tasks.flatMap((t) => (t.media ?? []) as ReportedMedia[]);
    run.finished_at = now();
    run.duration_ms = deps.clock.now() - opts.accepted_at;
    return opts.outboxFor?.(run);
  });
  deps.bus.emit('run_finished', { run_id: run.run_id, workflow: run.workflow, status: run.status, duration_ms: run.duration_ms, cost_usd: run.cost_usd });
  return run;
}

/** The variables a task's prompt and system prompt reference (`{{name}}`), in order of first use. */
function taskReferences(task: Task): string[] {
  // Without a system prompt the prompt's own scan (the same text run after run, see variables.ts); with one,
  // the two as one text, as always.
  return extractReferences(task.system === undefined ? task.prompt : `${task.prompt}\n${task.system}`);
}
