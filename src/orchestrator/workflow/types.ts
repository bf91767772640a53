import { z } from 'zod';
import type { Media, Usage } from '../../providers/types.js';

/**
 * The workflow definition of API.md: the body of POST /workflow, the content of
 * templates/*.json and what the planner must write. One schema for all three.
 */

export const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const variableName = z.string().regex(VARIABLE_NAME, 'must be a variable name ([A-Za-z_][A-Za-z0-9_]*)');

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
    timeout_s: z.number().positive().optional(),
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
    inputs: z.record(variableName, InputSchema).default({}),
    linear_queue: z.array(TaskSchema).default([]).describe('tasks that all start at once'),
    inline_queue: z.array(TaskSchema).default([]).describe('tasks that run one after another, after the linear queue'),
    output: variableName.optional().describe("the variable that is the run's result"),
  })
  .strict();

export type Task = z.infer<typeof TaskSchema>;
export type Workflow = z.infer<typeof WorkflowSchema>;
export type WorkflowInput = z.infer<typeof InputSchema>;

export type RunStatus = 'queued' | 'running' | 'completed' | 'partial' | 'failed' | 'cancelled' | 'timed_out';
export type TaskStatus = 'pending' | 'running' | 'completed' | 'failed' | 'skipped';

export interface TaskRecord {
  id: string;
  queue: 'linear' | 'inline';
  status: TaskStatus;
  model_used: string | null;
  fallback_used: boolean;
  attempts: number;
  started_at: string | null;
  duration_ms: number;
  usage: Usage;
  cost_usd: number;
  error: { kind: string; message: string } | null;
  media?: Media[];
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
}
