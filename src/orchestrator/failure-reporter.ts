import type { CallerSignal } from '../caller-signal.js';
import type { Config } from '../config/schema.js';
import type { CallContext, Gateway } from '../gateway/types.js';
import type { Ledger } from './ledger.js';
import type { TaskRecord } from './workflow/types.js';
import { inSpan } from '../telemetry/spans.js';

export interface FailureReportArgs {
  goal: string;
  tasks: TaskRecord[];
  /** Names of the variables that did get a value. */
  available: string[];
  output: string | null;
  /** Problems outside any task (e.g. the finisher failed). */
  notes: string[];
  signal: CallerSignal;
  deadline: number;
  context: CallContext;
  ledger: Ledger;
}

const SYSTEM = [
  'You explain to a user, in two to four plain sentences, what went wrong while their request was processed.',
  'Say which parts failed and why in everyday words, what the partial result still contains (or that there is none), and whether retrying later may help.',
  'Do not invent results, do not apologise at length, and do not mention internal identifiers beyond the part names given.',
].join(' ');

/** The facts the report is written from; also the report itself when the reporter model cannot be reached. */
export function describeFailures(args: Pick<FailureReportArgs, 'tasks' | 'available' | 'output' | 'notes'>): string {
  const failed = args.tasks.filter((t) => t.status === 'failed');
  const skipped = args.tasks.filter((t) => t.status === 'skipped');
  const lines = [
    ...failed.map((t) => `Task '${t.id}' failed (${t.error?.kind ?? 'error'}): ${t.error?.message ?? 'no details'}.`),
    ...skipped.map((t) => `Task '${t.id}' was skipped: ${t.error?.message ?? 'an earlier task it needs did not finish'}.`),
    ...args.notes,
    args.output === null
      ? 'No final result could be produced.'
      : `The result is partial; it was built from: ${args.available.join(', ') || 'nothing'}.`,
  ];
  return lines.join(' ');
}

/**
 * Asks the failure-reporter model for a short explanation of a run's failures.
 * Never throws: if the reporter fails (or the run is being cut short), the plain description is the report.
 */
export async function reportFailures(deps: { config: Config; gateway: Gateway }, args: FailureReportArgs): Promise<string> {
  const facts = describeFailures(args);
  try {
    const result = await inSpan('failure report', {}, () => deps.gateway.call({
      model: deps.config.routing.failure_reporter,
      kind: 'text',
      max_tokens: 400,
      messages: [
        { role: 'system', content: SYSTEM },
        { role: 'user', content: `Request:\n${args.goal.slice(0, 4000)}\n\nWhat happened:\n${facts}` },
      ],
      signal: args.signal,
      deadline: args.deadline,
      context: { ...args.context, task_id: 'failure_reporter' },
    }));
    args.ledger.add(result);
    return result.text.trim() || facts;
  } catch {
    return facts;
  }
}
