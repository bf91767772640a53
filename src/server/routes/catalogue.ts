import type { FastifyInstance } from 'fastify';
import type { Config } from '../../config/schema.js';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import * as z from 'zod';
import { ADDON_CATEGORIES, AddonSchema } from '../../config/catalog.js';
import { CapabilitySchema } from '../../config/schema.js';
import { fallbackChain } from '../../config/chain.js';
import { InputSchema } from '../../orchestrator/workflow/types.js';
import { refModels } from '../../control/splits.js';

const ModelInfoSchema = z.object({
  key: z.string(),
  provider: z.string(),
  provider_model: z.string(),
  mode: z.enum(['live', 'simulated']),
  description: z.string(),
  capabilities: z.array(CapabilitySchema),
  context_window: z.number(),
  max_output_tokens: z.number(),
  pricing: z.object({
    input_per_million: z.number(),
    output_per_million: z.number(),
    per_image: z.number().optional(),
    per_video_second: z.number().optional(),
  }),
  fallbacks: z.array(z.string()).describe('the full chain tried after this model, in order'),
  circuit: z.enum(['closed', 'open', 'half_open']),
  roles: z.array(z.string()).describe('routing roles and tiers this model serves'),
});

const TemplateInfoSchema = z.object({
  name: z.string(),
  description: z.string().nullable(),
  inputs: z.record(z.string(), InputSchema),
  tasks: z.object({ linear: z.array(z.string()), inline: z.array(z.string()) }),
  output: z.string().nullable(),
});

/** The read-only catalogue: models, addons, templates. Never shows a key or a provider URL. */
export async function catalogueRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { catalog } = app.ctx;

  /** Routing roles and tiers per model, of the active config version. */
  const rolesOf = (config: Config): Map<string, string[]> => {
    const roles = new Map<string, string[]>();
    const addRole = (model: string, role: string) => roles.set(model, [...(roles.get(model) ?? []), role]);
    for (const [role, value] of Object.entries(config.routing)) {
      if (typeof value === 'string') addRole(value, role);
      else if (Array.isArray(value)) for (const model of refModels(value)) addRole(model, role);
    }
    for (const [tier, t] of Object.entries(config.routing.tiers)) if (t.handler === 'direct') for (const model of refModels(t.model)) addRole(model, `tier_${tier}`);
    return roles;
  };

  r.get(
    '/models',
    { schema: { summary: 'Configured models', tags: ['catalogue'], response: { 200: z.object({ models: z.array(ModelInfoSchema) }) } } },
    async () => {
      const { config, loaded, gateway } = app.ctx.runtime.current();
      const roles = rolesOf(config);
      return {
        models: Object.entries(config.models).map(([key, m]) => ({
          key,
          provider: m.provider,
          provider_model: m.model,
          mode: loaded.providerModes[m.provider] ?? 'simulated',
          description: m.description,
          capabilities: m.capabilities,
          context_window: m.context_window,
          max_output_tokens: m.max_output_tokens,
          pricing: m.pricing,
          fallbacks: fallbackChain(config, key).slice(1),
          circuit: gateway.circuitState(key),
          roles: roles.get(key) ?? [],
        })),
      };
    },
  );

  r.get(
    '/addons',
    {
      schema: {
        summary: 'Prompt addons',
        tags: ['catalogue'],
        querystring: z.object({ category: z.enum(ADDON_CATEGORIES).optional() }),
        response: { 200: z.object({ addons: z.array(AddonSchema), categories: z.record(z.string(), z.number()) }) },
      },
    },
    async (request) => {
      const all = [...catalog.addons.values()];
      const categories = Object.fromEntries(ADDON_CATEGORIES.map((c) => [c, all.filter((a) => a.category === c).length]));
      const { category } = request.query;
      return { addons: category ? all.filter((a) => a.category === category) : all, categories };
    },
  );

  r.get(
    '/templates',
    { schema: { summary: 'Workflow templates', tags: ['catalogue'], response: { 200: z.object({ templates: z.array(TemplateInfoSchema) }) } } },
    async () => ({
      templates: [...catalog.templates.values()].map((t) => ({
        name: t.name,
        description: t.description ?? null,
        inputs: t.inputs,
        tasks: { linear: t.linear_queue.map((x) => x.id), inline: t.inline_queue.map((x) => x.id) },
        output: t.output ?? null,
      })),
    }),
  );
}
