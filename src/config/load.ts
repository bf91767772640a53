import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { z } from 'zod';
import { crossCheck, type Problem } from './cross-check.js';
import { parseJsonText } from './json-text.js';
import { ConfigSchema, type Config } from './schema.js';

export type { Problem } from './cross-check.js';

/** Thrown when a config cannot be used; carries every problem found, not just the first. */
export class ConfigError extends Error {
  constructor(
    readonly source: string,
    readonly problems: Problem[],
  ) {
    super(`invalid configuration in ${source}:\n${problems.map((p) => `  ${formatProblem(p)}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export const formatProblem = (p: Problem): string => (p.path ? `${p.path}: ${p.message}` : p.message);

/** Turns zod issues into `path: message` problems, with dotted paths. */
export function zodProblems(error: z.ZodError, prefix = ''): Problem[] {
  return error.issues.map((issue) => ({
    path: [prefix, ...issue.path.map(String)].filter(Boolean).join('.'),
    message: issue.message,
  }));
}

/** Whether each provider answers live or through the simulator, decided once at load. */
export type ProviderMode = 'live' | 'simulated';

/** A validated config plus what the environment made of it. */
export interface LoadedConfig {
  config: Config;
  /** The document as written (`${ENV}` references unresolved, no defaults applied): what config versions hash and store. */
  document: unknown;
  source: string;
  providerModes: Record<string, ProviderMode>;
}

const ENV_REF = /\$\{([A-Z_][A-Z0-9_]*)(?::-([^}]*))?\}/g;

/**
 * Replaces `${VAR}` and `${VAR:-default}` in every string of the raw config.
 * An unset variable in `providers.*.api_key` just means "no key" (simulated);
 * anywhere else it is a problem, because a silent empty URL would be a worse one.
 */
function resolveEnv(value: unknown, path: string[], env: NodeJS.ProcessEnv, problems: Problem[]): unknown {
  if (typeof value === 'string') {
    const isKey = path.length === 3 && path[0] === 'providers' && path[2] === 'api_key';
    return value.replace(ENV_REF, (_, name: string, fallback: string | undefined) => {
      const found = env[name];
      if (found !== undefined && found !== '') return found;
      if (fallback !== undefined) return fallback;
      if (!isKey) problems.push({ path: path.join('.'), message: `environment variable ${name} is not set` });
      return '';
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => resolveEnv(v, [...path, String(i)], env, problems));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, resolveEnv(v, [...path, k], env, problems)]),
    );
  }
  return value;
}

/** `<NAME>_BASE_URL` overrides a provider's base URL (e.g. OPENROUTER_BASE_URL, GOOGLE_AI_BASE_URL). */
function applyBaseUrlOverrides(raw: unknown, env: NodeJS.ProcessEnv): void {
  const providers = (raw as { providers?: Record<string, { base_url?: string }> })?.providers;
  if (!providers || typeof providers !== 'object') return;
  for (const [name, provider] of Object.entries(providers)) {
    const override = env[`${name.toUpperCase()}_BASE_URL`];
    if (override && provider && typeof provider === 'object') provider.base_url = override;
  }
}

/**
 * WEBHOOK_SECRET overrides `webhooks.secret`; WEBHOOK_ALLOW_HOSTS (comma-separated
 * host[:port]) adds to `webhooks.allow_hosts`.
 */
function applyWebhookEnv(raw: unknown, env: NodeJS.ProcessEnv): void {
  const secret = env.WEBHOOK_SECRET?.trim();
  const hosts = (env.WEBHOOK_ALLOW_HOSTS ?? '').split(',').map((h) => h.trim()).filter(Boolean);
  if (!secret && hosts.length === 0) return;
  if (!raw || typeof raw !== 'object') return;
  const root = raw as { webhooks?: Record<string, unknown> };
  const webhooks = (root.webhooks ??= {});
  if (!webhooks || typeof webhooks !== 'object') return;
  if (secret) webhooks.secret = secret;
  if (hosts.length > 0) webhooks.allow_hosts = [...(Array.isArray(webhooks.allow_hosts) ? webhooks.allow_hosts : []), ...hosts];
}

/** A value's parent container and key along a zod issue path, or null when the path does not reach one. */
function parentOf(root: unknown, path: readonly PropertyKey[]): { parent: Record<PropertyKey, unknown>; key: PropertyKey } | null {
  let node = root;
  for (const step of path.slice(0, -1)) {
    if (!node || typeof node !== 'object') return null;
    node = (node as Record<PropertyKey, unknown>)[step];
  }
  const key = path.at(-1);
  return node && typeof node === 'object' && key !== undefined && Object.hasOwn(node, key) ? { parent: node as Record<PropertyKey, unknown>, key } : null;
}

const DROPPED = Symbol('dropped');

/** Removes the array elements marked DROPPED, at any depth. */
function spliceDropped(node: unknown): void {
  if (!node || typeof node !== 'object') return;
  if (Array.isArray(node)) {
    for (let i = node.length - 1; i >= 0; i--) if (node[i] === DROPPED) node.splice(i, 1);
  }
  for (const value of Object.values(node)) spliceDropped(value);
}

/**
 * The cross-checks of a document the schema refused, so one answer lists every problem (a wrong
 * model name beside a wrong number, not after it is fixed): the values the schema refused are
 * dropped from a copy (their defaults apply; a refused array element is taken out of its array), and once the rest parses it is cross-checked. Cross-check problems about a model or
 * section that lost a value are left out, being about the default rather than what was written.
 * Nothing is reported when the refused values cannot be dropped (a required field).
 */
function crossCheckDespite(resolved: unknown, error: z.ZodError): Problem[] {
  const copy = structuredClone(resolved);
  const dropped: string[] = [];
  let issues = error.issues;
  for (let round = 0; round < 4; round++) {
    let progress = false;
    for (const issue of issues) {
      const targets = issue.code === 'unrecognized_keys' ? issue.keys.map((k) => [...issue.path, k]) : [issue.path];
      for (const path of targets) {
        const at = parentOf(copy, path);
        if (!at || at.parent[at.key] === DROPPED) continue;
        // An array element is marked and spliced out after the round, so its siblings' paths hold meanwhile.
        if (Array.isArray(at.parent)) at.parent[at.key] = DROPPED;
        else delete at.parent[at.key];
        dropped.push(path.slice(0, 2).map(String).join('.'));
        progress = true;
      }
    }
    if (!progress) return [];
    spliceDropped(copy);
    const again = ConfigSchema.safeParse(copy);
    if (again.success) {
      const touchedModels = dropped.filter((d) => d.startsWith('models.')).map((d) => `'${d.slice('models.'.length)}'`);
      return crossCheck(again.data).filter(
        (p) => !dropped.some((d) => p.path === d || p.path.startsWith(`${d}.`)) && !touchedModels.some((m) => p.message.includes(m)),
      );
    }
    issues = again.error.issues;
  }
  return [];
}

/** Validates an already-parsed config object; throws ConfigError listing every problem. */
export function parseConfig(raw: unknown, env: NodeJS.ProcessEnv = process.env, source = 'config'): LoadedConfig {
  const problems: Problem[] = [];
  const document = structuredClone(raw);
  const copy = structuredClone(raw);
  applyBaseUrlOverrides(copy, env);
  applyWebhookEnv(copy, env);
  const resolved = resolveEnv(copy, [], env, problems);
  const parsed = ConfigSchema.safeParse(resolved);
  if (!parsed.success) {
    const shape = zodProblems(parsed.error);
    throw new ConfigError(source, [...problems, ...shape, ...crossCheckDespite(resolved, parsed.error)]);
  }
  problems.push(...crossCheck(parsed.data));
  if (problems.length > 0) throw new ConfigError(source, problems);

  const config = parsed.data;
  const providerModes = Object.fromEntries(
    Object.entries(config.providers).map(([name, p]): [string, ProviderMode] => {
      const live = p.type !== 'simulator' && (!p.requires_key || Boolean(p.api_key));
      return [name, live ? 'live' : 'simulated'];
    }),
  );
  return { config, document, source, providerModes };
}

/**
 * Reads the config file named by ORCHESTRATION_CONFIG (default ./orchestration_config.json, from the
 * working directory). `storage.data_dir` is resolved against the file's directory. A JSON syntax
 * error names its line and column and shows the line.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, file?: string): LoadedConfig {
  const path = resolve(file ?? env.ORCHESTRATION_CONFIG ?? 'orchestration_config.json');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(path, [{ path: '', message: `cannot read file: ${(err as NodeJS.ErrnoException).code ?? String(err)}` }]);
  }
  let raw: unknown;
  try {
    raw = parseJsonText(text);
  } catch (err) {
    throw new ConfigError(path, [{ path: '', message: `not valid JSON: ${(err as Error).message}` }]);
  }
  const loaded = parseConfig(raw, env, path);
  // Paths inside the file are relative to the file, wherever the server is started from.
  loaded.config.storage.data_dir = resolve(dirname(path), loaded.config.storage.data_dir);
  return loaded;
}
