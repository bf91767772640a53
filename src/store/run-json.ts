import { isFinalStatus, type RunResult } from '../orchestrator/workflow/types.js';

/** The text of each record a save wrote as final, until the run's `completed` event takes it (by the record's identity). */
const finalText = new WeakMap<object, string>();

/**
 * A run record as every driver writes it: its JSON. A final record's text is also kept for the
 * run's `completed` event, which carries that same record (run-try.ts appends it once the final
 * save has resolved, concludeUnstarted right after its save): the whole record (3–7 KB) is
 * serialised once for both instead of twice. The record is not changed between the two.
 */
export function runJson(run: RunResult): string {
  const json = JSON.stringify(run);
  if (isFinalStatus(run.status)) finalText.set(run, json);
  return json;
}

/** An event's data as every driver writes it: its JSON, or for `completed` the text its record's final save made. */
export function eventJson(event: string, data: object): string {
  if (event === 'completed') {
    const json = finalText.get(data);
    if (json !== undefined) {
      finalText.delete(data);
      return json;
    }
  }
  return JSON.stringify(data);
}
