import { useState } from 'preact/hooks';
import { getTimeseries, type TimeseriesResponse, type TimeseriesSeries } from '../api.js';
import { Chart, formatNumber } from '../components/chart.js';
import { ErrorNote } from '../components/error-note.js';
import { usePoll } from '../hooks/use-poll.js';

type Window = '1h' | '1d';
type By = 'tier' | 'model';

/** The last hour moves every 10 s bucket and its current bucket every request: read it every 2 s; the day every 10 s. */
const POLL_MS: Record<Window, number> = { '1h': 2000, '1d': 10_000 };
const WINDOW_LABEL: Record<Window, string> = { '1h': 'Last hour', '1d': 'Last day' };
const TIER_LABEL: Record<string, string> = { L: 'Tier L', M: 'Tier M', H: 'Tier H', none: 'No tier (model named)' };

const pct = (v: number | null) => (v === null ? '—' : `${formatNumber(v * 100)} %`);
const msText = (v: number | null) => (v === null ? '—' : `${formatNumber(v)} ms`);
const usd = (v: number) => `$${v < 0.01 && v > 0 ? v.toPrecision(2) : v.toFixed(2)}`;

/**
 * Overview: requests/s, error rate, p50/p95 latency, cost per hour and cache hit rate over the last
 * hour or day (GET /stats/timeseries), in total and by tier or by model, updating live.
 */
export function Overview() {
  const [window, setWindow] = useState<Window>('1h');
  const [by, setBy] = useState<By>('tier');
  const { data, error } = usePoll((signal) => getTimeseries(window, by, signal), POLL_MS[window], [window, by]);
  return (
    <section aria-labelledby="overview-title">
      <h1 id="overview-title">Overview</h1>
      <div class="controls">
        <Choice legend="Window" name="window" value={window} options={[['1h', 'Last hour'], ['1d', 'Last day']]} onChange={(v) => setWindow(v as Window)} />
        <Choice legend="Group by" name="by" value={by} options={[['tier', 'Tier'], ['model', 'Model']]} onChange={(v) => setBy(v as By)} />
        {data && (
          <span class="muted" aria-live="polite">
            {data.bucket_s} s buckets · updated {new Date(data.now).toLocaleTimeString()}
          </span>
        )}
      </div>
      <ErrorNote error={error} />
      {!data ? <p>Loading…</p> : <Figures data={data} />}
    </section>
  );
}

function Choice(props: { legend: string; name: string; value: string; options: [string, string][]; onChange: (v: string) => void }) {
  return (
    <fieldset>
      <legend>{props.legend}</legend>
      {props.options.map(([value, label]) => (
        <label key={value}>
          <input type="radio" name={props.name} value={value} checked={props.value === value} onChange={() => props.onChange(value)} /> {label}
        </label>
      ))}
    </fieldset>
  );
}

function Figures(props: { data: TimeseriesResponse }) {
  const { data } = props;
  const s = data.total.summary;
  const groups = Object.entries(data.groups);
  const label = (key: string) => (data.by === 'tier' ? (TIER_LABEL[key] ?? key) : key);
  const what = data.by === 'model' ? 'calls' : 'requests';
  const lines = (pick: (series: TimeseriesSeries) => (number | null)[]) => groups.map(([key, series]) => ({ label: label(key), values: pick(series) }));
  return (
    <>
      <h2>{WINDOW_LABEL[data.window as Window]}, all requests</h2>
      <div class="cards">
        <Card id="rps" label="Requests / s" value={formatNumber(s.requests_per_s)} note={`${s.requests} requests`} />
        <Card id="error-rate" label="Error rate (5xx)" value={pct(s.error_rate)} note={`${s.errors} errors`} />
        <Card id="p50" label="Latency p50" value={msText(s.latency_ms.p50)} />
        <Card id="p95" label="Latency p95" value={msText(s.latency_ms.p95)} />
        <Card id="cost-hour" label="Cost per hour" value={usd(s.cost_per_hour_usd)} note={`${usd(s.cost_usd)} in the window`} />
        <Card id="cache-hit" label="Cache hit rate" value={pct(s.cache_hit_rate)} note={s.cache_hit_rate === null ? 'nothing looked up' : undefined} />
      </div>
      <div class="charts">
        <Chart
          title="Requests / s, all"
          unit="req/s"
          times={data.times_ms}
          lines={[{ label: 'all', values: data.total.requests_per_s }]}
          summary={`${formatNumber(s.requests_per_s)} requests per second on average`}
        />
        <Chart
          title="Latency, all"
          unit="ms"
          times={data.times_ms}
          lines={[
            { label: 'p50', values: data.total.latency_p50_ms },
            { label: 'p95', values: data.total.latency_p95_ms },
          ]}
          summary={`p50 ${msText(s.latency_ms.p50)}, p95 ${msText(s.latency_ms.p95)}`}
        />
        {groups.length > 0 && (
          <>
            <Chart title={`${cap(what)} / s by ${data.by}`} unit="/s" times={data.times_ms} lines={lines((x) => x.requests_per_s)} summary={groupSummary(groups, label, (x) => `${formatNumber(x.summary.requests_per_s)}/s`)} />
            <Chart title={`Error rate by ${data.by}`} unit="" times={data.times_ms} lines={lines((x) => x.error_rate)} summary={groupSummary(groups, label, (x) => pct(x.summary.error_rate))} />
            <Chart title={`Latency p95 by ${data.by}`} unit="ms" times={data.times_ms} lines={lines((x) => x.latency_p95_ms)} summary={groupSummary(groups, label, (x) => msText(x.summary.latency_ms.p95))} />
            <Chart title={`Cost per bucket by ${data.by}`} unit="USD" times={data.times_ms} lines={lines((x) => x.cost_usd)} summary={groupSummary(groups, label, (x) => usd(x.summary.cost_usd))} />
          </>
        )}
      </div>
      <div class="table-wrap">
        <table class="by-group">
          <caption>
            By {data.by} ({data.by === 'model' ? 'each call to a model, retries and fallbacks included' : 'the tier each request was routed to'})
          </caption>
          <thead>
            <tr>
              <th scope="col">{data.by === 'tier' ? 'Tier' : 'Model'}</th>
              <th scope="col" class="num">{cap(what)}</th>
              <th scope="col" class="num">Per s</th>
              <th scope="col" class="num">Error rate</th>
              <th scope="col" class="num">p50</th>
              <th scope="col" class="num">p95</th>
              <th scope="col" class="num">Cost</th>
              <th scope="col" class="num">Cost / h</th>
            </tr>
          </thead>
          <tbody>
            {groups.length === 0 && (
              <tr>
                <td colSpan={8} class="muted">
                  Nothing yet in this window.
                </td>
              </tr>
            )}
            {groups.map(([key, series]) => (
              <tr key={key} data-group={key}>
                <th scope="row">{label(key)}</th>
                <td class="num">{series.summary.requests}</td>
                <td class="num">{formatNumber(series.summary.requests_per_s)}</td>
                <td class="num">{pct(series.summary.error_rate)}</td>
                <td class="num">{msText(series.summary.latency_ms.p50)}</td>
                <td class="num">{msText(series.summary.latency_ms.p95)}</td>
                <td class="num">{usd(series.summary.cost_usd)}</td>
                <td class="num">{usd(series.summary.cost_per_hour_usd)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

function groupSummary(groups: [string, TimeseriesSeries][], label: (k: string) => string, text: (s: TimeseriesSeries) => string): string {
  return groups.map(([k, s]) => `${label(k)} ${text(s)}`).join('; ') || 'no data';
}

function Card(props: { id: string; label: string; value: string; note?: string }) {
  return (
    <div class="card" data-testid={`card-${props.id}`}>
      <div class="label">{props.label}</div>
      <div class="value">{props.value}</div>
      {props.note && <div class="muted">{props.note}</div>}
    </div>
  );
}
