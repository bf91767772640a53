/**
 * Plain-words config operations read without a model: the simulator's answer to the
 * ops prompt, and the control plane's fallback when a model's JSON is not a valid
 * action. A deterministic reading of a few phrasings (see README "Operations in plain
 * words"); anything else is null. The result is checked against the action schema by
 * the caller (control/ops-action.ts).
 */

/** What the reader knows about the config: now, model keys and the splits (path → arm models). */
export interface OpsContext {
  now: string;
  models: string[];
  splits: Record<string, string[]>;
}

const UNITS: Record<string, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000, week: 604_800_000 };

/** The moment a phrase like "yesterday", "2 hours ago" or an ISO time names, or undefined. */
function momentOf(text: string, now: number): string | undefined {
  const iso = /\b(\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?)?)\b/.exec(text);
  if (iso) {
    const at = Date.parse(iso[1]!.replace(' ', 'T'));
    if (Number.isFinite(at)) return new Date(at).toISOString();
  }
  const ago = /\b(\d+|an?|one)\s+(minute|hour|day|week)s?\s+ago\b/i.exec(text);
  if (ago) {
    const n = /^\d+$/.test(ago[1]!) ? Number(ago[1]) : 1;
    return new Date(now - n * UNITS[ago[2]!.toLowerCase()]!).toISOString();
  }
  if (/\byesterday\b/i.test(text)) return new Date(now - UNITS.day!).toISOString();
  if (/\blast week\b/i.test(text)) return new Date(now - UNITS.week!).toISOString();
  return undefined;
}

/** The split a sentence means: one named by path or tier, else the one holding the models it names. */
function splitOf(text: string, ctx: OpsContext, named: string[]): string | undefined {
  const paths = Object.keys(ctx.splits);
  const byPath = paths.find((p) => text.includes(p));
  if (byPath) return byPath;
  const tier = /\b(?:tier\s+([LMH])|([LMH])\s+tier)\b/.exec(text);
  if (tier) {
    // A tier named plainly is its model reference, split or not yet (setting weights there makes the split).
    return `routing.tiers.${tier[1] ?? tier[2]}.model`;
  }
  for (const role of ['planner', 'strongest', 'default_task_model']) {
    if (new RegExp(`\\b${role.replace(/_/g, '[ _]')}\\b`, 'i').test(text) && paths.includes(`routing.${role}`)) return `routing.${role}`;
  }
  return paths.find((p) => named.length > 0 && named.every((m) => ctx.splits[p]!.includes(m))) ?? (paths.length === 1 ? paths[0] : undefined);
}

export function readOpsText(text: string, ctx: OpsContext): Record<string, unknown> | null {
  const lower = text.toLowerCase();
  const now = Date.parse(ctx.now);
  // Longest keys first, so `medium_ai_v2` is not read as `medium_ai`.
  const keys = [...ctx.models].sort((a, b) => b.length - a.length);
  const named: string[] = [];
  let rest = text;
  for (const key of keys) {
    if (new RegExp(`\\b${key}\\b`).test(rest)) {
      named.push(key);
      rest = rest.replace(new RegExp(`\\b${key}\\b`, 'g'), ' ');
    }
  }

  const canary = /\b(pause|hold|freeze|resume|unpause|continue)\b[^.]*\bcanary\b|\bcanary\b[^.]*\b(pause|hold|freeze|resume|unpause|continue)\b/i.exec(text);
  if (canary) {
    const verb = (canary[1] ?? canary[2])!.toLowerCase();
    const action = /resume|unpause|continue/.test(verb) ? 'resume_canary' : 'pause_canary';
    const split = splitOf(text, ctx, named);
    const model = named.find((m) => split !== undefined && ctx.splits[split]!.includes(m)) ?? named[0];
    return { action, split, model };
  }

  const schedule = /\b(enable|disable|turn on|turn off|stop|start)\b[^.]*\bschedule\s+[`"']?([\w.-]+)/i.exec(text);
  if (schedule) {
    const verb = schedule[1]!.toLowerCase();
    return { action: /enable|turn on|start/.test(verb) ? 'enable_schedule' : 'disable_schedule', schedule: schedule[2] };
  }

  if (/\b(split|weights?|traffic|route)\b/i.test(text) && named.length > 0) {
    // "medium_ai 80 medium_ai_v2 20", "80/20 between medium_ai and medium_ai_v2", "90% medium_ai, 10% medium_ai_v2"
    const weights: Record<string, number> = {};
    const alternatives = [...named].sort((a, b) => b.length - a.length).join('|');
    const numberFirst = new RegExp(`(\\d+(?:\\.\\d+)?)\\s*%\\s*(?:to|for|on)?\\s*\\b(${alternatives})\\b`, 'g');
    const keyFirst = new RegExp(`\\b(${alternatives})\\b\\s*(?:[:=]|to|at|gets?)?\\s*(\\d+(?:\\.\\d+)?)`, 'g');
    for (const m of text.matchAll(numberFirst)) weights[m[2]!] ??= Number(m[1]);
    if (Object.keys(weights).length === 0) for (const m of text.matchAll(keyFirst)) weights[m[1]!] ??= Number(m[2]);
    if (Object.keys(weights).length === 0) {
      const ratio = /\b(\d+(?:\.\d+)?)\s*\/\s*(\d+(?:\.\d+)?)\b/.exec(text);
      if (ratio && named.length >= 2) {
        const inOrder = [...named].sort((a, b) => text.indexOf(a) - text.indexOf(b));
        weights[inOrder[0]!] = Number(ratio[1]);
        weights[inOrder[1]!] = Number(ratio[2]);
      }
    }
    if (Object.keys(weights).length > 0) return { action: 'set_split_weights', split: splitOf(text, ctx, Object.keys(weights)), weights };
  }

  if (/\b(roll\s*back|revert|restore|go back|undo)\b/i.test(lower)) {
    const hash = /\b([0-9a-f]{7,64})\b/.exec(text);
    const model = named.length === 1 ? named[0] : undefined;
    if (hash) return { action: 'rollback', to: hash[1], ...(model ? { model } : {}) };
    const at = momentOf(text, now);
    if (at) return { action: 'rollback', at, ...(model ? { model } : {}) };
    if (/\b(previous|last|prior)\b/i.test(text)) return { action: 'rollback', previous: true, ...(model ? { model } : {}) };
  }
  return null;
}

/** The context line of the ops prompt, read back by the simulator. */
export const OPS_CONTEXT_PREFIX = 'Context (JSON): ';

/** The simulator's JSON answer to the ops prompt: the deterministic reading, or an `unknown` action. */
export function opsAnswer(system: string, request: string): Record<string, unknown> {
  const line = system.split('\n').find((l) => l.startsWith(OPS_CONTEXT_PREFIX));
  let ctx: OpsContext = { now: new Date().toISOString(), models: [], splits: {} };
  try {
    if (line) ctx = JSON.parse(line.slice(OPS_CONTEXT_PREFIX.length)) as OpsContext;
  } catch {
    // keep the empty context: only hashes and times can be read then
  }
  return readOpsText(request, ctx) ?? { action: 'unknown', reason: 'simulated: no operation recognised' };
}
