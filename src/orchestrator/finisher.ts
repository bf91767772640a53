import type { CallerSignal } from '../caller-signal.js';
import type { Config } from '../config/schema.js';
import type { CallContext, Gateway, GatewayResult } from '../gateway/types.js';
import type { Ledger } from './ledger.js';
import { streamCall, type TokenSink } from './stream-call.js';
import { inSpan } from '../telemetry/spans.js';

/** One workflow output handed to the finisher. */
export interface NamedOutput {
  name: string;
  task_id: string;
  text: string;
}

export interface FinishArgs {
  /** What the user asked for (chat), or the workflow's name and description. */
  goal: string;
  outputs: NamedOutput[];
  signal: CallerSignal;
  deadline: number;
  context: CallContext;
  ledger: Ledger;
  /** Streams the merged answer when set (it is the final answer of the request). */
  onDelta?: TokenSink;
}

const SYSTEM = [
  'You merge the results of several workers into one answer for the user.',
  'Combine them into a single coherent, well-structured response that fulfils the goal.',
  'Keep every substantive fact, figure and piece of code from the results; remove repetition; resolve contradictions by saying which source claims what.',
  'Do not mention the workers, tasks or this merging step. Answer in the language of the goal.',
].join(' ');

/** Asks the finisher model to merge a workflow's outputs into one answer; throws when the call fails. */
export async function finish(deps: { config: Config; gateway: Gateway }, args: FinishArgs): Promise<GatewayResult> {
  const body = args.outputs.map((o) => `### Result "${o.name}" (task ${o.task_id})\n${o.text}`).join('\n\n');
  const request = {
    model: deps.config.routing.finisher,
    kind: 'text' as const,
    messages: [
      { role: 'system' as const, content: SYSTEM },
      { role: 'user' as const, content: `Goal:\n${args.goal}\n\nResults:\n\n${body}` },
    ],
    signal: args.signal,
    deadline: args.deadline,
    context: { ...args.context, task_id: 'finisher' },
  };
  const result = await inSpan('finish', { attributes: { 'mo.outputs': args.outputs.length } }, () =>
    args.onDelta ? streamCall(deps.gateway, request, args.onDelta) : deps.gateway.call(request),
  );
  args.ledger.add(result);
  return result;
}
