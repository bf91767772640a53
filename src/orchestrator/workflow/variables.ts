/**
 * `{{name}}` placeholders in task prompts. Substitution is a single pass over
 * the original template: text that a value brings in is never scanned again,
 * so neither user input nor model output can inject further placeholders.
 */

/** A placeholder: `{{name}}`, optionally with spaces inside the braces. */
const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

/** The variable names a template refers to, in order of first appearance, without duplicates. */
export function extractReferences(template: string): string[] {
  const names = new Set<string>();
  for (const match of template.matchAll(PLACEHOLDER)) names.add(match[1]!);
  return [...names];
}

/**
 * Replaces each placeholder of `template` with its value. A name without a
 * value is left as written (validation rejects such workflows before they run,
 * so this only matters for text that is not a validated prompt).
 */
export function substitute(template: string, values: Readonly<Record<string, string>>): string {
  return template.replace(PLACEHOLDER, (whole, name: string) => (Object.hasOwn(values, name) ? values[name]! : whole));
}
