import { renameSync, writeFileSync } from 'node:fs';
import { constants, monitorEventLoopDelay, performance, PerformanceObserver } from 'node:perf_hooks';

/**
 * Preloaded into a bench server by tail-probe.ts (`node --import <built tail-preload.js>`): records every GC
 * pause (perf_hooks 'gc' entries: start as epoch ms, duration ms, kind) and the event loop's delay
 * (monitorEventLoopDelay, 1 ms resolution), and on SIGUSR2 writes them as JSON to TAIL_PROBE_OUT, then
 * starts afresh. Nothing of it runs in production: the server is the production bundle, this file is
 * added by the probe's node flags only.
 */

const out = process.env.TAIL_PROBE_OUT;
const KINDS: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'scavenge',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'mark-compact',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental marking',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weak callbacks',
};
let gcs: Array<[number, number, string]> = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    const kind = (e as { detail?: { kind?: number } }).detail?.kind ?? -1;
    gcs.push([performance.timeOrigin + e.startTime, e.duration, KINDS[kind] ?? String(kind)]);
  }
}).observe({ entryTypes: ['gc'] });
const delay = monitorEventLoopDelay({ resolution: 1 });
delay.enable();

process.on('SIGUSR2', () => {
  if (!out) return;
  const ms = (ns: number) => ns / 1e6;
  const loop = { p50: ms(delay.percentile(50)), p99: ms(delay.percentile(99)), max: ms(delay.max) };
  // Written whole, then renamed: the probe reads the file as soon as it exists.
  writeFileSync(`${out}.part`, JSON.stringify({ gcs, loop, heapUsedMiB: process.memoryUsage().heapUsed / 2 ** 20 }));
  renameSync(`${out}.part`, out);
  gcs = [];
  delay.reset();
});
