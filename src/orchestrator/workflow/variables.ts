/**
 * `{{name}}` placeholders in task prompts, optionally with filters: `{{name | upper}}`.
 * Substitution is a single pass over the original template: text that a value brings in is
 * never scanned again, so neither user input nor model output can inject further placeholders.
 */

/**
 * The filters a placeholder may apply, left to right (`{{topic | trim | upper}}`). A small, fixed
 * set: an unknown filter is a validation error (`unknownFilters`), never text sent to the model.
 */
export const FILTERS: ReadonlyMap<string, (value: string) => string> = new Map([
  ['upper', (v: string) => v.toUpperCase()],
  ['lower', (v: string) => v.toLowerCase()],
  ['trim', (v: string) => v.trim()],
]);

/** A placeholder: `{{name}}` or `{{ name | filter | filter }}`, spaces allowed inside the braces. */
const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)((?:\s*\|\s*[A-Za-z_][A-Za-z0-9_]*)*)\s*\}\}/g;

const filterNames = (chain: string): string[] =>
  chain
    .split('|')
    .slice(1)
    .map((f) => f.trim());

/** What one pass over a template finds: the names it refers to and the placeholders with an unknown filter. */
interface Scan {
  names: readonly string[];
  unknown: readonly { placeholder: string; filter: string }[];
}

/**
 * Scans of recent templates, by their text: a workflow's prompts are the same text run after run (templates,
 * schedules, a client sending its workflow again), and each submission read every one of them three times
 * (validation's references and filters, the run record's references). Bounded: at most SCAN_CACHE_SIZE texts
 * of at most SCAN_CACHE_CHARS characters each (~1 MiB), the oldest dropped first; longer texts are scanned each time.
 */
const scans = new Map<string, Scan>();
const SCAN_CACHE_SIZE = 256;
const SCAN_CACHE_CHARS = 4096;

function scanOf(template: string): Scan {
  const known = scans.get(template);
  if (known) return known;
  const names = new Set<string>();
  const unknown: { placeholder: string; filter: string }[] = [];
  for (const match of template.matchAll(PLACEHOLDER)) {
    names.add(match[1]!);
    if (match[2]) for (const filter of filterNames(match[2])) if (!FILTERS.has(filter)) unknown.push({ placeholder: match[0], filter });
  }
  const scan: Scan = { names: [...names], unknown };
  if (template.length <= SCAN_CACHE_CHARS) {
    if (scans.size >= SCAN_CACHE_SIZE) scans.delete(scans.keys().next().value!);
    scans.set(template, scan);
  }
  return scan;
}

/** The variable names a template refers to, in order of first appearance, without duplicates. */
export function extractReferences(template: string): string[] {
  return [...scanOf(template).names];
}

/** Each placeholder that names a filter outside `FILTERS`: the placeholder as written and the filter. */
export function unknownFilters(template: string): { placeholder: string; filter: string }[] {
  return scanOf(template).unknown.map((u) => ({ ...u }));
}

/**
 * Replaces each placeholder of `template` with its value, filters applied. A name without a
 * value, or with an unknown filter, is left as written (validation rejects such workflows before
 * they run, so this only matters for text that is not a validated prompt).
 */
export function substitute(template: string, values: Readonly<Record<string, string>>): string {
  return template.replace(PLACEHOLDER, (whole, name: string, chain: string) => {
    if (!Object.hasOwn(values, name)) return whole;
    let value = values[name]!;
    for (const filter of filterNames(chain)) {
      const apply = FILTERS.get(filter);
      if (!apply) return whole;
      value = apply(value);
    }
    return value;
  });
}
