import type { CallerSignal } from '../caller-signal.js';
import type { ModelRef } from '../config/schema.js';
import type { SplitArm } from '../control/splits.js';
import { AppError } from '../errors.js';
import type { CallContext } from '../gateway/types.js';
import { throwIfAborted } from './cancellation.js';
import type { OrchestratorDeps, RunPlanned } from './chat-types.js';
import type { Ledger } from './ledger.js';
import type { ReportedMedia } from './media-answer.js';
import { chooseForPrompt } from './model-window.js';
import { planWorkflow, REQUEST_VARIABLE } from './planner.js';
import type { TokenSink } from './stream-call.js';
import type { PromptSize } from './tokens.js';
import type { Emit } from './workflow/executor.js';
import type { RunResult, Workflow } from './workflow/types.js';
import { outputName } from './workflow/validate.js';

/**
 * An H request answered by a generated workflow: plan it, run it, and take its
 * final output as the answer. Shared by /chat and the OpenAI door's `auto`
 * model, so both plan, run and fail the same way.
 */

export interface GeneratedRunArgs {
  /** The request as the planner sees it. */
  message: string;
  /** The run's `request` variable: the message, with the recent conversation when there is one. */
  request: string;
  request_id: string;
  session_id: string;
  signal: CallerSignal;
  deadline: number;
  started: number;
  context: CallContext;
  ledger: Ledger;
  inputSize: PromptSize;
  /** Resolves a routing reference (weighted splits) for this request. */
  route: (split: string, ref: ModelRef) => { model: string; split?: SplitArm };
  emit?: Emit;
  onToken?: TokenSink;
  /** Receives the run's final webhook (checked by the route). */
  callback_url?: string;
}

/** The run's answer as a chat answer reports it. */
export interface GeneratedAnswer {
  text: string;
  model_used: string;
  fallback_used: boolean;
  /** The answering task's answer was cut at its output limit. */
  truncated: boolean;
  media: ReportedMedia[];
}

export type GeneratedRun = { plan: Workflow; run: RunResult; answer: GeneratedAnswer } | { plan: null; reason: string };

/**
 * Plans and runs the workflow. Resolves with the run and its answer, or with the
 * reason no valid plan could be made (the caller then answers directly). Throws
 * 504 when the run timed out and 502 (listing the failed tasks) when it produced no output.
 */
export async function runGeneratedWorkflow(deps: OrchestratorDeps, args: GeneratedRunArgs, runPlanned: RunPlanned): Promise<GeneratedRun> {
  const { config } = deps;
  const emit: Emit = args.emit ?? (() => undefined);
  const plannerChoice = args.route('routing.planner', config.routing.planner);
  const planner = (await chooseForPrompt(config, plannerChoice.model, args.inputSize)).model;
  const plannerContext = plannerChoice.split && planner === plannerChoice.split.arm ? { ...args.context, split: plannerChoice.split } : args.context;
  const outcome = await planWorkflow(deps, {
    message: args.message,
    model: planner,
    signal: args.signal,
    deadline: args.deadline,
    context: plannerContext,
    ledger: args.ledger,
  });
  if (!outcome.workflow) {
    emit('plan_ready', { request_id: args.request_id, plan: null, fallback_reason: outcome.reason });
    deps.log.warn({ request_id: args.request_id, reason: outcome.reason }, 'no valid plan; answering directly');
    return { plan: null, reason: outcome.reason };
  }
  const plan = outcome.workflow;
  emit('plan_ready', { request_id: args.request_id, plan, repaired: outcome.repaired });
  const run = await runPlanned(
    plan,
    { [REQUEST_VARIABLE]: args.request },
    {
      request_id: args.request_id,
      key_id: args.context.key_id,
      session_id: args.session_id,
      signal: args.signal,
      deadline: args.deadline,
      started: args.started,
      goal: args.message,
      emit: args.emit,
      onToken: args.onToken,
      callback_url: args.callback_url,
    },
  );
  args.ledger.merge(run);
  throwIfAborted(args.signal);
  if (run.status === 'timed_out') {
    throw new AppError('timeout', 'the workflow ran out of time', [{ path: 'run', message: run.failure_report ?? 'timed out', run_id: run.run_id }]);
  }
  if (run.output === null) {
    throw new AppError('upstream_error', `the workflow failed: ${run.failure_report ?? 'no task produced an answer'}`, failedTaskDetails(run));
  }
  return {
    plan,
    run,
    answer: {
      text: run.output,
      model_used: answeringModel(plan, run) ?? config.routing.finisher,
      fallback_used: run.tasks.some((t) => t.fallback_used),
      truncated: answeringTask(plan, run)?.truncated === true,
      media: run.media as ReportedMedia[],
    },
  };
}

/** The record of the task whose output is the run's answer; undefined when the finisher merged several outputs. */
function answeringTask(plan: Workflow, run: RunResult): RunResult['tasks'][number] | undefined {
  const name = plan.output ?? (plan.inline_queue.length > 0 ? outputName(plan.inline_queue.at(-1)!) : plan.linear_queue.length === 1 ? outputName(plan.linear_queue[0]!) : null);
  const task = name === null ? undefined : [...plan.linear_queue, ...plan.inline_queue].find((t) => outputName(t) === name);
  return task && run.tasks.find((t) => t.id === task.id);
}

/** The model of the task whose output is the run's answer; null when the finisher merged several outputs. */
function answeringModel(plan: Workflow, run: RunResult): string | null {
  return answeringTask(plan, run)?.model_used ?? null;
}

function failedTaskDetails(run: { run_id: string; tasks: { id: string; status: string; model_used: string | null; error: { kind: string; message: string } | null }[] }) {
  return run.tasks
    .filter((t) => t.status === 'failed' || t.status === 'skipped')
    .map((t) => ({ path: `tasks.${t.id}`, message: t.error?.message ?? t.status, kind: t.error?.kind ?? t.status, model: t.model_used ?? undefined, run_id: run.run_id }));
}
