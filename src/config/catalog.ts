import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import * as z from 'zod';
import { validateWorkflowDefinition } from '../orchestrator/workflow/validate.js';
import { WorkflowSchema, type Workflow } from '../orchestrator/workflow/types.js';
import { parseJsonText } from './json-text.js';
import { ConfigError, zodProblems, type Problem } from './load.js';
import type { Config } from './schema.js';

export const ADDON_CATEGORIES = ['content_creation', 'marketing', 'social_media', 'business', 'professional', 'personal'] as const;

export const AddonSchema = z
  .object({
    id: z.string().regex(/^[a-z][a-z0-9_]*$/),
    name: z.string().min(1),
    category: z.enum(ADDON_CATEGORIES),
    description: z.string().min(1),
    prompt: z.string().min(20),
  })
  .strict();

export type Addon = z.infer<typeof AddonSchema>;

/** Addons and templates, loaded and validated once at startup. */
export interface Catalog {
  addons: Map<string, Addon>;
  templates: Map<string, Workflow>;
}

/**
 * The folder holding `addons/` and `templates/`: CATALOG_DIR (relative to the working directory)
 * when set, else the directory of the config file — so a server started from anywhere with
 * ORCHESTRATION_CONFIG=/path/cfg.json finds /path/addons and /path/templates.
 */
export function catalogRoot(env: NodeJS.ProcessEnv, configFile: string): string {
  const explicit = env.CATALOG_DIR?.trim();
  return explicit ? resolve(explicit) : dirname(resolve(configFile));
}

/** A warning per catalogue folder that is missing or holds no JSON file, naming its absolute path. */
export function catalogWarnings(root: string, catalog: Catalog): string[] {
  const warnings: string[] = [];
  for (const [folder, count] of [
    ['addons', catalog.addons.size],
    ['templates', catalog.templates.size],
  ] as const) {
    if (count > 0) continue;
    const dir = join(root, folder);
    const why = existsSync(dir) ? 'holds no .json file' : 'does not exist';
    warnings.push(`${folder} directory ${dir} ${why}: no ${folder} are served (set CATALOG_DIR to the folder holding addons/ and templates/)`);
  }
  return warnings;
}

function jsonFiles(dir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  return entries.flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return jsonFiles(path);
    return name.endsWith('.json') ? [path] : [];
  });
}

function readJson(path: string, label: string, problems: Problem[]): unknown {
  try {
    return parseJsonText(readFileSync(path, 'utf8'));
  } catch (err) {
    problems.push({ path: label, message: `not valid JSON: ${(err as Error).message}` });
    return undefined;
  }
}

/**
 * Loads `addons/<category>/<id>.json` and `templates/<name>.json` under `root`.
 * Every broken file is reported by its relative path and problem; the whole
 * list is thrown at once so an operator fixes everything in one pass.
 */
export function loadCatalog(root: string, config: Config): Catalog {
  const problems: Problem[] = [];
  const addons = new Map<string, Addon>();
  for (const file of jsonFiles(join(root, 'addons'))) {
    const label = relative(root, file);
    const raw = readJson(file, label, problems);
    if (raw === undefined) continue;
    const parsed = AddonSchema.safeParse(raw);
    if (!parsed.success) {
      problems.push(...zodProblems(parsed.error, label));
      continue;
    }
    const addon = parsed.data;
    if (addon.id !== basename(file, '.json')) problems.push({ path: `${label}.id`, message: `'${addon.id}' must match the file name` });
    if (basename(join(file, '..')) !== addon.category) {
      problems.push({ path: `${label}.category`, message: `'${addon.category}' must match the folder name` });
    }
    if (addons.has(addon.id)) problems.push({ path: `${label}.id`, message: `duplicate addon id '${addon.id}'` });
    addons.set(addon.id, addon);
  }

  const templates = new Map<string, Workflow>();
  for (const file of jsonFiles(join(root, 'templates'))) {
    const label = relative(root, file);
    const raw = readJson(file, label, problems);
    if (raw === undefined) continue;
    const parsed = WorkflowSchema.safeParse(raw);
    if (!parsed.success) {
      problems.push(...zodProblems(parsed.error, label));
      continue;
    }
    const template = parsed.data;
    if (template.name !== basename(file, '.json')) {
      problems.push({ path: `${label}.name`, message: `'${template.name}' must match the file name` });
    }
    const issues = validateWorkflowDefinition(template, { config, addonIds: addons });
    problems.push(...issues.map((p) => ({ path: `${label}.${p.path}`, message: p.message })));
    templates.set(template.name, template);
  }

  if (problems.length > 0) throw new ConfigError(root, problems);
  return { addons, templates };
}
