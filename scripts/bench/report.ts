/** The bench's one table: every figure, its target where the issue sets one, and PASS/MISS. */

export interface Row {
  section: string;
  figure: string;
  value: string;
  target?: string;
  /** undefined: no target for this figure. */
  pass?: boolean;
}

export const ms = (v: number, digits = 2): string => (Number.isFinite(v) ? `${v.toFixed(digits)} ms` : 'n/a');
export const pct = (v: number): string => (Number.isFinite(v) ? `${(v * 100).toFixed(1)} %` : 'n/a');
export const num = (v: number, digits = 0): string => (Number.isFinite(v) ? v.toFixed(digits) : 'n/a');
export const mib = (v: number | null): string => (v === null || !Number.isFinite(v) ? 'n/a' : `${v.toFixed(0)} MiB`);

/** Plain-text table with aligned columns. */
export function formatTable(rows: Row[]): string {
  const cells = rows.map((r) => [r.section, r.figure, r.value, r.target ?? '', r.pass === undefined ? '' : r.pass ? 'PASS' : 'MISS']);
  const header = ['section', 'figure', 'value', 'target', 'result'];
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) =>
    c
      .map((v, i) => v.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  const out = [line(header), widths.map((w) => '-'.repeat(w)).join('  ')];
  let previous = '';
  for (const c of cells) {
    if (previous && c[0] !== previous) out.push('');
    previous = c[0]!;
    out.push(line(c));
  }
  return out.join('\n');
}
