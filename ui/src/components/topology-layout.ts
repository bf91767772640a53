import { Graph, layout } from '@dagrejs/dagre';
import type { Health, ModelInfo } from '../api.js';

export type NodeKind = 'tier' | 'model' | 'provider';
export type Health3 = 'ok' | 'warn' | 'bad' | 'idle';

/** A box of the map, placed by dagre (x, y: its centre). */
export interface MapNode {
  id: string;
  kind: NodeKind;
  label: string;
  /** The state in words, shown under the label (colour is never the only signal). */
  state: string;
  health: Health3;
  x: number;
  y: number;
  width: number;
  height: number;
}

/** An arrow of the map: `route` (tier → model), `serves` (model → provider) or `fallback` (model → next model). */
export interface MapEdge {
  from: string;
  to: string;
  kind: 'route' | 'serves' | 'fallback';
  /** The SVG path: dagre's route, or for a fallback an arc beside the models' column. */
  d: string;
}

export interface TopologyMap {
  nodes: MapNode[];
  edges: MapEdge[];
  width: number;
  height: number;
}

const WIDTH = 170;
const HEIGHT = 46;
/** Roles a workflow tier (H by default) runs on: it plans, runs tasks, and merges. */
const WORKFLOW_ROLES = ['planner', 'default_task_model', 'finisher'];

/**
 * Tiers → models → providers from GET /models (routing roles, fallback chains) and GET /health
 * (live breaker and provider state), laid out left to right by dagre. A tier with a direct model
 * has the role `tier_<X>`; a tier without one runs workflows, drawn to the planner, default task
 * model and finisher. Each model's fallback edge goes to the next model of its chain.
 */
export function topologyMap(models: ModelInfo[], health: Health): TopologyMap {
  const g = new Graph({ multigraph: true });
  g.setGraph({ rankdir: 'LR', nodesep: 18, ranksep: 70, marginx: 10, marginy: 10 });
  g.setDefaultEdgeLabel(() => ({}));
  const nodes = new Map<string, Omit<MapNode, 'x' | 'y'>>();
  const edges: Omit<MapEdge, 'd'>[] = [];
  const add = (node: Omit<MapNode, 'x' | 'y' | 'width' | 'height'>) => {
    nodes.set(node.id, { ...node, width: WIDTH, height: HEIGHT });
    g.setNode(node.id, { width: WIDTH, height: HEIGHT });
  };

  const circuit = (m: ModelInfo) => health.models[m.key]?.circuit ?? m.circuit;
  for (const tier of ['L', 'M', 'H']) {
    const direct = models.filter((m) => m.roles.includes(`tier_${tier}`));
    const targets = direct.length ? direct : models.filter((m) => m.roles.some((r) => WORKFLOW_ROLES.includes(r)));
    const open = targets.filter((m) => circuit(m) === 'open').length;
    add({
      id: `tier:${tier}`,
      kind: 'tier',
      label: `Tier ${tier}${direct.length ? '' : ' (workflow)'}`,
      state: open ? `${open} of ${targets.length} models open` : 'all models closed',
      health: open === targets.length && open > 0 ? 'bad' : open ? 'warn' : 'ok',
    });
    for (const m of targets) edges.push({ from: `tier:${tier}`, to: `model:${m.key}`, kind: 'route' });
  }
  // Models no tier routes to (vision, media, categorizer... or only a fallback) in one box beside the tiers,
  // so every model stands in the models' column.
  const routed = new Set(edges.map((e) => e.to));
  const others = models.filter((m) => !routed.has(`model:${m.key}`));
  if (others.length) {
    add({ id: 'tier:other', kind: 'tier', label: 'Other roles', state: `${others.length} models`, health: 'idle' });
    for (const m of others) edges.push({ from: 'tier:other', to: `model:${m.key}`, kind: 'route' });
  }
  for (const m of models) {
    const state = circuit(m);
    add({
      id: `model:${m.key}`,
      kind: 'model',
      label: m.key,
      state: state === 'closed' ? 'breaker closed' : state === 'open' ? 'breaker OPEN' : 'breaker half-open',
      health: state === 'closed' ? 'ok' : state === 'open' ? 'bad' : 'warn',
    });
    edges.push({ from: `model:${m.key}`, to: `provider:${m.provider}`, kind: 'serves' });
    const next = m.fallbacks[0];
    if (next && models.some((x) => x.key === next)) edges.push({ from: `model:${m.key}`, to: `model:${next}`, kind: 'fallback' });
  }
  for (const [name, p] of Object.entries(health.providers)) {
    const served = models.filter((m) => m.provider === name);
    const open = served.filter((m) => circuit(m) === 'open').length;
    add({
      id: `provider:${name}`,
      kind: 'provider',
      label: name,
      state: served.length === 0 ? `${p.mode}, no models` : `${p.mode}${open ? `, ${open} open` : ''}${p.queued ? `, ${p.queued} waiting` : ''}`,
      health: served.length === 0 ? 'idle' : open === served.length ? 'bad' : open || p.queued ? 'warn' : 'ok',
    });
  }
  // Fallbacks join models of one column: laid out by dagre they would push models into more columns.
  edges.forEach((e, i) => {
    if (e.kind !== 'fallback') g.setEdge(e.from, e.to, {}, String(i));
  });
  layout(g);
  const placed = new Map([...nodes.values()].map((n) => {
    const at = g.node(n.id);
    return [n.id, { ...n, x: at.x, y: at.y }];
  }));
  const graph = g.graph();
  let width = graph.width ?? 0;
  const paths = edges.map((e, i) => {
    if (e.kind !== 'fallback') {
      const points = (g.edge({ v: e.from, w: e.to, name: String(i) })?.points ?? []) as { x: number; y: number }[];
      return { ...e, d: points.map((p, k) => `${k ? 'L' : 'M'} ${p.x} ${p.y}`).join(' ') };
    }
    // An arc out of the right side of one model and into the right side of the other, wider the further apart they are.
    const a = placed.get(e.from)!;
    const b = placed.get(e.to)!;
    const x = a.x + a.width / 2;
    const bulge = 24 + Math.abs(b.y - a.y) / 8;
    width = Math.max(width, x + bulge + 10);
    return { ...e, d: `M ${x} ${a.y} C ${x + bulge} ${a.y}, ${b.x + b.width / 2 + bulge} ${b.y}, ${b.x + b.width / 2} ${b.y}` };
  });
  return { nodes: [...placed.values()], edges: paths, width, height: graph.height ?? 0 };
}
