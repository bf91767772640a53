import type { StatsSnapshot } from '../../../src/telemetry/stats-schema.js';
import { ms, table, usd } from '../format.js';
import type { Output } from '../output.js';
import { Checks, isRecord, type ModeContext, type ModeResult } from '../result.js';

/** The `stats` mode: GET /stats, summarised in a few lines and one per-model table. */

export async function statsMode({ api, out }: ModeContext): Promise<ModeResult> {
  const { body } = await api.get<StatsSnapshot>('/stats');
  const checks = new Checks();
  if (!isRecord(body) || !isRecord(body.requests) || !isRecord(body.models) || !isRecord(body.totals)) {
    checks.that(false, 'GET /stats lacks requests, models or totals');
    return checks.result('');
  }
  const gist = printStats(out, body);
  checks.that(body.requests.total > 0, 'GET /stats counts no requests, not even this one');
  return checks.result(gist);
}

/** Prints the summary (also the chat REPL's /stats) and returns its one-line gist. */
export function printStats(out: Output, stats: StatsSnapshot): string {
  const { requests, workflows, totals } = stats;
  const pairs = (record: Record<string, number> | undefined) =>
    Object.entries(record ?? {})
      .map(([k, v]) => `${k} ${v}`)
      .join(', ') || 'none';
  out.line(`uptime      ${stats.uptime_s} s`);
  out.line(`requests    ${requests.total} (categories ${pairs(requests.by_category)}; categorizer ${pairs(requests.categorizer_source)})`);
  out.line(`workflows   ${workflows.started} started, ${workflows.running} running, ${workflows.queued} queued (${pairs(workflows.by_status)}), ${usd(workflows.cost_usd)}`);
  out.line(
    `totals      ${totals.calls} calls (${totals.simulated_calls} simulated), ${totals.failures} failures, ${totals.retries} retries, ${totals.fallbacks} fallbacks, ` +
      `${totals.tokens_in}/${totals.tokens_out} tokens in/out, ${usd(totals.cost_usd)}`,
  );
  const used = Object.entries(stats.models).filter(([, m]) => m.calls > 0);
  if (used.length > 0) {
    const rows = used.map(([key, m]) => [
      key,
      String(m.calls),
      String(m.failures),
      String(m.retries),
      String(m.fallbacks),
      m.latency_ms.p50 === null ? '-' : ms(m.latency_ms.p50),
      m.latency_ms.p95 === null ? '-' : ms(m.latency_ms.p95),
      `${m.tokens_in}/${m.tokens_out}`,
      usd(m.cost_usd),
      m.breaker.state,
    ]);
    for (const line of table(out, ['model', 'calls', 'fail', 'retry', 'fallb', 'p50', 'p95', 'tokens', 'cost', 'breaker'], rows)) out.line(line);
  } else {
    out.line('no model calls yet');
  }
  return `${requests.total} requests, ${totals.calls} model calls on ${used.length} models, ${usd(totals.cost_usd)}`;
}
