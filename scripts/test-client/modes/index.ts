import type { AutomatedMode } from '../args.js';
import { ClientError } from '../http.js';
import { ms, table } from '../format.js';
import { paint } from '../output.js';
import type { ModeContext, ModeResult, ModeRunner } from '../result.js';
import { addonsMode, healthMode, modelsMode, templatesMode } from './catalogue.js';
import { complexMode, simpleMode } from './chat.js';
import { openaiMode } from './openai.js';
import { statsMode } from './stats.js';
import { templateMode } from './template.js';
import { workflowMode } from './workflow.js';

/** Every automated mode by name. */
export const MODES: Record<AutomatedMode, ModeRunner> = {
  health: healthMode,
  models: modelsMode,
  addons: addonsMode,
  templates: templatesMode,
  simple: simpleMode,
  complex: complexMode,
  workflow: workflowMode,
  template: templateMode,
  stats: statsMode,
  openai: openaiMode,
};

/** A mode's result with its name and how long it took. */
export interface ModeReport extends ModeResult {
  mode: AutomatedMode;
  durationMs: number;
  /** The server could not be reached: later modes are pointless. */
  unreachable: boolean;
}

/** Runs one mode under a heading; anything it throws becomes a failed result. */
export async function runMode(mode: AutomatedMode, ctx: ModeContext): Promise<ModeReport> {
  const { out } = ctx;
  out.line(paint(out, 'bold', `── ${mode} ${'─'.repeat(Math.max(0, 60 - mode.length))}`));
  const started = performance.now();
  let result: ModeResult;
  let unreachable = false;
  try {
    result = await MODES[mode](ctx);
  } catch (err) {
    unreachable = err instanceof ClientError && err.unreachable;
    result = { ok: false, details: err instanceof Error ? err.message : String(err) };
  }
  const durationMs = performance.now() - started;
  out.line(`${result.ok ? paint(out, 'green', 'PASS') : paint(out, 'red', 'FAIL')} ${mode}: ${result.details}`);
  out.line();
  return { ...result, mode, durationMs, unreachable };
}

/** Runs modes in order, stopping early only when the server cannot be reached, then prints the table. */
export async function runModes(modes: readonly AutomatedMode[], ctx: ModeContext): Promise<ModeReport[]> {
  const reports: ModeReport[] = [];
  for (const mode of modes) {
    const last = reports.at(-1);
    if (last?.unreachable) {
      reports.push({ mode, ok: false, details: 'not run: the server is unreachable', durationMs: 0, unreachable: true });
      continue;
    }
    reports.push(await runMode(mode, ctx));
  }
  if (modes.length > 1) printSummary(ctx, reports);
  return reports;
}

function printSummary({ out, options }: ModeContext, reports: ModeReport[]): void {
  const rows = reports.map((r) => [r.mode, r.ok ? paint(out, 'green', 'pass') : paint(out, 'red', 'FAIL'), ms(r.durationMs), r.details]);
  out.line(paint(out, 'bold', `Results against ${options.url}`));
  for (const line of table(out, ['mode', 'result', 'time', 'details'], rows)) out.line(line);
  const failed = reports.filter((r) => !r.ok).length;
  out.line(failed === 0 ? paint(out, 'green', `all ${reports.length} passed`) : paint(out, 'red', `${failed} of ${reports.length} failed`));
}
