import { Counter, Gauge, type Registry } from 'prom-client';
import type { AppEventBus } from '../../events.js';
import type { DriftDetector } from './detector.js';
import { STATE_VALUE } from './types.js';

/**
 * Drift on /metrics: `drift_statistic` and `drift_state` gauges per series (set at scrape time
 * from the detector, so recording a sample costs nothing here) and `drift_state_changes_total`.
 * Label values are the detector's series, which are bounded (configured models, three tiers, the
 * categorizer, at most `drift.max_adhoc_models` ad-hoc models; a fixed set of metrics).
 */
export function registerDriftMetrics(registry: Registry, drift: DriftDetector, bus: AppEventBus): void {
  const registers = [registry];
  new Gauge({
    name: 'drift_statistic',
    help: 'Drift statistic per series: PSI (category_mix), recent/baseline factor (latency, tokens, cost), recent minus baseline share (rates)',
    labelNames: ['subject', 'metric'] as const,
    registers,
    collect() {
      this.reset();
      for (const s of drift.series()) if (s.statistic !== null) this.set({ subject: s.subject, metric: s.metric }, s.statistic);
    },
  });
  new Gauge({
    name: 'drift_state',
    help: 'Drift state per series: 0 ok, 1 warn, 2 alert',
    labelNames: ['subject', 'metric'] as const,
    registers,
    collect() {
      this.reset();
      for (const s of drift.series()) this.set({ subject: s.subject, metric: s.metric }, STATE_VALUE[s.state]);
    },
  });
  const changes = new Counter({
    name: 'drift_state_changes_total',
    help: 'Drift series state changes, by the state entered',
    labelNames: ['subject', 'metric', 'state'] as const,
    registers,
  });
  bus.on('drift_state_changed', (e) => changes.inc({ subject: e.subject, metric: e.metric, state: e.to }));
}
