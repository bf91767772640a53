import { useMemo } from 'preact/hooks';
import type { TaskRecord } from '../runs-api.js';
import { layoutRun } from './run-layout.js';

/** What the console shows for a task: the record's status, with `retried` while a retry is under way. */
export type TaskView = 'queued' | 'running' | 'retried' | 'completed' | 'failed' | 'skipped';

export const TASK_SYMBOL: Record<TaskView, string> = { queued: '○', running: '▶', retried: '↻', completed: '✓', failed: '✕', skipped: '⤼' };

/** A task's shown state from its record and the retries seen in its events. */
export function taskView(task: TaskRecord, retries: number): TaskView {
  if (task.status === 'pending') return 'queued';
  if (task.status === 'running') return retries > 0 ? 'retried' : 'running';
  return task.status;
}

const path = (points: { x: number; y: number }[]): string => points.map((p, i) => `${i === 0 ? 'M' : 'L'}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' ');

/**
 * The run's workflow as a graph: each task a button (opens its details) showing its id, model
 * and state in words and symbol as well as colour; arrows for the variables between them.
 */
export function RunGraph(props: {
  tasks: TaskRecord[];
  views: Map<string, TaskView>;
  retries: Map<string, number>;
  selected: string | null;
  onSelect: (taskId: string) => void;
}) {
  // The shape only changes with the task list, never with states: lay it out once per run.
  const shapeKey = props.tasks.map((t) => `${t.id}/${t.queue}/${t.output_variable ?? ''}/${(t.references ?? []).join(',')}`).join('|');
  const placed = useMemo(() => layoutRun(props.tasks), [shapeKey]);
  const byId = new Map(props.tasks.map((t) => [t.id, t]));
  return (
    <div class="run-graph-scroll" role="group" aria-label="Workflow graph">
      <div class="run-graph" style={{ width: `${placed.width}px`, height: `${placed.height}px` }}>
        <svg width={placed.width} height={placed.height} aria-hidden="true">
          <defs>
            <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
              <path d="M0,0 L10,5 L0,10 z" fill="#5b6470" />
            </marker>
          </defs>
          {placed.edges.map((e) => (
            <g key={e.key}>
              <path d={path(e.points)} class={e.variable ? 'edge' : 'edge edge-order'} marker-end="url(#arrow)" />
              {e.variable && e.label && (
                <text x={e.label.x} y={e.label.y + 4} class="edge-label" text-anchor="middle">
                  {`{{${e.variable}}}`}
                </text>
              )}
            </g>
          ))}
        </svg>
        {placed.nodes.map((n) => {
          const style = { left: `${n.x - n.width / 2}px`, top: `${n.y - n.height / 2}px`, width: `${n.width}px`, height: `${n.height}px` };
          if (n.kind === 'input') {
            return (
              <div key={`input:${n.id}`} class="graph-input" style={style} title={`input {{${n.id}}}`}>
                input <code>{n.id}</code>
              </div>
            );
          }
          const task = byId.get(n.id)!;
          const view = props.views.get(n.id) ?? 'queued';
          const retries = props.retries.get(n.id) ?? 0;
          return (
            <button
              key={`task:${n.id}`}
              type="button"
              class={`graph-task task-${view}`}
              style={style}
              data-task={n.id}
              data-state={view}
              aria-pressed={props.selected === n.id}
              aria-label={`task ${n.id}, ${task.queue}, ${view}${retries ? `, ${retries} retries` : ''}`}
              onClick={() => props.onSelect(n.id)}
            >
              <span class="task-id">{n.id}</span>
              <span class="task-state">
                <span aria-hidden="true">{TASK_SYMBOL[view]}</span> {view}
                {retries > 0 && view !== 'retried' ? ` · ${retries} retr${retries === 1 ? 'y' : 'ies'}` : ''}
              </span>
              <span class="task-model">{task.model_used ?? task.queue}</span>
            </button>
          );
        })}
      </div>
    </div>
  );
}
