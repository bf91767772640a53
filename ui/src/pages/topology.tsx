import { useMemo } from 'preact/hooks';
import { getHealth, getModels } from '../api.js';
import { ErrorNote } from '../components/error-note.js';
import { StateBadge } from '../components/state-badge.js';
import { topologyMap, type MapEdge, type MapNode, type TopologyMap } from '../components/topology-layout.js';
import { usePoll } from '../hooks/use-poll.js';

/** Breakers move fast: health every second; the models and their chains change only with the config. */
const HEALTH_MS = 1000;
const MODELS_MS = 10_000;

/**
 * The topology map: tiers → models → providers, fallback arrows between models, each box coloured
 * and worded by its health (GET /models, GET /health), live. The same map as a list follows it.
 */
export function Topology() {
  const models = usePoll((signal) => getModels(signal), MODELS_MS);
  const health = usePoll((signal) => getHealth(signal), HEALTH_MS);
  const map = useMemo(
    () => (models.data && health.data ? topologyMap(models.data.models, health.data) : null),
    [models.data, health.data],
  );
  return (
    <section aria-labelledby="topology-title">
      <h1 id="topology-title">Topology</h1>
      <p class="muted">
        Solid arrows: a tier routes to a model, a model is served by a provider. Dashed arrows: the model a failing model falls back to.
      </p>
      <ErrorNote error={models.error ?? health.error} />
      {!map ? <p>Loading…</p> : <MapView map={map} />}
      {map && <MapList map={map} />}
    </section>
  );
}

function MapView(props: { map: TopologyMap }) {
  const { map } = props;
  const open = map.nodes.filter((n) => n.kind === 'model' && n.health === 'bad').map((n) => n.label);
  return (
    <div class="map-wrap">
      <svg
        class="map"
        viewBox={`0 0 ${map.width} ${map.height}`}
        width={map.width}
        height={map.height}
        role="img"
        aria-label={`Topology: ${map.nodes.filter((n) => n.kind === 'model').length} models; ${open.length ? `breaker open: ${open.join(', ')}` : 'every breaker closed'}`}
      >
        <defs>
          <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
            <path d="M 0 0 L 10 5 L 0 10 z" fill="#5b6470" />
          </marker>
        </defs>
        {map.edges.map((e, i) => (
          <EdgePath key={i} edge={e} />
        ))}
        {map.nodes.map((n) => (
          <NodeBox key={n.id} node={n} />
        ))}
      </svg>
    </div>
  );
}

function EdgePath(props: { edge: MapEdge }) {
  if (!props.edge.d) return null;
  return <path d={props.edge.d} class={`edge edge-${props.edge.kind}`} marker-end="url(#arrow)" data-from={props.edge.from} data-to={props.edge.to} />;
}

const SYMBOL = { ok: '●', warn: '◐', bad: '✕', idle: '○' } as const;

function NodeBox(props: { node: MapNode }) {
  const n = props.node;
  return (
    <g class={`node node-${n.kind} health-${n.health}`} data-node={n.id} data-health={n.health} transform={`translate(${n.x - n.width / 2}, ${n.y - n.height / 2})`}>
      <rect width={n.width} height={n.height} rx={n.kind === 'tier' ? 20 : 6} />
      <text x={10} y={18} class="node-label">
        {n.label}
      </text>
      <text x={10} y={36} class="node-state">
        {SYMBOL[n.health]} {n.state}
      </text>
    </g>
  );
}

/** The map in words: each tier's models, each model's provider, fallback and state. */
function MapList(props: { map: TopologyMap }) {
  const { map } = props;
  const byId = new Map(map.nodes.map((n) => [n.id, n]));
  const out = (from: string, kind: MapEdge['kind']) => map.edges.filter((e) => e.from === from && e.kind === kind).map((e) => byId.get(e.to)!);
  const models = map.nodes.filter((n) => n.kind === 'model');
  return (
    <details class="map-list">
      <summary>The map as a list</summary>
      <ul>
        {map.nodes
          .filter((n) => n.kind === 'tier')
          .map((t) => (
            <li key={t.id}>
              <strong>{t.label}</strong> — {t.state}: {out(t.id, 'route').map((m) => m.label).join(', ')}
            </li>
          ))}
      </ul>
      <ul>
        {models.map((m) => (
          <li key={m.id} data-model={m.label}>
            <strong>{m.label}</strong> <StateBadge tone={m.health} label={m.state} /> on {out(m.id, 'serves').map((p) => p.label).join(', ')}
            {out(m.id, 'fallback').length > 0 && <> · falls back to {out(m.id, 'fallback').map((f) => f.label).join(', ')}</>}
          </li>
        ))}
      </ul>
    </details>
  );
}
