import * as z from 'zod';
import type { Config } from '../config/schema.js';
import { validationError, type ErrorDetail } from '../errors.js';
import { timeoutSeconds } from '../config/minimums.js';
import { withoutReservedKeys } from '../config/reserved-names.js';
import { CacheDirectiveSchema } from '../cache/directive.js';
import { SessionIdSchema } from '../store/session-id.js';
import { imageProblems, visionProblem } from './images.js';
import { WorkflowSchema } from './workflow/types.js';

/**
 * Request bodies of /chat, /workflow and /template/{name}: one zod schema each,
 * used by the routes to validate and by the OpenAPI document. Limits that live
 * in the config (message length, image count and size) are checked in code by
 * `checkChatLimits`, since the config is only known at runtime.
 */

const timeoutS = timeoutSeconds()
  .optional()
  .describe("the request's time budget in seconds; at most the configured limits.default_timeout_s");
const stream = z.boolean().default(false).describe('answer with Server-Sent Events');
const runAsync = z
  .boolean()
  .default(false)
  .describe('answer 202 with the run_id at once (also `Prefer: respond-async`); follow it at Location: /runs/{run_id} and /runs/{run_id}/events');
const callbackUrl = z
  .string()
  .max(2048)
  .optional()
  .describe('https URL that receives the run\'s final webhook (Standard Webhooks, signed); private and loopback addresses are refused');
const variables = withoutReservedKeys(z.record(z.string(), z.string()))
  .default({})
  .describe('values of the workflow inputs; a name the workflow does not declare is a 400 naming the closest input');

export const ChatRequestSchema = z
  .object({
    message: z.string().min(1).describe("the user's message (at most limits.max_message_chars characters)"),
    session_id: SessionIdSchema.optional().describe('continue this session (a new one is created when absent)'),
    addons: z.array(z.string()).optional().describe('addon ids whose prompts become system prompts'),
    images: z
      .array(z.string())
      .optional()
      .describe('https:// URLs or data:image/...;base64,... URIs, sent to the vision model (never fetched by the server)'),
    category: z.enum(['L', 'M', 'H']).optional().describe('skip categorisation and use this tier'),
    model: z.string().min(1).optional().describe('a configured model key that answers instead of the tier model'),
    stream,
    timeout_s: timeoutS,
    callback_url: callbackUrl.describe('https URL that receives the final webhook of the workflow an H answer runs (L and M answers run none)'),
    cache: CacheDirectiveSchema,
  })
  .strict();

export const WorkflowRequestSchema = z
  .object({
    workflow: WorkflowSchema,
    variables,
    session_id: SessionIdSchema.optional(),
    stream,
    async: runAsync,
    timeout_s: timeoutS,
    callback_url: callbackUrl,
  })
  .strict();

export const TemplateRequestSchema = z
  .object({
    variables,
    session_id: SessionIdSchema.optional(),
    stream,
    async: runAsync,
    timeout_s: timeoutS,
    callback_url: callbackUrl,
  })
  .strict();

export const TemplateParamsSchema = z.object({ name: z.string().min(1).max(100) });
export const RunParamsSchema = z.object({ run_id: z.string().min(1).max(100) });

export type ChatRequest = z.infer<typeof ChatRequestSchema>;
export type WorkflowRequest = z.infer<typeof WorkflowRequestSchema>;
export type TemplateRequest = z.infer<typeof TemplateRequestSchema>;

/** The config-dependent checks of a chat request, all problems at once. */
export function checkChatLimits(req: Pick<ChatRequest, 'message' | 'images' | 'model'>, config: Config): void {
  const limits = config.limits;
  const problems: ErrorDetail[] = [];
  if (req.message.length > limits.max_message_chars) {
    problems.push({ path: 'message', message: `message is ${req.message.length} characters; the limit is ${limits.max_message_chars}` });
  }
  const images = req.images ?? [];
  problems.push(...imageProblems(images.map((url, i) => ({ path: `images.${i}`, url })), 'images', limits));
  if (req.model !== undefined) {
    const model = Object.hasOwn(config.models, req.model) ? config.models[req.model] : undefined;
    const lacking = model && visionProblem(req.model, model.capabilities, images.length > 0);
    if (!model) problems.push({ path: 'model', message: `unknown model '${req.model}'` });
    else if (lacking) problems.push({ path: 'model', message: lacking });
  }
  if (problems.length > 0) throw validationError('invalid chat request', problems);
}

/** The request's time budget in ms: its own timeout_s when shorter than the configured one. */
export function budgetMs(config: Config, timeout_s: number | undefined): number {
  const max = config.limits.default_timeout_s;
  return Math.min(timeout_s ?? max, max) * 1000;
}
