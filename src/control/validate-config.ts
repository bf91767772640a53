import type { Catalog } from '../config/catalog.js';
import { ConfigError, parseConfig, type LoadedConfig, type Problem } from '../config/load.js';
import { validateWorkflowDefinition } from '../orchestrator/workflow/validate.js';

/** A config document checked for use: the loaded config, or every problem with its path. */
export type ConfigCheck = { ok: true; loaded: LoadedConfig } | { ok: false; problems: Problem[] };

const ENV_ONLY = /^\$\{[A-Z_][A-Z0-9_]*\}$/;

/**
 * Provider keys and the webhook signing secret must be `${ENV_VAR}` references: a
 * version's document is stored and shown by the admin API, and a literal secret
 * there would be a secret at rest (and in every answer that shows the document).
 */
function literalSecrets(document: unknown): Problem[] {
  const literal = (value: unknown): boolean => typeof value === 'string' && value !== '' && !ENV_ONLY.test(value);
  const problem = (path: string, what: string): Problem => ({
    path,
    message: `must be an \${ENV_VAR} reference: config versions are stored, and ${what} written here would be too`,
  });
  const problems: Problem[] = [];
  const providers = (document as { providers?: unknown } | null)?.providers;
  if (providers && typeof providers === 'object') {
    for (const [name, provider] of Object.entries(providers)) {
      if (literal((provider as { api_key?: unknown } | null)?.api_key)) problems.push(problem(`providers.${name}.api_key`, 'a key'));
    }
  }
  const webhooks = (document as { webhooks?: unknown } | null)?.webhooks;
  if (literal((webhooks as { secret?: unknown } | null)?.secret)) problems.push(problem('webhooks.secret', 'a secret'));
  return problems;
}

/**
 * Validates a config document exactly as startup does — schema, `${ENV}` resolution,
 * cross-checks, the shipped templates against the new models — and lists every
 * problem with its path (none is hidden behind the first).
 */
export function checkConfigDocument(document: unknown, opts: { env: NodeJS.ProcessEnv; catalog: Catalog; source: string }): ConfigCheck {
  const problems = literalSecrets(document);
  let loaded: LoadedConfig;
  try {
    loaded = parseConfig(document, opts.env, opts.source);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return { ok: false, problems: [...problems, ...err.problems] };
  }
  for (const [name, template] of opts.catalog.templates) {
    const issues = validateWorkflowDefinition(template, { config: loaded.config, addonIds: opts.catalog.addons });
    problems.push(...issues.map((p) => ({ path: `templates/${name}.json.${p.path}`, message: p.message })));
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, loaded };
}
