/**
 * Keeps a label's set of values bounded. Configured names always pass; other
 * values (ad-hoc `<provider>/<model id>` models a caller named) are admitted up
 * to `maxExtra` distinct ones, then all share `overflow` — so a caller cannot
 * grow the metrics or the stats without limit.
 */
export function createLabelBounder(known: Iterable<string>, maxExtra = 20, overflow = 'other'): LabelBounder {
  const allowed = new Set(known);
  let extra = 0;
  const bound = (value: string) => {
    if (allowed.has(value)) return value;
    if (extra >= maxExtra) return overflow;
    extra++;
    allowed.add(value);
    return value;
  };
  return Object.assign(bound, { size: () => allowed.size });
}

/** A label's value, or `other` past the bound; `size()` counts the values admitted (known ones included). */
export interface LabelBounder {
  (value: string): string;
  size(): number;
}

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** The HTTP method as a bounded label. */
export const methodLabel = (method: string): string => (METHODS.has(method) ? method : 'OTHER');

/** The route template of a request (`/session/:id`), or `not_found` when no route matched — never the raw URL. */
export function routeLabel(request: { routeOptions?: { url?: string } }): string {
  return request.routeOptions?.url || 'not_found';
}
