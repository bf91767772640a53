import { getHealth, getStats, type Health, type StatsSnapshot } from '../api.js';
import { BREAKER_LABEL, breakerTone, StateBadge } from '../components/state-badge.js';
import { ErrorNote } from '../components/error-note.js';
import { usePoll } from '../hooks/use-poll.js';

/** Read every second: a breaker that opens shows here within a second. */
const POLL_MS = 1000;

const ms = (v: number | null | undefined) => (v === null || v === undefined ? '—' : `${Math.round(v)} ms`);
const kinds = (byKind: Record<string, number>) =>
  Object.entries(byKind)
    .sort((a, b) => b[1] - a[1])
    .map(([kind, n]) => `${kind} ${n}`)
    .join(', ') || '—';

/**
 * Models and providers: each model's breaker (GET /health, the live state), its calls, failures by
 * kind, retries, fallbacks and latency (GET /stats), and each provider's limiter against its
 * configured limits: calls in flight, calls waiting, requests started this minute.
 */
export function Models() {
  const polled = usePoll(async (signal) => {
    const [health, stats] = await Promise.all([getHealth(signal), getStats(signal)]);
    return { health, stats };
  }, POLL_MS);
  const { data, error } = polled;
  return (
    <section aria-labelledby="models-title">
      <h1 id="models-title">Models and providers</h1>
      <ErrorNote error={error} />
      {!data ? <p>Loading…</p> : <ModelTable health={data.health} stats={data.stats} />}
      {data && <ProviderTable health={data.health} />}
    </section>
  );
}

function ModelTable(props: { health: Health; stats: StatsSnapshot }) {
  const names = Object.keys(props.health.models).sort();
  return (
    <div class="table-wrap">
      <table class="models">
        <caption>Models: breaker, calls and latency since start</caption>
        <thead>
          <tr>
            <th scope="col">Model</th>
            <th scope="col">Provider</th>
            <th scope="col">Breaker</th>
            <th scope="col" class="num">Calls</th>
            <th scope="col" class="num">Failures</th>
            <th scope="col">Failures by kind</th>
            <th scope="col" class="num">Retries</th>
            <th scope="col" class="num">Fallbacks out / in</th>
            <th scope="col" class="num">p50</th>
            <th scope="col" class="num">p95</th>
          </tr>
        </thead>
        <tbody>
          {names.map((name) => {
            const h = props.health.models[name]!;
            const s = props.stats.models[name];
            return (
              <tr key={name} data-model={name} data-breaker={h.circuit} class={`breaker-${h.circuit}`}>
                <th scope="row">{name}</th>
                <td>{h.provider}</td>
                <td>
                  <StateBadge tone={breakerTone(h.circuit)} label={BREAKER_LABEL[h.circuit]} title={s ? `opened ${s.breaker.opens} times` : undefined} />
                </td>
                <td class="num">{s?.calls ?? 0}</td>
                <td class="num">{s?.failures ?? 0}</td>
                <td>{s ? kinds(s.failures_by_kind) : '—'}</td>
                <td class="num">{s?.retries ?? 0}</td>
                <td class="num">
                  {s?.fallbacks ?? 0} / {s?.fallbacks_to ?? 0}
                </td>
                <td class="num">{ms(s?.latency_ms.p50)}</td>
                <td class="num">{ms(s?.latency_ms.p95)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

/** A figure against its limit: a meter (high past 80 %) with the numbers beside it in words. */
function Usage(props: { used: number; limit: number; label: string }) {
  return (
    <span class="usage">
      <meter min={0} max={props.limit} high={props.limit * 0.8} optimum={0} value={props.used} aria-label={props.label} />
      <span class="num">
        {props.used} / {props.limit}
      </span>
    </span>
  );
}

function ProviderTable(props: { health: Health }) {
  const providers = Object.entries(props.health.providers).sort(([a], [b]) => a.localeCompare(b));
  const openModels = (provider: string) =>
    Object.entries(props.health.models).filter(([, m]) => m.provider === provider && m.circuit === 'open').map(([k]) => k);
  return (
    <div class="table-wrap">
      <table class="providers">
        <caption>Providers: rate limiter now</caption>
        <thead>
          <tr>
            <th scope="col">Provider</th>
            <th scope="col">Mode</th>
            <th scope="col">Health</th>
            <th scope="col">In flight / max concurrent</th>
            <th scope="col" class="num">Waiting</th>
            <th scope="col">Used this minute / requests per minute</th>
          </tr>
        </thead>
        <tbody>
          {providers.map(([name, p]) => {
            const open = openModels(name);
            return (
              <tr key={name} data-provider={name} class={open.length ? 'breaker-open' : ''}>
                <th scope="row">{name}</th>
                <td>{p.mode}</td>
                <td>
                  {open.length ? <StateBadge tone="bad" label={`breaker open: ${open.join(', ')}`} /> : <StateBadge tone="ok" label="serving" />}
                </td>
                <td>
                  <Usage used={p.running} limit={p.limits.max_concurrent} label={`${name}: calls in flight`} />
                </td>
                <td class="num">{p.queued}</td>
                <td>
                  {p.reservoir === null ? (
                    '—'
                  ) : (
                    <Usage used={Math.max(0, p.limits.requests_per_minute - p.reservoir)} limit={p.limits.requests_per_minute} label={`${name}: requests this minute`} />
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
