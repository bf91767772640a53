/**
 * Writes deploy/grafana/master-orchestrator.json, the Grafana dashboard (schemaVersion 39, importable
 * through Dashboards → Import; the Prometheus data source is the variable `datasource`). Panels are
 * data here so their queries stay reviewable; `npm run dashboard` regenerates the file and a test keeps
 * it in sync and checks every query's metric names against a live /metrics scrape.
 */
import { writeFileSync } from 'node:fs';

interface Target {
  expr: string;
  legend: string;
}
interface PanelSpec {
  title: string;
  description: string;
  unit: string;
  targets: Target[];
  kind?: 'timeseries' | 'stat' | 'state-timeline';
  stack?: boolean;
}
interface Row {
  title: string;
  panels: PanelSpec[];
}

const rate = '$__rate_interval';
/** The `p` quantile of a histogram, per `by` label(s) or over all series. */
const q = (p: number, metric: string, by?: string) => `histogram_quantile(${p}, sum by (le${by ? `, ${by}` : ''}) (rate(${metric}_bucket[${rate}])))`;

export const ROWS: Row[] = [
  {
    title: 'Requests',
    panels: [
      {
        title: 'Request rate by route',
        description: 'How much traffic each route takes (requests per second).',
        unit: 'reqps',
        targets: [{ expr: `sum by (route) (rate(http_requests_total[${rate}]))`, legend: '{{route}}' }],
      },
      {
        title: 'Errors by route and status',
        description: 'Which routes fail and how: 4xx are callers, 5xx are the server or its providers.',
        unit: 'reqps',
        targets: [{ expr: `sum by (route, status) (rate(http_requests_total{status=~"4..|5.."}[${rate}]))`, legend: '{{route}} {{status}}' }],
      },
      {
        title: 'Latency p50 / p95 / p99',
        description: 'Request duration over all routes; streams count until their last byte.',
        unit: 's',
        targets: [0.5, 0.95, 0.99].map((p) => ({ expr: q(p, 'http_request_duration_seconds'), legend: `p${p * 100}` })),
      },
      {
        title: 'p95 latency by route',
        description: 'Which route is slow.',
        unit: 's',
        targets: [{ expr: q(0.95, 'http_request_duration_seconds', 'route'), legend: '{{route}}' }],
      },
    ],
  },
  {
    title: 'Models and providers',
    panels: [
      {
        title: 'Model calls by model and outcome',
        description: 'Calls the gateway made to each model, by outcome.',
        unit: 'reqps',
        stack: true,
        targets: [{ expr: `sum by (model, outcome) (rate(model_calls_total[${rate}]))`, legend: '{{model}} {{outcome}}' }],
      },
      {
        title: 'Model failures by kind',
        description: 'Failed attempts by model and error kind (rate_limit, timeout, server_error, ...), retries included.',
        unit: 'reqps',
        targets: [{ expr: `sum by (model, kind) (rate(model_call_failures_total[${rate}]))`, legend: '{{model}} {{kind}}' }],
      },
      {
        title: 'Fallbacks',
        description: 'Answers that moved down a fallback chain, from → to.',
        unit: 'reqps',
        targets: [{ expr: `sum by (from, to) (rate(model_fallbacks_total[${rate}]))`, legend: '{{from}} → {{to}}' }],
      },
      {
        title: 'Retries by model',
        description: 'Retries the gateway made (backoff, Retry-After).',
        unit: 'reqps',
        targets: [{ expr: `sum by (model) (rate(model_retries_total[${rate}]))`, legend: '{{model}}' }],
      },
      {
        title: 'Model call p95 by model',
        description: 'How long each model takes to answer.',
        unit: 's',
        targets: [{ expr: q(0.95, 'model_call_duration_seconds', 'model'), legend: '{{model}}' }],
      },
      {
        title: 'Circuit breaker state',
        description: '0 closed (healthy), 1 half-open (probing), 2 open (calls go to the fallback).',
        unit: 'none',
        kind: 'state-timeline',
        targets: [{ expr: 'max by (model) (circuit_breaker_state)', legend: '{{model}}' }],
      },
      {
        title: 'Breaker openings',
        description: 'How often each model was cut off.',
        unit: 'short',
        targets: [{ expr: `sum by (model) (increase(circuit_breaker_opens_total[1h]))`, legend: '{{model}}' }],
      },
      {
        title: 'Rate-limiter wait p95 by provider',
        description: "Time calls wait for the provider's own rate limit before starting; long waits mean the allowance is spent.",
        unit: 's',
        targets: [{ expr: q(0.95, 'rate_limiter_wait_seconds', 'provider'), legend: '{{provider}}' }],
      },
      {
        title: 'Rate-limiter headroom by provider',
        description: "Share of each provider's per-minute request allowance still unused in the current window (1 = untouched, 0 = spent: calls wait or fall back).",
        unit: 'percentunit',
        targets: [{ expr: 'min by (provider) (rate_limiter_headroom_ratio)', legend: '{{provider}}' }],
      },
      {
        title: 'Rate-limiter queue and concurrency by provider',
        description: 'Calls waiting for a slot and calls holding one (at most rate_limits.max_concurrent per replica).',
        unit: 'short',
        targets: [
          { expr: 'sum by (provider) (rate_limiter_queued)', legend: '{{provider}} queued' },
          { expr: 'sum by (provider) (rate_limiter_running)', legend: '{{provider}} running' },
        ],
      },
      {
        title: 'Simulated calls',
        description: 'Calls answered by the built-in simulator because a provider has no key: should be 0 in production.',
        unit: 'reqps',
        targets: [{ expr: `sum by (model) (rate(model_simulated_calls_total[${rate}]))`, legend: '{{model}}' }],
      },
    ],
  },
  {
    title: 'Workflows',
    panels: [
      {
        title: 'Workflow runs by status',
        description: 'Runs finishing per second by final status (completed, partial, failed, cancelled, timed_out).',
        unit: 'reqps',
        stack: true,
        targets: [{ expr: `sum by (status) (rate(workflow_runs_total[${rate}]))`, legend: '{{status}}' }],
      },
      {
        title: 'Running and queued',
        description: 'Runs in progress and runs waiting for a slot (limits.max_concurrent_workflows, limits.max_queue_depth).',
        unit: 'short',
        targets: [
          { expr: 'sum(workflow_running)', legend: 'running' },
          { expr: 'sum(workflow_queue_depth)', legend: 'queued' },
        ],
      },
      {
        title: 'Workflow duration p50 / p95',
        description: 'How long runs take end to end.',
        unit: 's',
        targets: [0.5, 0.95].map((p) => ({ expr: q(p, 'workflow_duration_seconds'), legend: `p${p * 100}` })),
      },
    ],
  },
  {
    title: 'Tokens and cost',
    panels: [
      {
        title: 'Cost per hour by model (USD)',
        description: 'Spend rate, extrapolated to an hour.',
        unit: 'currencyUSD',
        stack: true,
        targets: [{ expr: `sum by (model) (rate(cost_usd_total[${rate}])) * 3600`, legend: '{{model}}' }],
      },
      {
        title: 'Cost in the last 24 h (USD)',
        description: 'Total spend over the last day.',
        unit: 'currencyUSD',
        kind: 'stat',
        targets: [{ expr: 'sum(increase(cost_usd_total[24h]))', legend: 'USD' }],
      },
      {
        title: 'Tokens per hour by model and direction',
        description: 'Input and output tokens, extrapolated to an hour.',
        unit: 'short',
        targets: [{ expr: `sum by (model, direction) (rate(tokens_total[${rate}])) * 3600`, legend: '{{model}} {{direction}}' }],
      },
      {
        title: 'Cost and tokens per hour by tier',
        description: 'Spend and tokens of the calls made for L, M and H requests (H: planner, tasks, finisher); none = not categorized (/workflow, /template, a named /v1 model) and the categorizer\'s own calls, made before the tier is known.',
        unit: 'short',
        targets: [
          { expr: `sum by (tier) (rate(cost_usd_total[${rate}])) * 3600`, legend: '{{tier}} USD' },
          { expr: `sum by (tier) (rate(tokens_total[${rate}])) * 3600`, legend: '{{tier}} tokens' },
        ],
      },
      {
        title: 'Response cache hit rate',
        description: 'Hits among the lookups that used the cache (hits and misses; bypasses excluded).',
        unit: 'percentunit',
        targets: [
          {
            expr: `sum(rate(cache_lookups_total{outcome="hit"}[${rate}])) / sum(rate(cache_lookups_total{outcome=~"hit|miss"}[${rate}]))`,
            legend: 'hit rate',
          },
        ],
      },
      {
        title: 'Saved by the response cache per hour',
        description: 'USD the original calls of cache hits cost, and their tokens, not spent again (extrapolated to an hour).',
        unit: 'short',
        targets: [
          { expr: `sum(rate(cache_saved_usd_total[${rate}])) * 3600`, legend: 'USD' },
          { expr: `sum(rate(cache_tokens_saved_total[${rate}])) * 3600`, legend: 'tokens' },
        ],
      },
      {
        title: 'Split and canary arms',
        description: 'Which arm of each weighted split (routing experiments, canaries) requests were assigned to.',
        unit: 'reqps',
        stack: true,
        targets: [{ expr: `sum by (split, arm) (rate(split_assignments_total[${rate}]))`, legend: '{{split}} {{arm}}' }],
      },
    ],
  },
  {
    title: 'Drift',
    panels: [
      {
        title: 'Drift state by series',
        description: 'Per model, tier and the categorizer, each metric against its baseline (GET /drift): 0 ok, 1 warn, 2 alert.',
        unit: 'none',
        kind: 'state-timeline',
        targets: [{ expr: 'max by (subject, metric) (drift_state) > 0', legend: '{{subject}} {{metric}}' }],
      },
      {
        title: 'Drift statistic by series',
        description: 'PSI for category_mix, recent/baseline for latency, tokens and cost, recent minus baseline for rates.',
        unit: 'none',
        targets: [{ expr: 'max by (subject, metric) (drift_statistic)', legend: '{{subject}} {{metric}}' }],
      },
      {
        title: 'Drift state changes',
        description: 'Series entering warn or alert (per hour).',
        unit: 'short',
        targets: [{ expr: `sum by (subject, metric, state) (increase(drift_state_changes_total{state!="ok"}[1h]))`, legend: '{{subject}} {{metric}} {{state}}' }],
      },
    ],
  },
  {
    title: 'Process and store',
    panels: [
      {
        title: 'Store reachable',
        description: 'Whether the session and run store (SQLite, or Redis in shared mode) answers: 1 up, 0 down.',
        unit: 'none',
        kind: 'state-timeline',
        targets: [{ expr: 'min by (driver) (store_up)', legend: '{{driver}}' }],
      },
      {
        title: 'Memory (RSS)',
        description: 'Resident memory of the server process.',
        unit: 'bytes',
        targets: [{ expr: 'process_resident_memory_bytes', legend: '{{instance}}' }],
      },
      {
        title: 'Event-loop lag p99',
        description: 'How long the event loop is blocked: above ~100 ms, every request waits.',
        unit: 's',
        targets: [{ expr: 'nodejs_eventloop_lag_p99_seconds', legend: '{{instance}}' }],
      },
    ],
  },
];

/** The whole dashboard JSON (Grafana schemaVersion 39). */
export function buildDashboard(): Record<string, unknown> {
  const ds = { type: 'prometheus', uid: '${datasource}' };
  const panels: Record<string, unknown>[] = [];
  let id = 1;
  let y = 0;
  for (const row of ROWS) {
    panels.push({ type: 'row', title: row.title, id: id++, collapsed: false, gridPos: { h: 1, w: 24, x: 0, y: y++ }, panels: [] });
    row.panels.forEach((p, i) => {
      const w = 8;
      panels.push({
        type: p.kind ?? 'timeseries',
        title: p.title,
        description: p.description,
        id: id++,
        datasource: ds,
        gridPos: { h: 8, w, x: (i % 3) * w, y: y + Math.floor(i / 3) * 8 },
        fieldConfig: {
          defaults: {
            unit: p.unit,
            ...(p.stack ? { custom: { stacking: { mode: 'normal', group: 'A' } } } : {}),
          },
          overrides: [],
        },
        options: { legend: { displayMode: 'list', placement: 'bottom', showLegend: true }, tooltip: { mode: 'multi', sort: 'desc' } },
        targets: p.targets.map((t, j) => ({ datasource: ds, expr: t.expr, legendFormat: t.legend, refId: String.fromCharCode(65 + j) })),
      });
    });
    y += Math.ceil(row.panels.length / 3) * 8;
  }
  return {
    title: 'Master Orchestrator',
    uid: 'master-orchestrator',
    description: 'Requests, models, breakers, limiters, workflows, tokens and cost of the Master Orchestrator (GET /metrics).',
    tags: ['master-orchestrator', 'llm'],
    timezone: 'browser',
    schemaVersion: 39,
    version: 1,
    editable: true,
    graphTooltip: 1,
    refresh: '30s',
    time: { from: 'now-6h', to: 'now' },
    templating: {
      list: [
        { name: 'datasource', label: 'Prometheus', type: 'datasource', query: 'prometheus', current: {}, hide: 0, refresh: 1 },
      ],
    },
    annotations: { list: [] },
    panels,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  writeFileSync('deploy/grafana/master-orchestrator.json', `${JSON.stringify(buildDashboard(), null, 2)}\n`);
  process.stdout.write('wrote deploy/grafana/master-orchestrator.json\n');
}
