import type { Problem } from '../../config/cross-check.js';
import type { Capability, Config } from '../../config/schema.js';
import { imageReferenceProblem } from '../images.js';
import { refModels } from '../../control/splits.js';
import type { Task, Workflow } from './types.js';
import { closest } from 'fastest-levenshtein';
import { extractReferences, FILTERS, unknownFilters } from './variables.js';

/** What a workflow is checked against. Without `variables`, required-input checks are skipped (templates at startup). */
export interface ValidationEnv {
  config: Config;
  /** Known addon ids (a Set, or the catalogue's Map itself). */
  addonIds: { has(id: string): boolean };
  variables?: Record<string, string>;
}

/** The capability a task's model needs for the task's type. */
export const CAPABILITY_FOR_TYPE: Record<Task['type'], Capability> = {
  text: 'text',
  vision: 'vision',
  image: 'image_generation',
  video: 'video_generation',
};

type QueueName = 'linear_queue' | 'inline_queue';

/**
 * The problems of the variables given to a workflow against the inputs it declares: each required input without a
 * default that is missing, and each variable it does not declare, with the closest declared input named (a misspelled
 * `tpoic` would otherwise be dropped). `at(name)` gives the problem's path for a variable.
 */
export function variableProblems(inputs: Workflow['inputs'], variables: Record<string, string>, at: (name: string) => string): Problem[] {
  const problems: Problem[] = [];
  for (const [name, input] of Object.entries(inputs)) {
    if (input.required && input.default === undefined && !Object.hasOwn(variables, name)) {
      problems.push({ path: at(name), message: `missing required input '${name}'${input.description ? ` (${input.description})` : ''}` });
    }
  }
  const known = Object.keys(inputs);
  for (const name of Object.keys(variables)) {
    if (Object.hasOwn(inputs, name)) continue;
    const hint = known.length > 0 ? `; did you mean '${closest(name, known)}'?` : '; this workflow declares no inputs';
    problems.push({ path: at(name), message: `unknown variable '${name}'${hint}` });
  }
  return problems;
}

/** The variable a task writes: its `output`, else its id. */
export const outputName = (task: Task): string => task.output ?? task.id;

/** Which task writes each output variable, and where it sits. */
interface Producer {
  queue: QueueName;
  index: number;
  id: string;
}

/**
 * Checks everything about a workflow that its schema cannot, before any model
 * call, and reports every problem with its path (`linear_queue.0.model`).
 */
export function validateWorkflowDefinition(wf: Workflow, env: ValidationEnv): Problem[] {
  const { config } = env;
  const limits = config.limits;
  const problems: Problem[] = [];
  const queues: [QueueName, Task[]][] = [
    ['linear_queue', wf.linear_queue],
    ['inline_queue', wf.inline_queue],
  ];
  const total = wf.linear_queue.length + wf.inline_queue.length;
  if (total === 0) problems.push({ path: 'linear_queue', message: 'the workflow has no tasks: linear_queue and inline_queue are both empty' });
  if (total > limits.max_tasks_per_workflow) {
    problems.push({ path: 'linear_queue', message: `the workflow has ${total} tasks; the limit is ${limits.max_tasks_per_workflow}` });
  }

  const inputs = new Set(Object.keys(wf.inputs));
  const ids = new Set<string>();
  const producers = new Map<string, Producer>();
  for (const [queue, tasks] of queues) {
    tasks.forEach((task, index) => {
      const at = `${queue}.${index}`;
      const duplicateId = ids.has(task.id);
      if (duplicateId) problems.push({ path: `${at}.id`, message: `duplicate task id '${task.id}'` });
      ids.add(task.id);
      const out = outputName(task);
      const outPath = task.output === undefined ? `${at}.id` : `${at}.output`;
      // An output that defaults to a duplicate id is the same mistake, already reported once.
      const sameMistake = duplicateId && task.output === undefined;
      if (!sameMistake && inputs.has(out)) problems.push({ path: outPath, message: `output '${out}' collides with the input of the same name` });
      else if (!sameMistake && producers.has(out)) problems.push({ path: outPath, message: `duplicate output name '${out}'` });
      else if (!producers.has(out)) producers.set(out, { queue, index, id: task.id });
      problems.push(...checkTask(task, at, env));
    });
  }

  for (const [queue, tasks] of queues) {
    tasks.forEach((task, index) => {
      const at = `${queue}.${index}`;
      for (const field of ['prompt', 'system'] as const) {
        const text = task[field];
        if (text === undefined) continue;
        for (const name of extractReferences(text)) {
          const message = referenceProblem(name, queue, index, inputs, producers);
          if (message) problems.push({ path: `${at}.${field}`, message });
        }
        for (const { placeholder, filter } of unknownFilters(text)) {
          problems.push({ path: `${at}.${field}`, message: `unknown filter '${filter}' in ${placeholder}; the filters are ${[...FILTERS.keys()].join(', ')}` });
        }
      }
    });
  }

  if (wf.output !== undefined && !inputs.has(wf.output) && !producers.has(wf.output)) {
    problems.push({ path: 'output', message: `output '${wf.output}' names no input and no task output` });
  }

  if (env.variables) {
    problems.push(...variableProblems(wf.inputs, env.variables, (name) => `variables.${name}`));
    for (const [name, value] of Object.entries(env.variables)) {
      if (value.length > limits.max_variable_chars) {
        problems.push({ path: `variables.${name}`, message: `value is ${value.length} characters; the limit is ${limits.max_variable_chars}` });
      }
    }
  }
  return problems;
}

/** Problems of one task on its own: model, capability, addons, sizes, images. */
function checkTask(task: Task, at: string, env: ValidationEnv): Problem[] {
  const { config } = env;
  const problems: Problem[] = [];
  // Without its own model a task may get any arm of the default: each must fit.
  for (const modelKey of task.model ? [task.model] : refModels(config.routing.default_task_model)) {
    const model = Object.hasOwn(config.models, modelKey) ? config.models[modelKey] : undefined;
    if (!model) {
      problems.push({ path: `${at}.model`, message: `unknown model '${modelKey}'` });
    } else {
      const needed = CAPABILITY_FOR_TYPE[task.type];
      if (!model.capabilities.includes(needed)) {
        problems.push({ path: `${at}.type`, message: `model '${modelKey}' lacks the '${needed}' capability a '${task.type}' task needs` });
      }
    }
  }
  (task.addons ?? []).forEach((addon, j) => {
    if (!env.addonIds.has(addon)) problems.push({ path: `${at}.addons.${j}`, message: `unknown addon '${addon}'` });
  });
  const maxPrompt = config.limits.max_prompt_chars;
  if (task.prompt.length > maxPrompt) {
    problems.push({ path: `${at}.prompt`, message: `prompt is ${task.prompt.length} characters; the limit is ${maxPrompt}` });
  }
  if (task.system !== undefined && task.system.length > maxPrompt) {
    problems.push({ path: `${at}.system`, message: `system prompt is ${task.system.length} characters; the limit is ${maxPrompt}` });
  }
  if (task.images && task.images.length > 0) {
    if (task.type !== 'vision') problems.push({ path: `${at}.images`, message: `images are only sent with tasks of type 'vision'` });
    if (task.images.length > config.limits.max_images) {
      problems.push({ path: `${at}.images`, message: `${task.images.length} images; the limit is ${config.limits.max_images}` });
    }
    task.images.forEach((ref, j) => {
      const message = imageReferenceProblem(ref, config.limits.max_image_data_uri_bytes);
      if (message) problems.push({ path: `${at}.images.${j}`, message });
    });
  }
  return problems;
}

/**
 * Whether task `index` of `queue` may read `name`: linear tasks read inputs
 * only; inline tasks also read every linear output and earlier inline outputs.
 */
function referenceProblem(
  name: string,
  queue: QueueName,
  index: number,
  inputs: Set<string>,
  producers: Map<string, Producer>,
): string | null {
  if (inputs.has(name)) return null;
  const producer = producers.get(name);
  if (!producer) return `undefined variable '${name}'`;
  if (queue === 'linear_queue') {
    return `variable '${name}' is not available to a linear task: it is the output of task '${producer.id}', and linear tasks only read inputs`;
  }
  if (producer.queue === 'linear_queue' || producer.index < index) return null;
  if (producer.index === index) return `task reads its own output '${name}'`;
  return `variable '${name}' is not available yet: it is the output of the later task '${producer.id}'`;
}
