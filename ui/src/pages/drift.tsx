import { ErrorNote } from '../components/error-note.js';
import { StateBadge, type Tone } from '../components/state-badge.js';
import { usePoll } from '../hooks/use-poll.js';
import { getDrift, type DriftSeries } from '../config-api.js';
import { when } from '../runs-api.js';
import './operations.css';

const TONE: Record<DriftSeries['state'], Tone> = { ok: 'ok', warn: 'warn', alert: 'bad' };

/** A window or statistic as words: numbers rounded, objects as `name value` pairs. */
function figure(v: unknown): string {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toPrecision(4);
  if (typeof v !== 'object') return String(v);
  if (Array.isArray(v)) return v.map(figure).join(', ');
  return Object.entries(v as Record<string, unknown>)
    .map(([k, x]) => `${k} ${figure(x)}`)
    .join(' · ');
}

const ORDER: Record<string, number> = { alert: 0, warn: 1, ok: 2 };

/**
 * Drift: each series of GET /drift — per model or tier and metric, the baseline window against
 * the recent one, the statistic that compares them and the state (ok / warn / alert, in words and
 * symbol as well as colour), alerts first.
 */
export function Drift() {
  const drift = usePoll((signal) => getDrift(signal), 5000);
  const series = [...(drift.data?.series ?? [])].sort(
    (a, b) => (ORDER[a.state] ?? 3) - (ORDER[b.state] ?? 3) || a.subject.localeCompare(b.subject) || a.metric.localeCompare(b.metric),
  );
  return (
    <section aria-labelledby="drift-title">
      <h1 id="drift-title">Drift</h1>
      <ErrorNote error={drift.error} />
      {drift.data && series.length === 0 && <p class="muted">No series yet: they appear once models have answered enough requests to fill a baseline.</p>}
      {series.length > 0 && (
        <div class="table-wrap">
          <table class="drift">
            <caption>Baseline vs recent window, per subject and metric</caption>
            <thead>
              <tr>
                <th scope="col">Subject</th>
                <th scope="col">Metric</th>
                <th scope="col">State</th>
                <th scope="col">Baseline</th>
                <th scope="col">Recent</th>
                <th scope="col" title="category mix: population stability index; latency, tokens, cost: recent ÷ baseline; rates: recent − baseline">
                  Statistic
                </th>
                <th scope="col">Since</th>
              </tr>
            </thead>
            <tbody>
              {series.map((s: DriftSeries) => (
                <tr key={`${s.subject}/${s.metric}`} data-series={`${s.subject}/${s.metric}`} data-state={s.state}>
                  <th scope="row">{s.subject}</th>
                  <td>{s.metric}</td>
                  <td>
                    <StateBadge tone={TONE[s.state]} label={s.state} />
                  </td>
                  <td class="wrap">
                    {s.baseline === null ? <span class="muted">learning</span> : figure(s.baseline)}
                    <span class="muted"> ({s.samples.baseline} samples)</span>
                  </td>
                  <td class="wrap">
                    {figure(s.recent)}
                    <span class="muted"> ({s.samples.recent} samples)</span>
                  </td>
                  <td class="wrap">{figure(s.statistic)}</td>
                  <td>{when(s.since)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
