import { compact, table, usd } from '../format.js';
import { paint, type Output } from '../output.js';
import { Checks, isRecord, type ModeContext, type ModeResult } from '../result.js';

/** The health and catalogue modes: GET /, /health, /models, /addons, /templates. */

interface ModelInfo {
  key: string;
  provider: string;
  provider_model?: string;
  mode?: string;
  capabilities: string[];
  context_window?: number;
  pricing: { input_per_million: number; output_per_million: number; per_image?: number; per_video_second?: number };
  circuit?: string;
  fallbacks?: string[];
}

interface AddonInfo {
  id: string;
  name: string;
  category: string;
  description?: string;
}

interface TemplateInfo {
  name: string;
  description: string | null;
  inputs: Record<string, { description?: string; required?: boolean; default?: string }>;
  tasks?: { linear: string[]; inline: string[] };
}

export async function healthMode({ api, out }: ModeContext): Promise<ModeResult> {
  const checks = new Checks();
  const root = await api.get<Record<string, unknown>>('/');
  out.line(`GET /        ${compact(root.body)}`);
  checks.that(root.body?.status === 'ok', `GET / said status '${String(root.body?.status)}', expected 'ok'`);

  const health = await api.get<Record<string, unknown>>('/health');
  const h = health.body ?? {};
  out.line(`GET /health  status ${String(h.status)}, version ${String(h.version)}, up ${String(h.uptime_s)} s${h.draining ? ', draining' : ''}`);
  const providers = isRecord(h.providers) ? h.providers : {};
  for (const [name, p] of Object.entries(providers)) {
    out.line(`  provider ${name}: ${isRecord(p) ? String(p.mode) : compact(p)}`);
  }
  const models = isRecord(h.models) ? Object.entries(h.models) : [];
  const notClosed = models.filter(([, m]) => isRecord(m) && m.circuit !== 'closed').map(([k, m]) => `${k} (${String((m as Record<string, unknown>).circuit)})`);
  out.line(`  circuits: ${models.length - notClosed.length}/${models.length} closed${notClosed.length ? `; not closed: ${notClosed.join(', ')}` : ''}`);
  if (isRecord(h.store)) out.line(`  store: ${String(h.store.driver)} ${String(h.store.status)}${h.store.message ? ` (${String(h.store.message)})` : ''}`);
  if (isRecord(h.workflows)) out.line(`  workflows: ${String(h.workflows.running)} running, ${String(h.workflows.queued)} queued`);

  checks.that(h.status === 'ok' || h.status === 'degraded', `GET /health said status '${String(h.status)}'`);
  checks.that(Object.keys(providers).length > 0, 'GET /health lists no providers');
  const simulated = Object.values(providers).filter((p) => isRecord(p) && p.mode === 'simulated').length;
  return checks.result(`server ${String(h.status)}, ${Object.keys(providers).length} providers (${simulated} simulated), ${models.length} models`);
}

export async function modelsMode({ api, out }: ModeContext): Promise<ModeResult> {
  const checks = new Checks();
  const { body } = await api.get<{ models: ModelInfo[] }>('/models');
  const models = Array.isArray(body?.models) ? body.models : [];
  printModels(out, models);
  checks.that(models.length > 0, 'GET /models lists no models');
  for (const m of models) {
    checks.that(typeof m.key === 'string' && typeof m.provider === 'string', `a model lacks key or provider: ${compact(m)}`);
    checks.that(Array.isArray(m.capabilities) && m.capabilities.length > 0, `model ${m.key} lists no capabilities`);
    checks.that(isRecord(m.pricing) && typeof m.pricing.input_per_million === 'number', `model ${m.key} has no pricing`);
  }
  const providers = new Set(models.map((m) => m.provider));
  return checks.result(`${models.length} models across ${providers.size} providers`);
}

/** The model table of `models` and of the chat REPL's /models. */
export function printModels(out: Output, models: ModelInfo[]): void {
  const rows = models.map((m) => [
    m.key,
    m.provider + (m.mode === 'simulated' ? paint(out, 'dim', ' (sim)') : ''),
    (m.capabilities ?? []).join(','),
    pricing(m.pricing),
    m.circuit && m.circuit !== 'closed' ? paint(out, 'red', m.circuit) : (m.circuit ?? ''),
  ]);
  for (const line of table(out, ['model', 'provider', 'capabilities', 'price in/out per 1M', 'circuit'], rows)) out.line(line);
}

function pricing(p: ModelInfo['pricing'] | undefined): string {
  if (!p) return '?';
  const parts = [`${usd(p.input_per_million)}/${usd(p.output_per_million)}`];
  if (p.per_image !== undefined) parts.push(`${usd(p.per_image)}/image`);
  if (p.per_video_second !== undefined) parts.push(`${usd(p.per_video_second)}/video s`);
  return parts.join(' ');
}

export async function addonsMode({ api, out }: ModeContext): Promise<ModeResult> {
  const checks = new Checks();
  const { body } = await api.get<{ addons: AddonInfo[]; categories?: Record<string, number> }>('/addons');
  const addons = Array.isArray(body?.addons) ? body.addons : [];
  const counted = new Map<string, number>();
  for (const a of addons) counted.set(a.category, (counted.get(a.category) ?? 0) + 1);
  const categories = body?.categories ?? Object.fromEntries(counted);
  for (const line of table(out, ['category', 'addons'], Object.entries(categories).map(([c, n]) => [c, String(n)]))) out.line(line);
  out.line(`total ${addons.length}`);

  checks.that(addons.length > 0, 'GET /addons lists no addons');
  for (const [category, n] of Object.entries(categories)) {
    checks.that((counted.get(category) ?? 0) === n, `category ${category}: the server counts ${n}, the list holds ${counted.get(category) ?? 0}`);
  }
  const first = Object.keys(categories)[0];
  if (first) {
    const filtered = await api.get<{ addons: AddonInfo[] }>(`/addons?category=${encodeURIComponent(first)}`);
    const list = filtered.body?.addons ?? [];
    checks.that(list.length === counted.get(first) && list.every((a) => a.category === first), `GET /addons?category=${first} did not filter to that category`);
  }
  return checks.result(`${addons.length} addons in ${Object.keys(categories).length} categories (${Object.entries(categories).map(([c, n]) => `${c} ${n}`).join(', ')})`);
}

/** The addon list of the chat REPL's /addons. */
export function printAddons(out: Output, addons: AddonInfo[]): void {
  for (const line of table(out, ['id', 'category', 'name'], addons.map((a) => [a.id, a.category, a.name]))) out.line(line);
}

export async function templatesMode({ api, out }: ModeContext): Promise<ModeResult> {
  const checks = new Checks();
  const { body } = await api.get<{ templates: TemplateInfo[] }>('/templates');
  const templates = Array.isArray(body?.templates) ? body.templates : [];
  for (const t of templates) {
    out.line(`${paint(out, 'bold', t.name)}: ${t.description ?? ''}`);
    for (const [name, input] of Object.entries(t.inputs ?? {})) {
      const flags = input.required ? 'required' : `optional${input.default !== undefined ? `, default "${input.default}"` : ''}`;
      out.line(`  {{${name}}} (${flags}) ${input.description ?? ''}`);
    }
    if (t.tasks) out.line(`  tasks: linear [${t.tasks.linear.join(', ')}] → inline [${t.tasks.inline.join(' → ')}]`);
  }
  checks.that(templates.length > 0, 'GET /templates lists no templates');
  checks.that(
    templates.some((t) => t.name === 'research_report'),
    'template research_report is missing (the template mode runs it)',
  );
  for (const t of templates) checks.that(isRecord(t.inputs), `template ${t.name} has no inputs object`);
  return checks.result(`${templates.length} templates: ${templates.map((t) => `${t.name} (${Object.keys(t.inputs ?? {}).length} inputs)`).join(', ')}`);
}

export type { AddonInfo, ModelInfo, TemplateInfo };
