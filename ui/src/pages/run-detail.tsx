import { useCallback, useEffect, useState } from 'preact/hooks';
import { Link } from 'wouter-preact';
import { describeError } from '../api.js';
import { ErrorNote } from '../components/error-note.js';
import { RunGraph, taskView, type TaskView } from '../components/run-graph.js';
import { RunStatusBadge } from '../components/run-status.js';
import { TaskDetail } from '../components/task-detail.js';
import { useRunEvents, type RunEvent } from '../hooks/use-run-events.js';
import { cancelRun, getRun, usd, when, type RunResult, type TaskRecord } from '../runs-api.js';
import './operations.css';

const FINAL = new Set(['completed', 'partial', 'failed', 'cancelled', 'timed_out']);

/** Applies one event of the run's log to the record the page shows. */
function apply(run: RunResult, e: RunEvent): RunResult {
  const setTask = (id: string, change: (t: TaskRecord) => TaskRecord): RunResult => ({
    ...run,
    tasks: run.tasks.map((t) => (t.id === id ? change(t) : t)),
  });
  switch (e.event) {
    case 'task_started': {
      const id = String(e.data.task_id);
      return {
        ...setTask(id, (t) => ({ ...t, status: 'running', started_at: (e.data.started_at as string) ?? t.started_at, model_used: t.model_used ?? ((e.data.model as string) || null) })),
        status: run.status === 'queued' ? 'running' : run.status,
      };
    }
    case 'task_completed':
    case 'task_failed': {
      const task = e.data.task as TaskRecord | undefined;
      if (!task) return run;
      const next = setTask(task.id, (t) => ({ ...t, ...task }));
      const output = e.data.output;
      const variable = task.output_variable ?? task.id;
      return typeof output === 'string' ? { ...next, variables: { ...next.variables, [variable]: output } } : next;
    }
    case 'completed':
      return e.data as unknown as RunResult;
    default:
      return run;
  }
}

/**
 * A run's page: its workflow drawn as a graph whose tasks change colour, symbol and words as they
 * go queued → running → retried → completed / failed / skipped, live from GET /runs/{id}/events;
 * a task's details on click; cancel while it is queued or running.
 */
export function RunDetail(props: { params: { id: string } }) {
  const id = props.params.id;
  const [run, setRun] = useState<RunResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [streamError, setStreamError] = useState<string | null>(null);
  const [retries, setRetries] = useState<Map<string, number>>(new Map());
  const [selected, setSelected] = useState<string | null>(null);
  const [cancelling, setCancelling] = useState(false);

  useEffect(() => {
    const controller = new AbortController();
    setRun(null);
    setRetries(new Map());
    getRun(id, controller.signal)
      .then(setRun)
      .catch((err: unknown) => !controller.signal.aborted && setError(describeError(err)));
    return () => controller.abort();
  }, [id]);

  // The log replays from the start, so the page's state is the record plus every event, whenever it opens.
  useRunEvents(
    id,
    useCallback((e: RunEvent) => {
      if (e.event === 'task_retry') {
        const task = String(e.data.task_id);
        setRetries((prev) => new Map(prev).set(task, (prev.get(task) ?? 0) + 1));
      }
      if (e.event === 'task_started') {
        // A new try starts afresh; retries count within a try.
        const task = String(e.data.task_id);
        setRetries((prev) => (prev.has(task) ? new Map(prev).set(task, 0) : prev));
      }
      setRun((prev) => (prev ? apply(prev, e) : prev));
    }, []),
    setStreamError,
  );

  const cancel = async () => {
    setCancelling(true);
    try {
      setRun(await cancelRun(id));
      setError(null);
    } catch (err) {
      setError(describeError(err));
    } finally {
      setCancelling(false);
    }
  };

  if (!run) {
    return (
      <section>
        <h1>Run {id}</h1>
        <ErrorNote error={error} />
        {!error && <p>Loading…</p>}
      </section>
    );
  }
  const views = new Map<string, TaskView>(run.tasks.map((t) => [t.id, taskView(t, retries.get(t.id) ?? 0)]));
  const task = selected ? run.tasks.find((t) => t.id === selected) : undefined;
  // While it runs, the record's totals are only written at the end: add up the finished tasks instead.
  const cost = run.finished_at ? run.cost_usd : run.tasks.reduce((sum, t) => sum + t.cost_usd, 0);
  const tokens = run.finished_at ? run.usage.total_tokens : run.tasks.reduce((sum, t) => sum + t.usage.total_tokens, 0);
  const counts = new Map<TaskView, number>();
  for (const v of views.values()) counts.set(v, (counts.get(v) ?? 0) + 1);
  return (
    <section aria-labelledby="run-title" class="run-page" data-run-status={run.status}>
      <p>
        <Link href="/runs">← All runs</Link>
      </p>
      <h1 id="run-title">
        Run <code>{run.run_id}</code> · {run.workflow}
      </h1>
      <div class="controls">
        <RunStatusBadge status={run.status} />
        <span>
          started {when(run.started_at)}
          {run.finished_at ? ` · finished ${when(run.finished_at)}` : ''}
        </span>
        <span>cost {usd(cost)}</span>
        <span>{tokens} tokens</span>
        {run.session_id && <span>session <code>{run.session_id}</code></span>}
        {!FINAL.has(run.status) && (
          <button type="button" onClick={() => void cancel()} disabled={cancelling}>
            {cancelling ? 'Cancelling…' : 'Cancel run'}
          </button>
        )}
      </div>
      <ErrorNote error={error} />
      {streamError && <p class="muted" role="status">Live updates interrupted: {streamError} (retrying)</p>}
      <p class="muted" aria-live="polite" data-testid="task-counts">
        {[...counts.entries()].map(([v, n]) => `${n} ${v}`).join(' · ')}
      </p>
      <div class="run-layout">
        <RunGraph tasks={run.tasks} views={views} retries={retries} selected={selected} onSelect={setSelected} />
        {task && (
          <TaskDetail run={run} task={task} view={views.get(task.id)!} retries={retries.get(task.id) ?? 0} onClose={() => setSelected(null)} />
        )}
      </div>
      {run.output !== null && FINAL.has(run.status) && (
        <>
          <h2>Output</h2>
          <pre class="text-block" data-testid="run-output">{run.output}</pre>
        </>
      )}
      {run.failure_report && (
        <>
          <h2>Failure report</h2>
          <pre class="text-block">{run.failure_report}</pre>
        </>
      )}
    </section>
  );
}
