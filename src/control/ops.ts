import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock.js';
import { AppError, notFound, validationError, type ErrorDetail } from '../errors.js';
import { extractJsonObject } from '../orchestrator/json-answer.js';
import { OPS_CONTEXT_PREFIX, readOpsText, type OpsContext } from '../providers/simulator/ops-answer.js';
import type { ControlStore } from '../store/control-types.js';
import type { Actor, ConfigControl } from './config-control.js';
import type { ConfigRuntime } from './config-runtime.js';
import type { PatchOperation } from './json-patch.js';
import { OpsActionSchema, SPLIT_PATHS, type OpsAction } from './ops-action.js';

/** How long a plan may wait for its confirmation (ms). */
export const PLAN_TTL_MS = 15 * 60_000;
/** How long the categorizer model has to read the text (ms). */
const MODEL_BUDGET_MS = 30_000;

/** A planned operation: what was understood, by whom, and the config change it would make. */
export interface OpsPlan {
  id: string;
  text: string;
  action: OpsAction;
  /** `model`: the categorizer's JSON; `parser`: the deterministic reading used when the model's JSON was not a valid action. */
  source: 'model' | 'parser';
  /** The active version the plan was made against; confirming after another change is a 409. */
  base: string;
  /** The version the change would make active (for a whole rollback, that exact earlier version). */
  target: string;
  diff: PatchOperation[];
  summary: string;
  created_at: string;
  expires_at: string;
}

interface StoredPlan extends OpsPlan {
  document: unknown;
  rollback: boolean;
  confirmed_at?: string;
}

export interface OpsDeps {
  control: ConfigControl;
  store: ControlStore;
  runtime: ConfigRuntime;
  clock: Clock;
}

const planKey = (id: string) => `ops-plan:${id}`;
const isObject = (v: unknown): v is Record<string, any> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The value at a dotted path of a document (`routing.tiers.M.model`), and its parent for writing. */
function at(document: Record<string, any>, path: string): { parent: Record<string, any> | undefined; key: string; value: unknown } {
  const parts = path.split('.');
  const key = parts.pop()!;
  let parent: any = document;
  for (const p of parts) parent = isObject(parent) && Object.hasOwn(parent, p) ? parent[p] : undefined;
  return { parent: isObject(parent) ? parent : undefined, key, value: isObject(parent) ? parent[key] : undefined };
}

/** The splits of a document: path → the arms' models. */
function splitsOf(document: Record<string, any>): Record<string, string[]> {
  const splits: Record<string, string[]> = Object.create(null);
  for (const path of SPLIT_PATHS) {
    const { value } = at(document, path);
    if (Array.isArray(value)) splits[path] = value.map((arm) => String((arm as { model?: unknown })?.model));
  }
  return splits;
}

/**
 * Plain-words operations: POST /admin/ops {"text"} asks the configured categorizer model
 * (through the gateway) for a structured action, validates it (OpsActionSchema), and
 * answers a plan — the action and the config diff it would make — applying nothing.
 * {"confirm": "<plan id>"} applies it through the config change API (audited, with the
 * plan's text as the message); a plan is confirmed once and expires after 15 minutes.
 */
export function createOps(deps: OpsDeps) {
  const now = () => deps.clock.now();

  const contextOf = (document: Record<string, any>): OpsContext => ({
    now: new Date(now()).toISOString(),
    models: Object.keys(isObject(document.models) ? document.models : {}),
    splits: splitsOf(document),
  });

  const systemPrompt = (ctx: OpsContext) =>
    [
      'You turn an operator\'s request about config operations into one JSON action. Answer with JSON only, one of:',
      '{"action":"rollback","to":"<version hash or its first 7+ characters>"} | {"action":"rollback","at":"<ISO time: the version active then>"} | {"action":"rollback","previous":true}',
      '  (add "model":"<key>" to roll back only that model\'s definition)',
      '{"action":"set_split_weights","split":"<split path>","weights":{"<model>":<weight>,...}}',
      '{"action":"pause_canary","split":"<split path>","model":"<canary model>"} | {"action":"resume_canary",...same}',
      '{"action":"enable_schedule","schedule":"<name>"} | {"action":"disable_schedule","schedule":"<name>"}',
      'If the request is none of these, answer {"action":"unknown","reason":"..."}.',
      `${OPS_CONTEXT_PREFIX}${JSON.stringify(ctx)}`,
    ].join('\n');

  /** The action the text asks for: the model's, else the deterministic reading; 400 when neither is valid. */
  async function understand(text: string, ctx: OpsContext, signal: AbortSignal): Promise<{ action: OpsAction; source: 'model' | 'parser' }> {
    const { config, gateway } = deps.runtime.current();
    const problems: ErrorDetail[] = [];
    try {
      const answer = await gateway.call({
        model: config.routing.categorizer,
        json: true,
        messages: [
          { role: 'system', content: systemPrompt(ctx) },
          { role: 'user', content: text },
        ],
        signal,
        deadline: now() + MODEL_BUDGET_MS,
        context: {},
      });
      const parsed = OpsActionSchema.safeParse(extractJsonObject(answer.text));
      if (parsed.success) return { action: parsed.data, source: 'model' };
      problems.push({ path: 'text', message: `the model's answer is not a valid action: ${parsed.error.issues[0]?.message ?? 'invalid'}` });
    } catch (err) {
      if (signal.aborted) throw err;
      problems.push({ path: 'text', message: `the categorizer model did not answer: ${(err as Error).message}` });
    }
    const read = OpsActionSchema.safeParse(readOpsText(text, ctx));
    if (read.success) return { action: read.data, source: 'parser' };
    throw validationError('the request is not an operation I can plan; e.g. "rollback to yesterday\'s version", "set the M tier split to medium_ai 80 medium_ai_v2 20", "pause the canary medium_ai_v2"', problems);
  }

  /** The hash a rollback action names: by hash prefix, by time (from the audit log), or the previous version. */
  async function rollbackTarget(action: Extract<OpsAction, { action: 'rollback' }>, active: string): Promise<string> {
    if (action.to) {
      const matches: string[] = [];
      for (let cursor: number | undefined, i = 0; i < 100; i++) {
        const page = await deps.control.listVersions(cursor, 100);
        matches.push(...page.items.filter((v) => v.hash.startsWith(action.to!)).map((v) => v.hash));
        if (!page.next_cursor) break;
        cursor = Number(page.next_cursor);
      }
      if (matches.length === 0) throw notFound(`config version '${action.to}'`);
      if (matches.length > 1) throw validationError(`'${action.to}' matches ${matches.length} versions; give more of the hash`, [{ path: 'action.to', message: 'ambiguous' }]);
      return matches[0]!;
    }
    // The audit log records every activation (file, API, rollback, system), so it knows what was active when.
    const activations = new Set(['config.apply', 'config.rollback', 'config.file']);
    const when = action.at ? Date.parse(action.at) : Number.POSITIVE_INFINITY;
    let seenActive = false;
    for (let cursor: number | undefined, i = 0; i < 100; i++) {
      const page = await deps.control.listAudit(cursor, 100);
      for (const entry of page.items) {
        if (!activations.has(entry.action) || !entry.target) continue;
        if (action.previous) {
          if (!seenActive) seenActive = entry.target === active;
          else if (entry.target !== active) return entry.target;
          continue;
        }
        if (Date.parse(entry.at) <= when) return entry.target;
      }
      if (!page.next_cursor) break;
      cursor = Number(page.next_cursor);
    }
    throw validationError(action.at ? `no config version was active at ${action.at}` : 'there is no earlier version to roll back to', [{ path: 'action', message: 'no such version' }]);
  }

  /** The document the action makes of the active one, and a sentence saying what it does. */
  async function apply(action: OpsAction, document: Record<string, any>, active: string): Promise<{ document: Record<string, any>; summary: string; rollback?: string }> {
    const next = structuredClone(document);
    const fail = (path: string, message: string): never => {
      throw validationError(message, [{ path, message }]);
    };
    switch (action.action) {
      case 'rollback': {
        const target = await rollbackTarget(action, active);
        const old = (await deps.control.getVersion(target)).document as Record<string, any>;
        if (!action.model) return { document: old, summary: `roll back to version ${target.slice(0, 12)}`, rollback: target };
        if (!isObject(old.models) || !Object.hasOwn(old.models, action.model)) fail('action.model', `model '${action.model}' is not in version ${target.slice(0, 12)}`);
        next.models = { ...next.models, [action.model]: old.models[action.model] };
        return { document: next, summary: `restore model '${action.model}' as it was in version ${target.slice(0, 12)}` };
      }
      case 'set_split_weights': {
        const { parent, key, value } = at(next, action.split);
        if (typeof value === 'string' && parent && (SPLIT_PATHS as readonly string[]).includes(action.split)) {
          // A plain model becomes a split with the named arms (the new config is validated like any change).
          const arms = Object.entries(action.weights).map(([model, weight]) => ({ model, weight }));
          if (arms.length < 2) fail('action.weights', `a split of ${action.split} needs at least two models of this config with their weights`);
          parent[key] = arms;
          return { document: next, summary: `split ${action.split} (was ${value}): ${arms.map((a) => `${a.model} ${a.weight}`).join(', ')}` };
        }
        if (!Array.isArray(value)) fail('action.split', `'${action.split}' is not a weighted split in the active config`);
        const arms = value as { model: string; weight: number }[];
        for (const [model, weight] of Object.entries(action.weights)) {
          const arm = arms.find((a) => a.model === model);
          if (!arm) fail(`action.weights.${model}`, `'${model}' is not an arm of ${action.split}`);
          arm!.weight = weight;
        }
        return { document: next, summary: `set ${action.split} weights to ${arms.map((a) => `${a.model} ${a.weight}`).join(', ')}` };
      }
      case 'pause_canary':
      case 'resume_canary': {
        const { value } = at(next, action.split);
        const arm = Array.isArray(value) ? (value as { model: string; canary?: Record<string, unknown> }[]).find((a) => a.model === action.model) : undefined;
        if (!arm?.canary) fail('action.model', `'${action.model}' is not a canary arm of ${action.split}`);
        const paused = action.action === 'pause_canary';
        arm!.canary!.paused = paused;
        return { document: next, summary: `${paused ? 'pause' : 'resume'} the canary ${action.model} of ${action.split}` };
      }
      case 'enable_schedule':
      case 'disable_schedule': {
        const schedules = next.schedules;
        const entry = Array.isArray(schedules)
          ? (schedules as Record<string, unknown>[]).find((s) => s?.name === action.schedule || s?.id === action.schedule)
          : isObject(schedules) && Object.hasOwn(schedules, action.schedule)
            ? (schedules[action.schedule] as Record<string, unknown>)
            : undefined;
        if (!isObject(entry)) fail('action.schedule', `this config has no schedule '${action.schedule}'`);
        const enabled = action.action === 'enable_schedule';
        entry!.enabled = enabled;
        return { document: next, summary: `${enabled ? 'enable' : 'disable'} the schedule ${action.schedule}` };
      }
    }
  }

  return {
    /** Understands the text and answers a plan; nothing is applied. */
    async plan(text: string, actor: Actor, signal: AbortSignal): Promise<OpsPlan> {
      const { version, document } = await deps.control.active();
      const current = document as Record<string, any>;
      const { action, source } = await understand(text, contextOf(current), signal);
      const made = await apply(action, current, version.hash);
      const check = await deps.control.change({ config: made.document, base: version.hash, dry_run: true }, actor);
      if (!check.valid) throw validationError(`the operation would make an invalid config: ${made.summary}`, (check.problems ?? []).map((p) => ({ path: p.path, message: p.message })));
      const created = now();
      const plan: StoredPlan = {
        id: randomUUID(),
        text,
        action,
        source,
        base: version.hash,
        target: made.rollback ?? check.version.hash,
        diff: check.diff,
        summary: made.summary,
        created_at: new Date(created).toISOString(),
        expires_at: new Date(created + PLAN_TTL_MS).toISOString(),
        document: made.document,
        rollback: made.rollback !== undefined,
      };
      await deps.store.setMeta(planKey(plan.id), JSON.stringify(plan));
      await deps.control.audit(actor, 'ops.plan', plan.id, text, { action, source, summary: plan.summary, target: plan.target });
      const { document: _d, rollback: _r, ...answer } = plan;
      return answer;
    },

    /** Applies a plan made earlier (once, before it expires, while its base is still active). */
    async confirm(id: string, actor: Actor) {
      const raw = await deps.store.getMeta(planKey(id));
      if (!raw) throw notFound(`plan '${id}'`);
      const plan = JSON.parse(raw) as StoredPlan;
      if (plan.confirmed_at) throw new AppError('conflict', `plan '${id}' was already applied at ${plan.confirmed_at}`);
      if (Date.parse(plan.expires_at) < now()) throw new AppError('conflict', `plan '${id}' expired at ${plan.expires_at}: ask again`);
      const message = `ops: ${plan.text}`;
      const outcome = plan.rollback
        ? await (async () => {
            const active = (await deps.control.active()).version.hash;
            if (active !== plan.base) throw new AppError('conflict', `the active config version is now '${active}', not the plan's base '${plan.base}': ask again`);
            return deps.control.rollback(plan.target, message, actor);
          })()
        : await deps.control.change({ config: plan.document, base: plan.base, message }, actor);
      await deps.store.setMeta(planKey(id), JSON.stringify({ ...plan, confirmed_at: new Date(now()).toISOString() }));
      await deps.control.audit(actor, 'ops.confirm', id, plan.text, { summary: plan.summary, version: outcome.version.hash });
      return { plan_id: id, summary: plan.summary, version: outcome.version, diff: outcome.diff };
    },
  };
}

export type Ops = ReturnType<typeof createOps>;
