import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { z } from 'zod';
import { TemplateParamsSchema, TemplateRequestSchema, WorkflowRequestSchema } from '../../orchestrator/requests.js';
import type { SubmitRequest } from '../../runs/engine.js';
import { serveOperation } from '../operation.js';
import type { RunAcceptedSchema } from '../plugins/openapi-operations.js';
import { checkWorkflowAllowance } from '../../control/keys.js';
import type { Config } from '../../config/schema.js';
import type { Workflow } from '../../orchestrator/workflow/types.js';
import { tokenAllowance } from '../plugins/caller.js';

/** Every task's model must be allowed by the caller's managed key (or budget tier) and by its token's models claim. */
function checkAllowances(request: FastifyRequest, workflow: Workflow, config: Config): void {
  checkWorkflowAllowance(request.clientKey, workflow, config);
  checkWorkflowAllowance(tokenAllowance(request), workflow, config);
}

const STREAM_NOTE =
  'With `stream: true` the answer is Server-Sent Events: task_started, task_retry, task_completed, task_failed, token, then completed (the run record) or error.';

const ASYNC_NOTE =
  'With `async: true` (or the header `Prefer: respond-async`) the answer is 202 with the run_id at once and `Location: /runs/{run_id}`; the run is durable and resumes after a restart.';

/** True when the caller asked not to wait: `async: true` in the body or RFC 7240 `Prefer: respond-async`. */
const wantsAsync = (request: FastifyRequest, async: boolean): boolean =>
  async || /(^|[\s,])respond-async(\s*(,|;|$))/i.test(String(request.headers.prefer ?? ''));

/** Submits the run and answers 202 with where to follow it; nobody waits, so nothing cancels it but POST /runs/{id}/cancel. */
async function acceptAsync(request: FastifyRequest, reply: FastifyReply, req: SubmitRequest): Promise<FastifyReply> {
  const submitted = await request.server.ctx.runs.submit(req);
  // The outcome lives in the run record and its event log.
  submitted.done.catch(() => undefined);
  const location = `/runs/${submitted.run_id}`;
  const body: z.infer<typeof RunAcceptedSchema> = { run_id: submitted.run_id, status: 'queued', location };
  return reply.code(202).header('location', location).send(body);
}

/** POST /workflow and POST /template/{name}; the runs they start are served by runs.ts. */
export async function workflowRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.post(
    '/workflow',
    {
      schema: {
        summary: 'Run a workflow given inline',
        description: `Validates the workflow (every problem is listed in a 400, before any model call), runs it and returns the run record. ${STREAM_NOTE} ${ASYNC_NOTE}`,
        tags: ['workflows'],
        body: WorkflowRequestSchema,
      },
    },
    async (request, reply) => {
      const { workflow, variables, session_id, stream, timeout_s, callback_url } = request.body;
      app.ctx.webhooks.checkCallbackUrl(callback_url);
      checkAllowances(request, workflow, app.ctx.config);
      if (wantsAsync(request, request.body.async)) {
        return acceptAsync(request, reply, { workflow, variables, session_id: session_id ?? null, timeout_s, request_id: request.id, key_id: request.clientKey?.id, callback_url });
      }
      return serveOperation(request, reply, stream, (signal, emit) =>
        app.ctx.orchestrator.runWorkflow(workflow, variables, { request_id: request.id, key_id: request.clientKey?.id, signal, emit, session_id, timeout_s, callback_url }),
      );
    },
  );

  r.post(
    '/template/:name',
    {
      schema: {
        summary: 'Run a template by name',
        description: `Runs templates/<name>.json with the given variables (input defaults apply; missing required inputs are a 400 listing them). ${STREAM_NOTE} ${ASYNC_NOTE}`,
        tags: ['workflows'],
        params: TemplateParamsSchema,
        body: TemplateRequestSchema,
      },
    },
    async (request, reply) => {
      const { variables, session_id, stream, timeout_s, callback_url } = request.body;
      app.ctx.webhooks.checkCallbackUrl(callback_url);
      const template = app.ctx.catalog.templates.get(request.params.name);
      if (template) checkAllowances(request, template, app.ctx.config);
      if (wantsAsync(request, request.body.async)) {
        return acceptAsync(request, reply, { template: request.params.name, variables, session_id: session_id ?? null, timeout_s, request_id: request.id, key_id: request.clientKey?.id, callback_url });
      }
      return serveOperation(request, reply, stream, (signal, emit) =>
        app.ctx.orchestrator.runTemplate(request.params.name, variables, { request_id: request.id, key_id: request.clientKey?.id, signal, emit, session_id, timeout_s, callback_url }),
      );
    },
  );
}
