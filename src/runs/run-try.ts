import type { TokenSink, TokenSource } from '../orchestrator/stream-call.js';
import type { FastifyBaseLogger } from 'fastify';
import { roundUsd } from '../orchestrator/ledger.js';
import { executeWorkflow, type Emit, type ExecutorDeps } from '../orchestrator/workflow/executor.js';
import { RunRecorder } from '../orchestrator/workflow/run-recorder.js';
import type { RunResult } from '../orchestrator/workflow/types.js';
import type { OutboxMessage } from '../store/outbox-types.js';
import type { RunSpec, Stores } from '../store/types.js';
import { RunEventWriter } from './event-writer.js';
import { turnWritesOf } from './turn-writes.js';
import { ATTR, contextOf, failSpan, inSpan, tracingOn } from '../telemetry/spans.js';

/** What one try of a run needs beyond the executor's collaborators. */
export interface RunTryDeps extends ExecutorDeps {
  stores: Stores;
  log: FastifyBaseLogger;
  replica: string;
  /** The webhook messages of a run's final status, written with its final record in one transaction. */
  outboxFor?: (run: RunResult) => readonly OutboxMessage[];
}

export interface RunTryOptions {
  /** The try's signal: cancel, deadline, or `shutdown` (hand back). */
  signal: AbortSignal;
  shouldYield: () => boolean;
  /** The waiting caller's progress stream, if a caller on this replica waits. */
  emit?: Emit;
  onToken?: TokenSink;
}

/**
 * One try of a durable run on this replica: runs (or resumes) the committed
 * record with every event appended to the run's log, and, when the run reaches
 * a final status, appends its last event `completed` with the record. A run
 * handed back (status `queued` again) gets `run_handed_back` instead.
 */
export async function runTry(deps: RunTryDeps, record: RunResult, spec: RunSpec, opts: RunTryOptions): Promise<RunResult> {
  // Tracing off: the try alone (no attributes object or closure per run).
  if (!tracingOn()) return tryRun(deps, record, spec, opts);
  // The try's span is a child of the context the run was submitted under (the request's span), also
  // when it resumes on another replica or after a restart: one trace per run, however often it resumes.
  const attributes = {
    [ATTR.runId]: record.run_id,
    [ATTR.configVersion]: record.config_version ?? '',
    [ATTR.requestId]: spec.request_id,
    [ATTR.resumed]: record.resumed,
    'mo.workflow': record.workflow,
  };
  return inSpan('workflow', { parent: contextOf(spec.trace), attributes }, async (span) => {
    const run = await tryRun(deps, record, spec, opts);
    span?.setAttributes({ 'mo.run.status': run.status, [ATTR.costUsd]: run.cost_usd });
    if (span && (run.status === 'failed' || run.status === 'timed_out')) failSpan(span, undefined, run.status);
    return run;
  });
}

async function tryRun(deps: RunTryDeps, record: RunResult, spec: RunSpec, opts: RunTryOptions): Promise<RunResult> {
  const batch = turnWritesOf(deps.stores);
  const writer = new RunEventWriter(deps.stores.events, record.run_id, deps.log, batch);
  const emit: Emit = (event, data) => {
    writer.append(event, data);
    opts.emit?.(event, data);
  };
  const onToken = opts.onToken
    ? (text: string, from: TokenSource) => {
        writer.append('token', { run_id: record.run_id, request_id: spec.request_id, text, model: from.model, simulated: from.simulated });
        opts.onToken!(text, from);
      }
    : undefined;
  const recorder = new RunRecorder(record, deps.stores.runs, deps.log, batch);
  const run = await executeWorkflow(deps, {
    recorder,
    workflow: spec.workflow,
    request_id: spec.request_id,
    key_id: spec.key_id,
    outboxFor: deps.outboxFor,
    signal: opts.signal,
    deadline: spec.deadline,
    accepted_at: spec.accepted_at,
    goal: spec.goal,
    replica: deps.replica,
    shouldYield: opts.shouldYield,
    emit,
    onToken,
  });
  if (run.status === 'queued') writer.append('run_handed_back', { run_id: run.run_id, request_id: spec.request_id, replica: deps.replica });
  else writer.append('completed', run);
  await writer.flush();
  return run;
}

/**
 * Ends a run that never ran (cancelled or out of time while queued): records
 * the status, appends `completed`, and tells stats like any finished run.
 */
export async function concludeUnstarted(
  deps: RunTryDeps,
  record: RunResult,
  status: 'cancelled' | 'timed_out',
  reason: string,
): Promise<RunResult> {
  record.status = status;
  record.failure_report = reason;
  record.finished_at = new Date(deps.clock.now()).toISOString();
  record.duration_ms = deps.clock.now() - Date.parse(record.started_at);
  record.cost_usd = roundUsd(record.cost_usd);
  await deps.stores.runs.save(record, deps.outboxFor?.(record)).catch((err: unknown) => deps.log.error({ err, run_id: record.run_id }, 'saving the run record failed'));
  await deps.stores.events
    .append(record.run_id, 'completed', record)
    .catch((err: unknown) => deps.log.error({ err, run_id: record.run_id }, 'appending to the run event log failed'));
  deps.bus.emit('run_finished', { run_id: record.run_id, workflow: record.workflow, status, duration_ms: record.duration_ms, cost_usd: record.cost_usd });
  return record;
}
