import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

/** One line of a chart: its name (legend) and its values, one per time (null: no data). */
export interface Line {
  label: string;
  values: (number | null)[];
}

/**
 * Colours of lines, in order; each line also has its name in the legend and a dash pattern of
 * its own, so a line never needs its colour to be told apart.
 */
const COLOURS = ['#1f5fbf', '#c62828', '#1a7f37', '#9a6700', '#6f42c1', '#0a7ea4', '#b3261e', '#5b6470'];
const DASHES: number[][] = [[], [6, 3], [2, 3], [10, 4, 2, 4]];

/**
 * A time-series line chart (uPlot, canvas) with a legend and, for screen readers, `summary` as its
 * label. `times` are ms since the epoch. Rebuilt when the set of lines changes, else only fed new
 * data; it follows its container's width.
 */
export function Chart(props: { title: string; times: number[]; lines: Line[]; unit: string; summary: string; height?: number }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const shape = props.lines.map((l) => l.label).join('\u0000');
  const data = [props.times.map((t) => t / 1000), ...props.lines.map((l) => l.values)] as uPlot.AlignedData;

  useEffect(() => {
    const el = box.current!;
    const opts: uPlot.Options = {
      width: Math.max(240, el.clientWidth),
      height: props.height ?? 200,
      series: [
        {},
        ...props.lines.map((l, i) => ({
          label: l.label,
          stroke: COLOURS[i % COLOURS.length],
          dash: DASHES[i % DASHES.length],
          width: 2,
          // A bucket without requests has no latency: join across it, and dot every value so a lone one shows.
          spanGaps: true,
          points: { show: true, size: 4 },
          value: (_u: uPlot, v: number | null) => (v === null || v === undefined ? '—' : `${formatNumber(v)} ${props.unit}`),
        })),
      ],
      axes: [{}, { size: 60, values: (_u, ticks) => ticks.map((t) => formatNumber(t)) }],
      // From zero; all-zero data gets a 0..1 scale rather than a microscopic one.
      scales: { y: { range: (_u, _min, max) => [0, max !== null && max > 0 ? max * 1.1 : 1] } },
      legend: { live: true },
      cursor: { drag: { x: false, y: false } },
    };
    plot.current = new uPlot(opts, data, el);
    const resize = new ResizeObserver(() => plot.current?.setSize({ width: Math.max(240, el.clientWidth), height: props.height ?? 200 }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
    // Rebuilt only when the lines change; new data goes through setData below.
  }, [shape]);

  useEffect(() => {
    plot.current?.setData(data);
  });

  return (
    <figure class="chart">
      <figcaption>{props.title}</figcaption>
      <div ref={box} role="img" aria-label={`${props.title}: ${props.summary}`} />
    </figure>
  );
}

/** A number for an axis or a legend: short, without needless decimals. */
export function formatNumber(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1000) return v.toLocaleString('en', { maximumFractionDigits: 0 });
  if (a >= 10) return v.toLocaleString('en', { maximumFractionDigits: 1 });
  if (a >= 0.01) return v.toLocaleString('en', { maximumFractionDigits: 3 });
  return v.toExponential(1);
}
