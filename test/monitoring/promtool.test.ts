import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { hasService } from '../helpers/has-service.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { promqlUses, scrapedSeries } from './promql.js';

const PROMTOOL = process.env.PROMTOOL_BIN ?? 'promtool';
const promtool = (args: string[], cwd?: string) => spawnSync(PROMTOOL, args, { cwd, encoding: 'utf8', timeout: 60_000 });

interface RuleGroup {
  name: string;
  rules: { alert?: string; record?: string; expr: string; for?: string; labels?: Record<string, string> }[];
}
const groups = (parse(readFileSync('deploy/prometheus/alerts.yml', 'utf8')) as { groups: RuleGroup[] }).groups;
const rules = groups.flatMap((g) => g.rules);

describe.skipIf(!hasService('promtool'))('deploy/prometheus/alerts.yml with promtool', () => {
  it('passes promtool check rules', () => {
    const result = promtool(['check', 'rules', 'deploy/prometheus/alerts.yml']);
    expect(result.stderr + result.stdout).toContain('SUCCESS');
    expect(result.status).toBe(0);
  });

  it('passes its unit tests on synthetic series (promtool test rules)', () => {
    const result = promtool(['test', 'rules', 'alerts.test.yml'], 'deploy/prometheus');
    expect(result.stdout + result.stderr).toContain('SUCCESS');
    expect(result.status).toBe(0);
  });

  it('has a unit test for every alert', () => {
    const tests = readFileSync('deploy/prometheus/alerts.test.yml', 'utf8');
    for (const rule of rules.filter((r) => r.alert)) expect(tests, rule.alert).toContain(`alertname: ${rule.alert}`);
  });

  it("accepts every Grafana panel query as PromQL ($__rate_interval set to 5m)", () => {
    const dashboard = JSON.parse(readFileSync('deploy/grafana/master-orchestrator.json', 'utf8')) as { panels: { targets?: { expr: string }[] }[] };
    const exprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr.replaceAll('$__rate_interval', '5m')));
    const dir = mkdtempSync(join(tmpdir(), 'mo-promql-'));
    try {
      const file = join(dir, 'panels.yml');
      writeFileSync(file, JSON.stringify({ groups: [{ name: 'panels', rules: exprs.map((expr, i) => ({ record: `panel:query:${i}`, expr })) }] }));
      const result = promtool(['check', 'rules', file]);
      expect(result.stdout + result.stderr).toContain(`SUCCESS: ${exprs.length} rules found`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('deploy/prometheus/alerts.yml against a live /metrics scrape', () => {
  let t: TestApp;
  let series: Map<string, Set<string>>;
  beforeAll(async () => {
    t = await startTestApp();
    await fetch(`${t.url}/chat`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ message: 'hi' }) });
    series = scrapedSeries(await (await fetch(`${t.url}/metrics`)).text());
  });
  afterAll(async () => t?.close());

  it('uses only metrics the server exports, or recording rules of the same file', () => {
    const recorded = new Set(rules.flatMap((r) => (r.record ? [r.record] : [])));
    const unknown = rules.flatMap((r) => promqlUses(r.expr).metrics.filter((m) => !series.has(m) && !recorded.has(m)).map((m) => `${r.alert ?? r.record}: ${m}`));
    expect(unknown).toEqual([]);
  });

  it('covers what operators page on: breakers, fallbacks, error budget, queue, cost, the store, drift', () => {
    expect(rules.flatMap((r) => (r.alert ? [r.alert] : [])).sort()).toEqual(
      ['CostPerHourHigh', 'ErrorBudgetBurnFast', 'ErrorBudgetBurnSlow', 'HighFallbackRate', 'ModelDrift', 'ProviderCircuitOpen', 'StoreUnreachable', 'WorkflowQueueNearLimit'].sort(),
    );
    for (const rule of rules.filter((r) => r.alert)) expect(['page', 'ticket'], rule.alert).toContain(rule.labels?.severity);
  });

  it('each alert has its row in README "Monitoring", with its severity', () => {
    const readme = readFileSync('README.md', 'utf8');
    const missing = rules.filter((r) => r.alert && !readme.includes(`| \`${r.alert}\` |`)).map((r) => r.alert);
    expect(missing).toEqual([]);
    for (const rule of rules.filter((r) => r.alert)) expect(readme, rule.alert).toMatch(new RegExp(`\\| \`${rule.alert}\` \\|[^\\n]*\\| ${rule.labels?.severity} \\|`));
  });
});

