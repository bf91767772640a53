/* How a run ends: its output, status and failure report, decided once every task has ended. */
import { cancelCauseOf, type CancelCause } from '../cancellation.js';
import { reportFailures } from '../failure-reporter.js';
import { finish, type NamedOutput } from '../finisher.js';
import type { Ledger } from '../ledger.js';
import type { ExecuteOptions, ExecutorDeps } from './executor.js';
import type { RunStatus, Task, TaskRecord, Workflow } from './types.js';
import { outputName } from './validate.js';

/**
 * Why the run must stop, if it must: its signal aborted, or its deadline passed.
 * The gateway may notice the deadline a moment before the run's timer fires;
 * either way the run timed out.
 */
export function stopCause(deps: ExecutorDeps, opts: ExecuteOptions): CancelCause | null {
  return cancelCauseOf(opts.signal) ?? (deps.clock.now() >= opts.deadline ? 'deadline' : null);
}

/** The task whose answer is the run's output when nothing runs after it, so it may stream. */
export function finalStep(wf: Workflow): Task | undefined {
  const last = wf.inline_queue.at(-1);
  if (last) return wf.output === undefined || outputName(last) === wf.output ? last : undefined;
  if (wf.linear_queue.length === 1) {
    const only = wf.linear_queue[0]!;
    return wf.output === undefined || outputName(only) === wf.output ? only : undefined;
  }
  return undefined;
}

/** How a run ends: what the executor writes into the record with its final save (RunRecorder.finish). */
export interface Conclusion {
  status: RunStatus;
  output: string | null;
  failure_report: string | null;
}

/**
 * Decides the run's output, status and failure report once every task has ended. The record is
 * not changed here: the final save sets them (with finished_at) in the turn it writes them.
 */
export async function concludeRun(
  deps: ExecutorDeps,
  opts: ExecuteOptions,
  ledger: Ledger,
  recordOf: (taskId: string) => TaskRecord,
  producer: ReadonlyMap<string, Task>,
): Promise<Conclusion> {
  const { workflow: wf, signal, recorder } = opts;
  const run = recorder.record;
  const values = run.variables;
  const context = { run_id: run.run_id, request_id: opts.request_id, ...(opts.key_id ? { key_id: opts.key_id } : {}), session_id: run.session_id ?? undefined };
  const completed = (name: string) => {
    const task = producer.get(name);
    return task ? recordOf(task.id).status === 'completed' : Object.hasOwn(values, name);
  };
  const notes: string[] = [];

  let output: string | null = null;
  if (wf.output !== undefined) {
    output = completed(wf.output) ? (values[wf.output] ?? null) : null;
  } else if (wf.inline_queue.length > 0) {
    const name = outputName(wf.inline_queue.at(-1)!);
    output = completed(name) ? (values[name] ?? null) : null;
  } else {
    const outputs: NamedOutput[] = wf.linear_queue
      .filter((t) => recordOf(t.id).status === 'completed')
      .map((t) => ({ name: outputName(t), task_id: t.id, text: values[outputName(t)] ?? '' }));
    if (outputs.length === 1) output = outputs[0]!.text;
    else if (outputs.length > 1 && !stopCause(deps, opts)) {
      try {
        // The tasks' events (sent once their results are written) come before the merge's tokens.
        await recorder.flush();
        const merged = await finish(deps, { goal: opts.goal, outputs, signal, deadline: opts.deadline, context, ledger, onDelta: opts.onToken });
        output = merged.text;
      } catch (err) {
        if (!stopCause(deps, opts)) {
          deps.log.warn({ err, run_id: run.run_id }, 'finisher failed; returning the outputs side by side');
          notes.push('The step that merges the results failed, so the results are returned side by side.');
          output = outputs.map((o) => `## ${o.name}\n\n${o.text}`).join('\n\n');
        }
      }
    }
  }
  const cause = stopCause(deps, opts);
  const troubled = run.tasks.some((t) => t.status !== 'completed') || notes.length > 0;
  if (cause) {
    const unfinished = run.tasks.filter((t) => t.status !== 'completed').map((t) => `'${t.id}'`);
    return {
      status: cause === 'deadline' ? 'timed_out' : 'cancelled',
      output,
      failure_report:
        (cause === 'deadline' ? `The run ran out of time after ${Math.round((opts.deadline - opts.accepted_at) / 1000)} s` : 'The run was cancelled') +
        (unfinished.length > 0 ? `; tasks ${unfinished.join(', ')} did not finish.` : '.'),
    };
  }
  const status = output === null ? 'failed' : troubled ? 'partial' : 'completed';
  let failure_report: string | null = null;
  if (troubled) {
    const available = [...producer.keys()].filter((name) => completed(name));
    failure_report = await reportFailures(deps, {
      goal: opts.goal,
      tasks: run.tasks,
      available,
      output,
      notes,
      signal,
      deadline: opts.deadline,
      context,
      ledger,
    });
  }
  return { status, output, failure_report };
}
