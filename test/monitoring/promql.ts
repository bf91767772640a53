/**
 * Just enough PromQL reading for tests: the metric names and label names an expression uses.
 * Not a parser: promtool (test/monitoring/promtool.test.ts) checks the syntax itself.
 */

const FUNCTIONS_AND_KEYWORDS = new Set([
  'sum', 'min', 'max', 'avg', 'count', 'stddev', 'stdvar', 'topk', 'bottomk', 'quantile', 'count_values', 'group',
  'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'bool', 'offset',
  'rate', 'irate', 'increase', 'delta', 'idelta', 'deriv', 'histogram_quantile', 'abs', 'ceil', 'floor', 'round',
  'clamp_min', 'clamp_max', 'absent', 'absent_over_time', 'avg_over_time', 'max_over_time', 'min_over_time',
  'sum_over_time', 'count_over_time', 'last_over_time', 'changes', 'resets', 'time', 'vector', 'scalar', 'label_replace',
]);

export interface ExprUse {
  metrics: string[];
  labels: string[];
}

/** The metric names and label names of one PromQL expression (Grafana `$__...` variables allowed). */
export function promqlUses(expr: string): ExprUse {
  const labels = new Set<string>();
  let text = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""').replace(/\$__\w+/g, '5m');
  text = text.replace(/\{([^}]*)\}/g, (_, inner: string) => {
    for (const m of inner.matchAll(/([a-zA-Z_]\w*)\s*(=~|!~|!=|=)/g)) labels.add(m[1]!);
    return ' ';
  });
  text = text.replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/g, (_, _kw, inner: string) => {
    for (const l of inner.split(',').map((s) => s.trim()).filter(Boolean)) labels.add(l);
    return ' ';
  });
  text = text.replace(/\[[^\]]*\]/g, ' ').replace(/(?<![\w:])\d+(?:\.\d+)?(?:e[+-]?\d+)?/gi, ' ');
  const metrics = new Set<string>();
  for (const m of text.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?/g)) {
    const name = m[1]!;
    if (m[2] || FUNCTIONS_AND_KEYWORDS.has(name) || /^\d/.test(name)) continue;
    metrics.add(name);
  }
  return { metrics: [...metrics], labels: [...labels] };
}

/** From a Prometheus text scrape: every sample name (histogram series included) and the label names seen on each. */
export function scrapedSeries(text: string): Map<string, Set<string>> {
  const series = new Map<string, Set<string>>();
  const add = (name: string) => series.get(name) ?? series.set(name, new Set()).get(name)!;
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\w+)/.exec(line);
    if (type) {
      const [, name, kind] = type;
      add(name!);
      if (kind === 'histogram') for (const s of ['_bucket', '_sum', '_count']) add(`${name}${s}`);
      if (kind === 'summary') for (const s of ['_sum', '_count']) add(`${name}${s}`);
      continue;
    }
    const sample = /^([a-zA-Z_:][\w:]*)(?:\{([^}]*)\})?\s/.exec(line);
    if (!sample) continue;
    const labels = add(sample[1]!);
    for (const m of (sample[2] ?? '').matchAll(/([a-zA-Z_]\w*)="/g)) labels.add(m[1]!);
  }
  return series;
}
