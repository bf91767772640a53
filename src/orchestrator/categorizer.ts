import type { CallerSignal } from '../caller-signal.js';
import * as z from 'zod';
import type { Config } from '../config/schema.js';
import type { CallContext, Gateway } from '../gateway/types.js';
import { throwIfAborted } from './cancellation.js';
import { classifyHeuristically, type Category } from './heuristic.js';
import { extractJsonObject } from './json-answer.js';
import type { Ledger } from './ledger.js';
import { ATTR, inSpan } from '../telemetry/spans.js';

/** How a request was sorted into a tier, as reported in the /chat response. */
export interface Categorization {
  category: Category;
  source: 'model' | 'heuristic' | 'override';
  reasoning: string;
}

const CategorizerAnswerSchema = z.object({
  category: z.enum(['L', 'M', 'H']),
  reasoning: z.string().default(''),
});

/** The categorizer sees the start of a long message only: the shape of a request shows early, and its window is small. */
const MAX_CATEGORIZER_CHARS = 8000;

export function categorizerSystemPrompt(config: Config): string {
  let prompt = categorizerPrompts.get(config);
  if (prompt === undefined) categorizerPrompts.set(config, (prompt = buildCategorizerPrompt(config)));
  return prompt;
}

/** The config never changes while the server runs: the prompt is built once. */
const categorizerPrompts = new WeakMap<Config, string>();

function buildCategorizerPrompt(config: Config): string {
  const tiers = config.routing.tiers;
  const line = (name: 'L' | 'M' | 'H') => `- ${name}: ${tiers[name].description || '(no description)'}`;
  return [
    'You categorize user requests into one of three tiers. The tiers are:',
    line('L'),
    line('M'),
    line('H'),
    'Choose the tier whose description fits the request best. Requests that need several distinct steps or produce a substantial multi-part deliverable belong to the tier described as multi-step.',
    'Answer with one JSON object and nothing else: {"category": "L" | "M" | "H", "reasoning": "<one short sentence>"}',
  ].join('\n');
}

export interface CategorizeArgs {
  message: string;
  override?: Category;
  signal: CallerSignal;
  deadline?: number;
  context: CallContext;
  ledger: Ledger;
}

/**
 * Sorts a request into L, M or H: a request `category` wins; otherwise the
 * categorizer model decides; if it fails, answers garbage or its circuit is
 * open, the heuristic classifier decides and says so.
 */
export async function categorize(deps: { config: Config; gateway: Gateway }, args: CategorizeArgs): Promise<Categorization> {
  return inSpan('categorize', {}, async (span) => {
    const categorization = await categorizeRequest(deps, args);
    span?.setAttributes({ [ATTR.category]: categorization.category, 'mo.categorization.source': categorization.source });
    return categorization;
  });
}

async function categorizeRequest(deps: { config: Config; gateway: Gateway }, args: CategorizeArgs): Promise<Categorization> {
  if (args.override) return { category: args.override, source: 'override', reasoning: 'category given in the request' };
  const model = deps.config.routing.categorizer;
  const fallback = (why: string): Categorization => {
    const guess = classifyHeuristically(args.message);
    return { category: guess.category, source: 'heuristic', reasoning: `${why}; heuristic: ${guess.reasoning}` };
  };
  if (deps.gateway.circuitState(model) === 'open') return fallback('categorizer circuit is open');

  try {
    const result = await deps.gateway.call({
      model,
      kind: 'text',
      json: true,
      max_tokens: 200,
      temperature: 0,
      messages: [
        { role: 'system', content: categorizerSystemPrompt(deps.config) },
        { role: 'user', content: args.message.slice(0, MAX_CATEGORIZER_CHARS) },
      ],
      signal: args.signal,
      deadline: args.deadline,
      context: args.context,
    });
    args.ledger.add(result);
    const parsed = CategorizerAnswerSchema.safeParse(extractJsonObject(result.text));
    if (!parsed.success) return fallback('categorizer answer was not the expected JSON');
    return { category: parsed.data.category, source: 'model', reasoning: parsed.data.reasoning };
  } catch (err) {
    throwIfAborted(args.signal);
    return fallback(`categorizer failed (${(err as Error).message})`);
  }
}
