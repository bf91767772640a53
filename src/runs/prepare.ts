import { randomUUID } from 'node:crypto';
import { notFound, validationError } from '../errors.js';
import type { OrchestratorDeps } from '../orchestrator/chat-types.js';
import { budgetMs } from '../orchestrator/requests.js';
import { newRunRecord } from '../orchestrator/workflow/executor.js';
import type { RunResult, Workflow } from '../orchestrator/workflow/types.js';
import { validateWorkflowDefinition } from '../orchestrator/workflow/validate.js';
import type { RunSpec } from '../store/types.js';
import type { SubmitOptions, SubmitRequest } from './engine.js';
import { traceHeaders } from '../telemetry/spans.js';

/**
 * Turns a submission into the run's first record and its spec: resolves the
 * template (404 when unknown), validates the workflow with the variables (400
 * listing every problem), and fixes the deadline from acceptance.
 */
export function prepareRun(
  deps: Pick<OrchestratorDeps, 'config' | 'config_version' | 'catalog' | 'clock'>,
  req: SubmitRequest,
  opts: SubmitOptions,
): { record: RunResult; spec: RunSpec } {
  const { config } = deps;
  let workflow: Workflow;
  let invalid: string;
  if (req.workflow) {
    workflow = req.workflow;
    invalid = 'the workflow is invalid';
  } else {
    const name = req.template ?? '';
    const template = deps.catalog.templates.get(name);
    if (!template) throw notFound(`template '${name}'`);
    workflow = template;
    invalid = `template '${name}' cannot run with these variables`;
  }
  const problems = validateWorkflowDefinition(workflow, { config, addonIds: deps.catalog.addons, variables: req.variables });
  if (problems.length > 0) throw validationError(invalid, problems.map((p) => ({ path: p.path, message: p.message })));
  const accepted = opts.accepted_at ?? deps.clock.now();
  const spec: RunSpec = {
    workflow,
    goal: req.goal ?? [workflow.name, workflow.description].filter(Boolean).join(': '),
    request_id: req.request_id,
    // Absent fields are undefined (left out of the stored JSON), not spread in conditionally.
    key_id: req.key_id || undefined,
    accepted_at: accepted,
    deadline: opts.deadline ?? accepted + budgetMs(config, req.timeout_s),
    stream: opts.onToken ? true : undefined,
  };
  const trace = traceHeaders();
  if (trace) spec.trace = trace;
  const record = newRunRecord({
    run_id: randomUUID(),
    workflow,
    variables: req.variables,
    session_id: req.session_id || null,
    started_at: new Date(accepted).toISOString(),
    config_version: deps.config_version,
    callback_url: req.callback_url,
  });
  return { record, spec };
}

