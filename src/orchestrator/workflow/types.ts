import * as z from 'zod';
import { CacheDirectiveSchema } from '../../cache/directive.js';
import type { Media, Usage } from '../../providers/types.js';
import { timeoutSeconds } from '../../config/minimums.js';
import { notReserved, withoutReservedKeys } from '../../config/reserved-names.js';

/**
 * The workflow definition of API.md: the body of POST /workflow, the content of
 * templates/*.json and what the planner must write. One schema for all three.
 */

export const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const variableKey = z.string().regex(VARIABLE_NAME, 'must be a variable name ([A-Za-z_][A-Za-z0-9_]*)');
const variableName = notReserved(variableKey);

export const TaskSchema = z
  .object({
    id: variableName.describe('unique within the workflow'),
    prompt: z.string().min(1).describe('may reference {{variables}}'),
    model: z.string().min(1).optional().describe('a configured model key; default: routing.default_task_model'),
    system: z.string().optional(),
    addons: z.array(z.string()).optional(),
    output: variableName.optional().describe('variable that receives the result; default: the id'),
    type: z.enum(['text', 'vision', 'image', 'video']).default('text'),
    images: z.array(z.string()).optional().describe('image URLs or data URIs for vision tasks'),
    max_tokens: z.number().int().positive().optional(),
    temperature: z.number().min(0).max(2).optional(),
    timeout_s: timeoutSeconds().optional().describe('this task\'s time budget in seconds (at least 0.1); the run\'s budget still applies'),
    optional: z.boolean().default(false).describe('its failure does not fail the run'),
  })
  .strict();

export const InputSchema = z
  .object({
    description: z.string().default(''),
    required: z.boolean().default(false),
    default: z.string().optional(),
  })
  .strict();

export const WorkflowSchema = z
  .object({
    name: z.string().min(1).max(100).default('workflow'),
    description: z.string().optional(),
    inputs: withoutReservedKeys(z.record(variableKey, InputSchema)).default({}),
    linear_queue: z.array(TaskSchema).default([]).describe('tasks that all start at once'),
    inline_queue: z.array(TaskSchema).default([]).describe('tasks that run one after another, after the linear queue'),
    output: variableName.optional().describe("the variable that is the run's result"),
    cache: CacheDirectiveSchema.describe(
      "response cache for this workflow's (or template's) tasks: false never reuses an answer, {ttl_s} reuses a task's answer to the exact same request for that long; absent: each task model's cache.ttl_s",
    ),
  })
  .strict();

export type Task = z.infer<typeof TaskSchema>;
export type Workflow = z.infer<typeof WorkflowSchema>;
export type WorkflowInput = z.infer<typeof InputSchema>;

export type RunStatus = 'queued' | 'running' | 'completed' | 'partial' | 'failed' | 'cancelled' | 'timed_out';

/** True for a status a run ends with (not `queued` or `running`): its record no longer changes. */
export const isFinalStatus = (status: RunStatus): status is Exclude<RunStatus, 'queued' | 'running'> => status !== 'queued' && status !== 'running';
export type TaskStatus = 'pending' | 'running' | 'completed' | 'failed' | 'skipped';

/**
 * One try of a task by a replica. A run that resumes after a crash or a handoff
 * shows the interrupted try (`interrupted`) and the one that re-ran it.
 */
export interface TaskAttempt {
  /** The replica (server process) that ran this try; see `runs/replica.ts`. */
  replica: string;
  started_at: string;
  status: 'running' | 'completed' | 'failed' | 'interrupted';
}

export interface TaskRecord {
  id: string;
  queue: 'linear' | 'inline';
  /** The variable the task's answer is stored in (`output`, default the id); its value is in the run's `variables`. */
  output_variable?: string;
  /** Variables the task's prompt and system prompt reference (`{{name}}`), in order of first use: inputs or other tasks' outputs. */
  references?: string[];
  /** The prompt as sent, after `{{variable}}` substitution; null until the task starts. */
  prompt?: string | null;
  status: TaskStatus;
  model_used: string | null;
  fallback_used: boolean;
  /** Every try of this task, oldest first (a resumed run re-runs the tasks that were in flight). */
  attempts: TaskAttempt[];
  /** Model calls the gateway made for the last try: retries and fallbacks included (0 before it ran). */
  calls: number;
  /** The replica that ran the task's last try; null before it started. */
  replica: string | null;
  started_at: string | null;
  duration_ms: number;
  usage: Usage;
  cost_usd: number;
  error: { kind: string; message: string } | null;
  media?: Media[];
  /** Present (true) when the task's answer stopped at its token limit (`finish_reason: length`). */
  truncated?: true;
}

/** The record of one run: returned by /workflow, /template and GET /runs/{id}, stored by the RunStore. */
export interface RunResult {
  run_id: string;
  workflow: string;
  status: RunStatus;
  output: string | null;
  variables: Record<string, string>;
  tasks: TaskRecord[];
  failure_report: string | null;
  usage: Usage;
  cost_usd: number;
  duration_ms: number;
  started_at: string;
  finished_at: string | null;
  session_id: string | null;
  media: Media[];
  simulated: boolean;
  /** How many times the run resumed after its replica stopped (crash, kill or handoff). */
  resumed: number;
  /** Who cancelled the run: `api` (POST /runs/{id}/cancel), `client` (the waiting caller hung up); null otherwise. */
  cancelled_by: string | null;
  /** Hash of the config version the run started with and kept to its end (absent on records made before versions existed). */
  config_version?: string;
  /** Where the run's final webhook goes (POST /workflow and /template `callback_url`); absent when none was given. */
  callback_url?: string;
}
