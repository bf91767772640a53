import { Graph, layout } from '@dagrejs/dagre';
import { useMemo } from 'preact/hooks';
import type { TaskRecord } from '../runs-api.js';

/** What the console shows for a task: the record's status, with `retried` while a retry is under way. */
export type TaskView = 'queued' | 'running' | 'retried' | 'completed' | 'failed' | 'skipped';

export const TASK_SYMBOL: Record<TaskView, string> = { queued: '○', running: '▶', retried: '↻', completed: '✓', failed: '✕', skipped: '⤼' };

/** A task's shown state from its record and the retries seen in its events. */
export function taskView(task: TaskRecord, retries: number): TaskView {
  if (task.status === 'pending') return 'queued';
  if (task.status === 'running') return retries > 0 ? 'retried' : 'running';
  return task.status;
}

const TASK_W = 180;
const TASK_H = 62;
const INPUT_W = 120;
const INPUT_H = 30;

interface PlacedNode {
  id: string;
  kind: 'task' | 'input';
  x: number;
  y: number;
  width: number;
  height: number;
}

interface PlacedEdge {
  key: string;
  points: { x: number; y: number }[];
  /** The variable carried, or null for "runs after" (inline order). */
  variable: string | null;
  label?: { x: number; y: number };
}

export interface RunLayout {
  width: number;
  height: number;
  nodes: PlacedNode[];
  edges: PlacedEdge[];
}

/**
 * Lays the workflow out with dagre, top to bottom: the inputs its prompts use, then the linear
 * tasks side by side (they all start at once), then the inline tasks one under another in order.
 * An arrow per `{{variable}}` goes from the task (or input) that provides it to each task that uses
 * it; dashed arrows join consecutive inline tasks (they run in that order).
 */
export function layoutRun(tasks: TaskRecord[]): RunLayout {
  const g = new Graph({ multigraph: true });
  g.setGraph({ rankdir: 'TB', nodesep: 28, ranksep: 54, edgesep: 12, marginx: 12, marginy: 12 });
  g.setDefaultEdgeLabel(() => ({}));
  const producer = new Map<string, string>();
  for (const t of tasks) producer.set(t.output_variable ?? t.id, t.id);
  for (const t of tasks) g.setNode(`task:${t.id}`, { width: TASK_W, height: TASK_H });
  const inputs = new Set<string>();
  for (const t of tasks) for (const v of t.references ?? []) if (!producer.has(v)) inputs.add(v);
  for (const v of inputs) g.setNode(`input:${v}`, { width: INPUT_W, height: INPUT_H });

  const linked = new Set<string>();
  for (const t of tasks) {
    for (const v of t.references ?? []) {
      const from = producer.has(v) ? `task:${producer.get(v)}` : `input:${v}`;
      if (from === `task:${t.id}`) continue;
      g.setEdge(from, `task:${t.id}`, { variable: v, width: v.length * 7 + 16, height: 16, labelpos: 'c' }, `var:${v}`);
      linked.add(`${from}>task:${t.id}`);
    }
  }
  const linear = tasks.filter((t) => t.queue === 'linear');
  const inline = tasks.filter((t) => t.queue === 'inline');
  inline.forEach((t, i) => {
    const next = inline[i + 1];
    // Consecutive inline tasks run in order; a dashed arrow says so where no variable arrow already joins them.
    if (next && !linked.has(`task:${t.id}>task:${next.id}`)) g.setEdge(`task:${t.id}`, `task:${next.id}`, { variable: null, minlen: 1 }, 'order');
  });
  // Layout only: the inline queue starts after every linear task, so it sits below them.
  const first = inline[0];
  if (first) for (const t of linear) if (!linked.has(`task:${t.id}>task:${first.id}`)) g.setEdge(`task:${t.id}`, `task:${first.id}`, { hidden: true, weight: 0 }, 'after');

  layout(g);
  const nodes: PlacedNode[] = g.nodes().map((name) => {
    const n = g.node(name) as { x: number; y: number; width: number; height: number };
    const [kind, ...rest] = name.split(':');
    return { id: rest.join(':'), kind: kind as 'task' | 'input', x: n.x, y: n.y, width: n.width, height: n.height };
  });
  const edges: PlacedEdge[] = g
    .edges()
    .map((e) => ({ e, label: g.edge(e) as { points: { x: number; y: number }[]; variable?: string | null; hidden?: boolean; x?: number; y?: number } }))
    .filter(({ label }) => !label.hidden)
    .map(({ e, label }) => ({
      key: `${e.v}>${e.w}>${e.name ?? ''}`,
      points: label.points,
      variable: label.variable ?? null,
      ...(label.variable && label.x !== undefined && label.y !== undefined ? { label: { x: label.x, y: label.y } } : {}),
    }));
  const graph = g.graph() as { width?: number; height?: number };
  return { width: Math.ceil(graph.width ?? 0), height: Math.ceil(graph.height ?? 0), nodes, edges };
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
