import type { CallerSignal } from '../caller-signal.js';
import type { Catalog } from '../config/catalog.js';
import { formatProblem, zodProblems } from '../config/load.js';
import type { Problem } from '../config/cross-check.js';
import type { Config } from '../config/schema.js';
import type { CallContext, Gateway } from '../gateway/types.js';
import type { ChatMessage } from '../providers/types.js';
import { throwIfAborted } from './cancellation.js';
import { inSpan } from '../telemetry/spans.js';
import { extractJsonObject } from './json-answer.js';
import type { Ledger } from './ledger.js';
import { WorkflowSchema, type Workflow } from './workflow/types.js';
import { validateWorkflowDefinition } from './workflow/validate.js';

/** The variable through which a generated workflow reads the user's message. */
export const REQUEST_VARIABLE = 'request';

export type PlanOutcome =
  | { workflow: Workflow; repaired: boolean }
  | { workflow: null; reason: string };

export interface PlanArgs {
  message: string;
  /** The model that plans (the configured planner, or a larger-window model for a long input). */
  model: string;
  signal: CallerSignal;
  deadline: number;
  context: CallContext;
  ledger: Ledger;
}

/** What the planner is told: the workflow format, the models and addons it may use, and the limits. */
export function plannerSystemPrompt(config: Config, catalog: Catalog): string {
  let byCatalog = plannerPrompts.get(config);
  if (!byCatalog) plannerPrompts.set(config, (byCatalog = new WeakMap()));
  let prompt = byCatalog.get(catalog);
  if (prompt === undefined) byCatalog.set(catalog, (prompt = buildPlannerPrompt(config, catalog)));
  return prompt;
}

/** Config and catalogue never change while the server runs: the prompt is built once. */
const plannerPrompts = new WeakMap<Config, WeakMap<Catalog, string>>();

function buildPlannerPrompt(config: Config, catalog: Catalog): string {
  const models = Object.entries(config.models)
    .map(([key, m]) => `- ${key}: ${m.description || '(no description)'} [capabilities: ${m.capabilities.join(', ')}; context window ${m.context_window} tokens]`)
    .join('\n');
  const addons = [...catalog.addons.values()].map((a) => a.id).join(', ');
  const limits = config.limits;
  return `You are a planner. Turn the user's request into a workflow: a JSON object that a task runner executes.

Format:
{
  "name": "short_snake_case_name",
  "description": "one sentence",
  "inputs": { "${REQUEST_VARIABLE}": { "description": "the user's request", "required": true } },
  "linear_queue": [ { "id": "research", "model": "<model key>", "prompt": "... {{${REQUEST_VARIABLE}}} ...", "output": "research" } ],
  "inline_queue": [ { "id": "write", "model": "<model key>", "prompt": "Using {{research}}, answer {{${REQUEST_VARIABLE}}}", "output": "final" } ],
  "output": "final"
}

Rules:
- The user's full message is the input variable {{${REQUEST_VARIABLE}}}; declare no other inputs. Quote it in prompts through the variable instead of copying it.
- Every linear_queue task starts at the same time, so a linear task may only read inputs ({{${REQUEST_VARIABLE}}}). The inline_queue runs afterwards, one task at a time, in order: an inline task may read inputs, every linear output and the outputs of earlier inline tasks.
- A task's output variable is its "output" field (default: its id). Ids and output names must be unique, made of letters, digits and underscores, and must not be "${REQUEST_VARIABLE}".
- Reference variables as {{name}}. Every prompt must be self-contained: say exactly what to produce.
- Optional task fields: "system", "addons" (ids below), "type" ("text" default, "image" for image generation, "video" for video generation — use a model with that capability), "max_tokens", "temperature", "timeout_s", "optional" (true when the result can do without it).
- Put independent research or drafting in linear_queue for parallelism; use inline_queue to combine, write and polish. The last inline task should produce the complete final answer for the user, and "output" names its variable.
- Use between 2 and ${Math.min(8, limits.max_tasks_per_workflow)} tasks (never more than ${limits.max_tasks_per_workflow}); prompts under ${limits.max_prompt_chars} characters.

Models (use these keys only):
${models}

Addons (optional expert system prompts; use these ids only):
${addons}

Answer with the JSON object only, no prose and no code fence.`;
}

/** Parses and validates a planner answer against the same rules as a user-supplied workflow. */
export function checkPlan(text: string, message: string, config: Config, catalog: Catalog): { workflow: Workflow | null; problems: Problem[] } {
  const raw = extractJsonObject(text);
  if (raw === undefined || typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { workflow: null, problems: [{ path: '', message: 'the answer is not a JSON object' }] };
  }
  const parsed = WorkflowSchema.safeParse(raw);
  if (!parsed.success) return { workflow: null, problems: zodProblems(parsed.error) };
  const workflow = parsed.data;
  // The request is always supplied; declaring it is a formality a planner may forget.
  if (!Object.hasOwn(workflow.inputs, REQUEST_VARIABLE)) {
    workflow.inputs[REQUEST_VARIABLE] = { description: "the user's request", required: true };
  }
  const problems = validateWorkflowDefinition(workflow, {
    config,
    addonIds: catalog.addons,
    variables: { [REQUEST_VARIABLE]: message },
  });
  return { workflow: problems.length === 0 ? workflow : null, problems };
}

/**
 * Asks the planner for a workflow. An invalid plan gets one repair attempt with
 * the problems listed; a second invalid plan, or a planner that cannot be
 * reached, ends in `{ workflow: null, reason }` so the caller answers directly.
 */
export async function planWorkflow(deps: { config: Config; catalog: Catalog; gateway: Gateway }, args: PlanArgs): Promise<PlanOutcome> {
  return inSpan('plan', { attributes: { 'gen_ai.request.model': args.model } }, async (span) => {
    const outcome = await plan(deps, args);
    if (outcome.workflow) span?.setAttributes({ 'mo.plan.tasks': outcome.workflow.linear_queue.length + outcome.workflow.inline_queue.length, 'mo.plan.repaired': outcome.repaired });
    else span?.setAttributes({ 'error.type': 'no_plan', 'mo.reason': outcome.reason });
    return outcome;
  });
}

async function plan(deps: { config: Config; catalog: Catalog; gateway: Gateway }, args: PlanArgs): Promise<PlanOutcome> {
  const messages: ChatMessage[] = [
    { role: 'system', content: plannerSystemPrompt(deps.config, deps.catalog) },
    { role: 'user', content: args.message },
  ];
  for (let round = 0; round < 2; round++) {
    let text: string;
    try {
      const request = {
        model: args.model,
        kind: 'text' as const,
        json: true,
        messages,
        signal: args.signal,
        deadline: args.deadline,
        context: { ...args.context, task_id: round === 0 ? 'planner' : 'planner_repair' },
      };
      // The repair round is a span of its own inside the plan's.
      const result = round === 0 ? await deps.gateway.call(request) : await inSpan('plan repair', {}, () => deps.gateway.call(request));
      args.ledger.add(result);
      text = result.text;
    } catch (err) {
      throwIfAborted(args.signal);
      return { workflow: null, reason: `the planner could not be reached: ${(err as Error).message}` };
    }
    const { workflow, problems } = checkPlan(text, args.message, deps.config, deps.catalog);
    if (workflow) return { workflow, repaired: round > 0 };
    if (round === 1) {
      return { workflow: null, reason: `the planner's workflow was invalid twice: ${problems.slice(0, 5).map(formatProblem).join('; ')}` };
    }
    messages.push(
      { role: 'assistant', content: text },
      {
        role: 'user',
        content: `That workflow is invalid:\n${problems.map((p) => `- ${formatProblem(p)}`).join('\n')}\nReturn the corrected workflow as one JSON object only.`,
      },
    );
  }
  return { workflow: null, reason: 'the planner produced no workflow' };
}

