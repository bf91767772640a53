import { Graph, layout } from '@dagrejs/dagre';

/** What the layout needs of a task (a run record's task has these fields). */
export interface LayoutTask {
  id: string;
  queue: 'linear' | 'inline';
  output_variable?: string;
  references?: string[];
}

const TASK_W = 180;
const TASK_H = 62;
const INPUT_W = 120;
const INPUT_H = 30;

export interface PlacedNode {
  id: string;
  kind: 'task' | 'input';
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface PlacedEdge {
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
export function layoutRun(tasks: LayoutTask[]): RunLayout {
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
  const nodes: PlacedNode[] = g.nodes().map((name: string) => {
    const n = g.node(name) as { x: number; y: number; width: number; height: number };
    const [kind, ...rest] = name.split(':');
    return { id: rest.join(':'), kind: kind as 'task' | 'input', x: n.x, y: n.y, width: n.width, height: n.height };
  });
  type DrawnEdge = { e: { v: string; w: string; name?: string }; label: { points: { x: number; y: number }[]; variable?: string | null; hidden?: boolean; x?: number; y?: number } };
  const edges: PlacedEdge[] = (g.edges() as DrawnEdge['e'][])
    .map((e): DrawnEdge => ({ e, label: g.edge(e) as DrawnEdge['label'] }))
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
