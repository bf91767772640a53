import { paint, type Output } from './output.js';

/** Small text formatters shared by the modes and the chat REPL. */

export function usd(value: unknown): string {
  const n = typeof value === 'number' ? value : 0;
  if (n === 0) return '$0';
  return n < 0.01 ? `$${n.toFixed(6)}` : `$${n.toFixed(4)}`;
}

export function ms(value: unknown): string {
  const n = typeof value === 'number' ? value : 0;
  return n >= 1000 ? `${(n / 1000).toFixed(1)} s` : `${Math.round(n)} ms`;
}

/** Collapses whitespace and cuts to `max` characters. */
export function preview(text: unknown, max = 160): string {
  const flat = String(text ?? '').replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** Left-aligned columns separated by two spaces; the header row is dimmed on a TTY. */
export function table(out: Output, header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(visibleLength(h), ...rows.map((r) => visibleLength(r[i] ?? ''))));
  const render = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c + ' '.repeat(widths[i]! - visibleLength(c))))
      .join('  ')
      .trimEnd();
  return [paint(out, 'dim', render(header)), ...rows.map(render)];
}

/** One-line rendering of any JSON value, for shapes the client does not know field by field. */
export function compact(value: unknown, maxDepth = 3): string {
  if (value === null || typeof value !== 'object') return typeof value === 'string' ? value : String(value);
  if (maxDepth === 0) return Array.isArray(value) ? `[${value.length}]` : '{…}';
  if (Array.isArray(value)) return `[${value.map((v) => compact(v, maxDepth - 1)).join(', ')}]`;
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
  return `{${entries.map(([k, v]) => `${k}: ${compact(v, maxDepth - 1)}`).join(', ')}}`;
}

function visibleLength(text: string): number {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u001b\[[0-9;]*m/g, '').length;
}
