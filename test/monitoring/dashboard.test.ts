import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDashboard } from '../../scripts/write-dashboard.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { promqlUses, scrapedSeries } from './promql.js';

const FILE = 'deploy/grafana/master-orchestrator.json';
const dashboard = JSON.parse(readFileSync(FILE, 'utf8')) as {
  templating: { list: { name: string; type: string }[] };
  panels: { type: string; title: string; datasource?: { uid: string }; targets?: { expr: string }[] }[];
};
const queries = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })));
/** Labels Prometheus itself attaches to every scraped series, and the histogram bucket label. */
const SCRAPE_LABELS = new Set(['instance', 'job', 'le']);

let t: TestApp;
let series: Map<string, Set<string>>;
beforeAll(async () => {
  t = await startTestApp();
  const post = (path: string, body: unknown) =>
    fetch(`${t.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  // Traffic through the simulator, so the labelled series exist in the scrape.
  await post('/chat', { message: 'What is the capital of France?' });
  await post('/template/research_report', { variables: { topic: 'heat pumps' } });
  await fetch(`${t.url}/nope`);
  series = scrapedSeries(await (await fetch(`${t.url}/metrics`)).text());
});
afterAll(async () => t?.close());

describe('deploy/grafana/master-orchestrator.json', () => {
  it('is what scripts/write-dashboard.ts writes (npm run dashboard)', () => {
    expect(dashboard).toEqual(buildDashboard());
  });

  it('is importable: the data source is a variable every panel uses', () => {
    expect(dashboard.templating.list).toContainEqual(expect.objectContaining({ name: 'datasource', type: 'datasource' }));
    for (const panel of dashboard.panels.filter((p) => p.type !== 'row')) expect(panel.datasource?.uid, panel.title).toBe('${datasource}');
    expect(queries.length).toBeGreaterThan(20);
  });

  it('queries only metric names that a live /metrics scrape exports', () => {
    const unknown = queries.flatMap(({ panel, expr }) => promqlUses(expr).metrics.filter((m) => !series.has(m)).map((m) => `${panel}: ${m}`));
    expect(unknown).toEqual([]);
  });

  it('groups and filters only by labels those metrics carry in the scrape', () => {
    const problems: string[] = [];
    for (const { panel, expr } of queries) {
      const { metrics, labels } = promqlUses(expr);
      const known = new Set([...SCRAPE_LABELS, ...metrics.flatMap((m) => [...(series.get(m) ?? [])])]);
      // A metric without samples yet (no failure, no fallback in this traffic) shows no labels: not judged.
      if (metrics.some((m) => (series.get(m)?.size ?? 0) === 0)) continue;
      for (const label of labels) if (!known.has(label)) problems.push(`${panel}: label '${label}' on ${metrics.join(', ')}`);
    }
    expect(problems).toEqual([]);
  });
});
