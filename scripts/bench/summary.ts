import { cpu, isRun, type GatewayFigures, type Measured, type PeerRun } from './gateway-bench.js';
import { median } from './numbers.js';
import { mib, ms, num, pct } from './report.js';
import { startsMedians, type StartupFigures } from './startup.js';
import type { WorkflowFigures } from './workflow-bench.js';

/**
 * The comparison of issue 18 in its own shape: one line per figure, one column per side
 * (direct to the fake, the bare Fastify + undici proxy, this server, the Portkey gateway),
 * all from this run. Sections that did not run leave their lines out.
 */

interface Raw {
  gateway?: GatewayFigures;
  workflows?: WorkflowFigures;
  startup?: StartupFigures;
}

const format = (title: string, lines: string[][]): string => {
  if (lines.length === 1) return '';
  const widths = lines[0]!.map((_, i) => Math.max(...lines.map((l) => l[i]!.length)));
  const fmt = (l: string[]) => l.map((v, i) => v.padEnd(widths[i]!)).join('  ').trimEnd();
  return [title, fmt(lines[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...lines.slice(1).map(fmt)].join('\n');
};

const run = (r: PeerRun | undefined): Measured | undefined => (isRun(r) ? r : undefined);
const failedNote = (r: PeerRun | undefined): string => (r && !isRun(r) ? 'fails (500)' : 'n/a');

export function summaryTable(raw: Raw): string {
  const lines: string[][] = [['', 'direct', 'bare proxy', 'this server', 'Portkey']];
  const g = raw.gateway;
  if (g) {
    const pair = (c: number, stream: boolean) => g.overhead.find((p) => p.connections === c && p.stream === stream);
    const peer = 'skipped' in g.portkey ? null : g.portkey;
    const peerRun = (c: number, stream: boolean) => peer?.overhead.find((o) => o.connections === c && o.stream === stream)?.run;
    const noPeer = peer ? null : 'skipped';
    const j16 = pair(16, false);
    if (j16) {
      const added = (m: Measured | undefined) => (m ? `${ms(m.p50 - j16.direct.p50)} / ${ms(m.p99 - j16.direct.p99)}` : failedNote(peerRun(16, false)));
      lines.push(['JSON, 16 conns: added p50 / p99', '—', added(j16.bare), added(j16.server), noPeer ?? added(run(peerRun(16, false)))]);
    }
    for (const c of [16, 64]) {
      const p = pair(c, true);
      if (!p) continue;
      const share = (m: Measured | undefined) => (m ? pct(m.rps / p.direct.rps) : failedNote(peerRun(c, true)));
      lines.push([`stream, ${c} conns: % of direct req/s`, '100 %', share(p.bare), share(p.server), noPeer ?? share(run(peerRun(c, true)))]);
    }
    for (const c of g.ceiling) {
      const side = (m: Measured | undefined) => (m ? `${num(m.rps)} req/s (${pct(m.rps / c.bare.rps)})` : failedNote(c.portkey));
      lines.push([
        `ceiling, ${c.stream ? 'stream' : 'JSON'}, 64 conns, 0 ms (% of bare)`,
        `${num(c.direct.rps)} req/s`,
        side(c.bare),
        side(c.server),
        noPeer ?? side(run(c.portkey)),
      ]);
    }
    if (j16) lines.push(['CPU per request, JSON 16 conns', '—', cpu(j16.bare), cpu(j16.server), noPeer ?? cpu(run(peerRun(16, false)))]);
    const m = g.memory;
    lines.push([
      'RSS idle after warm-up / max under 64 conns',
      '—',
      `${mib(m.bareIdleMiB)} / –`,
      `${mib(m.idleMiB)} / ${mib(m.underLoad.maxMiB)}`,
      noPeer ?? `${mib(peer!.idleMiB)} / ${mib(peer!.underLoad.maxMiB)}`,
    ]);
  }
  const st = raw.startup;
  if (st) {
    const p = st.portkey;
    lines.push([
      'start to first 200 chat / RSS at ready / CPU used (first start; later starts)',
      '—',
      '—',
      `${startsMedians(st.server, ' / ')}${st.serverCached ? `; ${startsMedians(st.serverCached, ' / ')}` : ''}`,
      !p || 'skipped' in p ? 'skipped' : startsMedians(p, ' / '),
    ]);
  }
  const w = raw.workflows?.scale;
  if (w) {
    lines.push([
      `${w.runs} workflows (3+2, ${w.latencyMs} ms): wall (x floor)`,
      `floor ${ms(w.floorMs, 0)}`,
      '—',
      `${ms(w.wallMs, 0)} (${num(w.wallMs / w.floorMs, 2)} x)`,
      '—',
    ]);
  }
  return format('the issue-18 comparison (one run):', lines);
}

/**
 * The server built from `--baseline=<ref>` against this tree's, measured in the same run
 * (same fake, same direct runs, same load): what the changes since `ref` bought.
 */
export function beforeAfterTable(raw: Raw, ref: string): string {
  const lines: string[][] = [['', `before (${ref})`, 'after (this tree)', 'after / before']];
  const ratio = (after: number, before: number) => `${num(after / before, 2)} x`;
  const g = raw.gateway;
  const b = g?.baseline;
  if (g && b) {
    const pair = (c: number, stream: boolean) => g.overhead.find((p) => p.connections === c && p.stream === stream);
    const base = (c: number, stream: boolean) => b.overhead.find((o) => o.connections === c && o.stream === stream)?.run;
    const j16 = pair(16, false);
    const bj16 = base(16, false);
    if (j16 && bj16) {
      lines.push([
        'JSON, 16 conns: added p50 / p99',
        `${ms(bj16.p50 - j16.direct.p50)} / ${ms(bj16.p99 - j16.direct.p99)}`,
        `${ms(j16.server.p50 - j16.direct.p50)} / ${ms(j16.server.p99 - j16.direct.p99)}`,
        '',
      ]);
      lines.push(['CPU per request, JSON 16 conns', cpu(bj16), cpu(j16.server), ratio(j16.server.proxyCpuMsPerReq ?? NaN, bj16.proxyCpuMsPerReq ?? NaN)]);
    }
    for (const c of [16, 64]) {
      const p = pair(c, true);
      const r = base(c, true);
      if (p && r) lines.push([`stream, ${c} conns: % of direct req/s`, pct(r.rps / p.direct.rps), pct(p.server.rps / p.direct.rps), ratio(p.server.rps, r.rps)]);
    }
    for (const c of g.ceiling) {
      const r = b.ceiling.find((x) => x.stream === c.stream)?.run;
      if (!r) continue;
      lines.push([
        `ceiling, ${c.stream ? 'stream' : 'JSON'}, 64 conns: req/s (% of bare)`,
        `${num(r.rps)} (${pct(r.rps / c.bare.rps)})`,
        `${num(c.server.rps)} (${pct(c.server.rps / c.bare.rps)})`,
        ratio(c.server.rps, r.rps),
      ]);
      lines.push([`CPU per request at the ceiling, ${c.stream ? 'stream' : 'JSON'}`, cpu(r), cpu(c.server), ratio(c.server.proxyCpuMsPerReq ?? NaN, r.proxyCpuMsPerReq ?? NaN)]);
    }
    lines.push(['RSS idle after warm-up', mib(b.idleMiB), mib(g.memory.idleMiB), ratio(g.memory.idleMiB ?? NaN, b.idleMiB ?? NaN)]);
    lines.push(['RSS max under 64 conns', mib(b.underLoad.maxMiB), mib(g.memory.underLoad.maxMiB), ratio(g.memory.underLoad.maxMiB ?? NaN, b.underLoad.maxMiB ?? NaN)]);
  }
  const w = raw.workflows?.scale;
  if (w?.baseline) {
    const wb = median(w.baseline.wallMs);
    const cb = median(w.baseline.cpuMs);
    lines.push([`${w.runs} workflows: wall (x floor ${ms(w.floorMs, 0)})`, `${ms(wb, 0)} (${num(wb / w.floorMs, 2)} x)`, `${ms(w.wallMs, 0)} (${num(w.wallMs / w.floorMs, 2)} x)`, ratio(w.wallMs, wb)]);
    lines.push([`${w.runs} workflows: server CPU per task`, ms(cb / (w.runs * w.tasksPerRun), 3), ms(w.cpuMs / (w.runs * w.tasksPerRun), 3), ratio(w.cpuMs, cb)]);
  }
  const st = raw.startup;
  if (st?.baseline) {
    const before = median(st.baseline.startMs);
    const after = median(st.server.startMs);
    lines.push(['first start: start to first 200 chat', ms(before, 0), ms(after, 0), ratio(after, before)]);
    const rb = median(st.baseline.readyRssMiB);
    const ra = median(st.server.readyRssMiB);
    lines.push(['RSS at ready', mib(rb), mib(ra), ratio(ra, rb)]);
    const cb = median(st.baseline.readyCpuMs);
    const ca = median(st.server.readyCpuMs);
    lines.push(['CPU used until the first 200', ms(cb, 0), ms(ca, 0), ratio(ca, cb)]);
    const later = st.serverCached;
    const laterBefore = st.baselineCached;
    if (later && laterBefore) {
      const lb = median(laterBefore.startMs);
      const la = median(later.startMs);
      lines.push(['later starts (code cache): start to first 200', ms(lb, 0), ms(la, 0), ratio(la, lb)]);
      const lcb = median(laterBefore.readyCpuMs);
      const lca = median(later.readyCpuMs);
      lines.push(['later starts: CPU used until the first 200', ms(lcb, 0), ms(lca, 0), ratio(lca, lcb)]);
    }
  }
  return format(`before/after (one run; the baseline is ${ref}'s src/ built and run the same way):`, lines);
}
