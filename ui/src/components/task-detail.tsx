import type { RunResult, TaskRecord } from '../runs-api.js';
import { usd, when } from '../runs-api.js';
import { TASK_SYMBOL, type TaskView } from './run-graph.js';

/**
 * One task of a run, as its record has it: the prompt after substitution, its output (the
 * variable it wrote), model (and whether a fallback answered), every attempt with its replica,
 * tokens, cost and time, and its error.
 */
export function TaskDetail(props: { run: RunResult; task: TaskRecord; view: TaskView; retries: number; onClose: () => void }) {
  const { task, run } = props;
  const variable = task.output_variable ?? task.id;
  const output = Object.hasOwn(run.variables, variable) ? run.variables[variable] : undefined;
  return (
    <section class="task-detail" aria-labelledby="task-detail-title" data-testid="task-detail">
      <header>
        <h2 id="task-detail-title">
          Task <code>{task.id}</code>
        </h2>
        <button type="button" onClick={props.onClose}>
          Close
        </button>
      </header>
      <dl class="facts">
        <dt>State</dt>
        <dd class={`task-${props.view}`} data-state={props.view}>
          <span aria-hidden="true">{TASK_SYMBOL[props.view]}</span> {props.view}
          {props.retries > 0 ? ` (${props.retries} retr${props.retries === 1 ? 'y' : 'ies'} seen)` : ''}
        </dd>
        <dt>Queue</dt>
        <dd>{task.queue}</dd>
        <dt>Model</dt>
        <dd>
          {task.model_used ?? '—'}
          {task.fallback_used ? ' (a fallback answered)' : ''}
        </dd>
        <dt>Replica</dt>
        <dd>{task.replica ?? '—'}</dd>
        <dt>Model calls</dt>
        <dd>{task.calls}</dd>
        <dt>Tokens</dt>
        <dd>
          {task.usage.prompt_tokens} in · {task.usage.completion_tokens} out · {task.usage.total_tokens} total
        </dd>
        <dt>Cost</dt>
        <dd>{usd(task.cost_usd)}</dd>
        <dt>Started</dt>
        <dd>{when(task.started_at)}</dd>
        <dt>Duration</dt>
        <dd>{task.duration_ms ? `${task.duration_ms} ms` : '—'}</dd>
        <dt>Writes</dt>
        <dd>
          <code>{`{{${variable}}}`}</code>
        </dd>
        <dt>Uses</dt>
        <dd>{task.references && task.references.length > 0 ? task.references.map((r) => <code key={r}>{`{{${r}}} `}</code>) : '—'}</dd>
      </dl>
      {task.truncated && <p class="muted">The answer stopped at the task's token limit (finish_reason: length).</p>}
      {task.error && (
        <p class="error" role="status">
          {task.error.kind}: {task.error.message}
        </p>
      )}
      <h3>Attempts</h3>
      {task.attempts.length === 0 ? (
        <p class="muted">Not started yet.</p>
      ) : (
        <ol class="attempts">
          {task.attempts.map((a, i) => (
            <li key={i}>
              {a.status} on <code>{a.replica}</code> at {when(a.started_at)}
            </li>
          ))}
        </ol>
      )}
      <h3>Prompt (after substitution)</h3>
      {task.prompt ? <pre class="text-block" data-testid="task-prompt">{task.prompt}</pre> : <p class="muted">Shown once the task starts.</p>}
      <h3>Output</h3>
      {output !== undefined ? <pre class="text-block" data-testid="task-output">{output}</pre> : <p class="muted">No output yet.</p>}
    </section>
  );
}
