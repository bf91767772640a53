import { createHash, randomBytes } from 'node:crypto';
import * as z from 'zod';
import type { Clock } from '../clock.js';
import type { Config } from '../config/schema.js';
import type { BudgetTier } from '../config/auth-schema.js';
import { budgetUsd } from '../config/minimums.js';
import { AppError, notFound, validationError, type ErrorDetail } from '../errors.js';
import type { AppEventBus } from '../events.js';
import type { ClientKey, KeyPage, KeyStore } from '../store/key-types.js';
import type { Workflow } from '../orchestrator/workflow/types.js';
import { refModels } from './splits.js';
import { fromNano, periodEnd, periodsAt, secondsUntilReset, toNano } from './budgets.js';

/**
 * Client keys with budgets: the admin use cases behind /admin/keys, the
 * admission of a request presenting a managed key (rpm, day and month budgets),
 * and the spend accounting fed by the gateway's `attempt` events — the same
 * cost figures /stats sums.
 */

const ALLOWANCE = z.string().min(1).max(100).describe('a model key or a tier name (L, M, H)');
const Budgets = z
  .object({
    day_usd: budgetUsd().nullable().optional().describe('USD per UTC day; null removes it'),
    month_usd: budgetUsd().nullable().optional().describe('USD per UTC month; null removes it'),
  })
  .strict();

export const CreateKeySchema = z
  .object({
    name: z.string().min(1).max(100),
    models: z.array(ALLOWANCE).max(200).optional().describe('allowed model keys and tiers; omitted: all'),
    rpm: z.number().int().positive().optional().describe('requests per minute'),
    budgets: Budgets.optional(),
  })
  .strict();

export const UpdateKeySchema = z
  .object({
    name: z.string().min(1).max(100).optional(),
    models: z.array(ALLOWANCE).max(200).nullable().optional().describe('null allows every model'),
    rpm: z.number().int().positive().nullable().optional().describe('null removes the limit'),
    budgets: Budgets.optional(),
  })
  .strict();

export type CreateKey = z.infer<typeof CreateKeySchema>;
export type UpdateKey = z.infer<typeof UpdateKeySchema>;

/** A key as the admin API shows it: its fields and its spend in the current UTC day and month. */
export interface ClientKeyView extends ClientKey {
  spend: { day_usd: number; month_usd: number };
}

/** SHA-256 (hex) of a presented key: what the store indexes. */
export const keyHash = (secret: string): string => createHash('sha256').update(secret).digest('hex');

/** Managed keys start with this, so a request's key is looked up only when it can be one. */
export const KEY_PREFIX = 'mo_';

export interface ClientKeys {
  create(input: CreateKey): Promise<{ key: ClientKey; secret: string }>;
  get(id: string): Promise<ClientKeyView>;
  list(page: { cursor?: string; limit: number }): Promise<KeyPage>;
  update(id: string, patch: UpdateKey): Promise<ClientKeyView>;
  delete(id: string): Promise<void>;
  /**
   * The managed key behind `secret`, admitted for one request: null when it is
   * not a managed key. The caller carries the key's id in the CallContext
   * (`key_id`) of every model call the request makes, which bills them to it. Throws 429 `budget_exceeded` (Retry-After: seconds
   * until the UTC period resets) once the recorded spend has reached a budget,
   * and 429 `rate_limited` past the key's requests per minute.
   */
  admit(secret: string): Promise<ClientKey | null>;
  /**
   * A JWT caller of a budget tier (`auth.jwt.budget_tiers`), admitted for one request like a managed
   * key: its spend and minute count are kept under `jwt:<caller>` (the caller's own, whichever tier it
   * comes with), its tier's models, rpm and budgets apply. Throws as `admit` does.
   */
  admitCaller(caller: { name: string; tier: string; policy: BudgetTier }): Promise<ClientKey>;
  /** True once any managed key exists: client requests then need a key. Cached for a second. */
  required(): Promise<boolean>;
  /** `required()`'s cached answer while it is fresh, else undefined: the auth hook then answers without a promise. */
  requiredNow(): boolean | undefined;
}

export interface ClientKeysOptions {
  store: KeyStore;
  clock: Clock;
  bus: AppEventBus;
  config: () => Config;
  log: { error(obj: object, msg: string): void };
}

export function createClientKeys(opts: ClientKeysOptions): ClientKeys {
  const { store, clock, bus, log } = opts;
  let countCache: { at: number; n: number } | undefined;
  /** Whether a managed key exists, as counted within the last second; undefined when that count is older or missing. */
  const requiredNow = (): boolean | undefined => (countCache && clock.now() - countCache.at <= 1000 ? countCache.n > 0 : undefined);

  bus.on('attempt', (e) => {
    // The call carries the key that made its request (CallContext.key_id), whichever replica makes it, however late.
    const keyId = e.context.key_id;
    if (e.outcome !== 'success' || e.simulated || !e.cost_usd || !keyId) return;
    // The shadow's spend is the operator's experiment, not the caller's.
    if (e.context.task_id === 'shadow') return;
    store.addSpend(keyId, toNano(e.cost_usd), periodsAt(clock.now())).catch((err: unknown) => log.error({ err, key_id: keyId }, 'recording a key\'s spend failed'));
  });

  const checkModels = (models: string[] | undefined | null, config: Config) => {
    const problems: ErrorDetail[] = [];
    (models ?? []).forEach((m, i) => {
      if (!['L', 'M', 'H'].includes(m) && !Object.hasOwn(config.models, m)) problems.push({ path: `models.${i}`, message: `'${m}' is neither a configured model nor a tier (L, M, H)` });
    });
    if (problems.length > 0) throw validationError('unknown model or tier', problems);
  };

  const view = async (key: ClientKey): Promise<ClientKeyView> => {
    const spend = await store.spend(key.id, periodsAt(clock.now()));
    return { ...key, spend: { day_usd: fromNano(spend.day_nano), month_usd: fromNano(spend.month_nano) } };
  };
  const mustGet = async (id: string): Promise<ClientKey> => {
    const key = await store.get(id);
    if (!key) throw notFound(`key '${id}'`);
    return key;
  };

  const budgetCheck = async (key: ClientKey, now: number) => {
    const who = holder(key);
    const { day_usd, month_usd } = key.budgets;
    if (day_usd === null && month_usd === null) return;
    const spend = await store.spend(key.id, periodsAt(now));
    for (const [period, budget, spent] of [
      ['day', day_usd, spend.day_nano],
      ['month', month_usd, spend.month_nano],
    ] as const) {
      if (budget === null || spent < toNano(budget)) continue;
      const resets = new Date(periodEnd(period, now)).toISOString();
      throw new AppError(
        'budget_exceeded',
        `${who} has spent $${fromNano(spent)} of its ${period === 'day' ? 'daily' : 'monthly'} budget of $${budget}; it resets at ${resets}`,
        [{ path: `budgets.${period}_usd`, message: `spent $${fromNano(spent)} of $${budget}`, resets_at: resets }],
        secondsUntilReset(period, now),
      );
    }
  };

  /** Budgets, then the minute window: the key is admitted for one request, or a 429 says which limit and when it resets. */
  const admitKey = async (key: ClientKey): Promise<ClientKey> => {
    const now = clock.now();
    await budgetCheck(key, now);
    if (key.rpm !== null) {
      const minute = Math.floor(now / 60_000);
      const n = await store.hit(key.id, minute);
      if (n > key.rpm) {
        throw new AppError('rate_limited', `${holder(key)} is limited to ${key.rpm} requests per minute`, [], Math.max(1, Math.ceil(((minute + 1) * 60_000 - now) / 1000)));
      }
    }
    return key;
  };

  return {
    async create(input) {
      checkModels(input.models, opts.config());
      const secret = `${KEY_PREFIX}${randomBytes(24).toString('base64url')}`;
      const now = new Date(clock.now()).toISOString();
      const key: ClientKey = {
        id: `key_${randomBytes(9).toString('hex')}`,
        name: input.name,
        models: input.models ?? null,
        rpm: input.rpm ?? null,
        budgets: { day_usd: input.budgets?.day_usd ?? null, month_usd: input.budgets?.month_usd ?? null },
        prefix: secret.slice(0, 7),
        created_at: now,
        updated_at: now,
      };
      await store.create(key, keyHash(secret));
      countCache = undefined;
      return { key, secret };
    },
    get: async (id) => view(await mustGet(id)),
    list: (page) => store.list(page),
    async update(id, patch) {
      const key = await mustGet(id);
      if (patch.models !== undefined) checkModels(patch.models, opts.config());
      const next: ClientKey = {
        ...key,
        ...(patch.name !== undefined ? { name: patch.name } : {}),
        ...(patch.models !== undefined ? { models: patch.models } : {}),
        ...(patch.rpm !== undefined ? { rpm: patch.rpm } : {}),
        budgets: {
          day_usd: patch.budgets?.day_usd !== undefined ? patch.budgets.day_usd : key.budgets.day_usd,
          month_usd: patch.budgets?.month_usd !== undefined ? patch.budgets.month_usd : key.budgets.month_usd,
        },
        updated_at: new Date(clock.now()).toISOString(),
      };
      const saved = await store.update(id, next);
      if (!saved) throw notFound(`key '${id}'`);
      return view(saved);
    },
    async delete(id) {
      if (!(await store.delete(id))) throw notFound(`key '${id}'`);
      countCache = undefined;
    },
    async admit(secret) {
      if (!secret.startsWith(KEY_PREFIX)) return null;
      const key = await store.byHash(keyHash(secret));
      return key ? admitKey(key) : null;
    },
    async admitCaller({ name, tier, policy }) {
      const at = new Date(clock.now()).toISOString();
      return admitKey({
        id: name,
        name,
        models: policy.models,
        rpm: policy.rpm,
        budgets: { day_usd: policy.day_usd, month_usd: policy.month_usd },
        // Not a key: its budget tier, which messages name.
        prefix: tier,
        created_at: at,
        updated_at: at,
      });
    },
    async required() {
      const cached = requiredNow();
      if (cached !== undefined) return cached;
      countCache = { at: clock.now(), n: await store.count() };
      return countCache.n > 0;
    },
    requiredNow,
  };
}

/**
 * What an allowance check reads of a key: a managed key, a JWT caller's budget tier (id `jwt:<caller>`),
 * or a token's models claim (id `token`, see tokenAllowance).
 */
export type Allowance = Pick<ClientKey, 'id' | 'name' | 'models' | 'prefix'>;

/** How messages name whose limit it is. */
const holder = (key: Allowance): string =>
  key.id === 'token' ? `the token of '${key.name}'` : key.id.startsWith('jwt:') ? `caller '${key.name}' (budget tier '${key.prefix}')` : `key '${key.name}'`;

/** Refuses (403) a workflow whose tasks call a model the key may not use (a task without a model may get any arm of the default). */
export function checkWorkflowAllowance(key: Allowance | undefined, workflow: Workflow, config: Config): void {
  if (!key || key.models === null) return;
  for (const [queue, tasks] of [['linear_queue', workflow.linear_queue], ['inline_queue', workflow.inline_queue]] as const) {
    tasks.forEach((task, i) => {
      for (const model of task.model ? [task.model] : refModels(config.routing.default_task_model)) checkAllowance(key, { model }, `workflow.${queue}.${i}.model`);
    });
  }
}

/**
 * Whether a managed key may use a tier or model: allowed when it has no list,
 * or its list names the tier or the model. Throws 403 `forbidden` otherwise.
 */
export function checkAllowance(key: Allowance | undefined, what: { tier?: string; model?: string }, path = 'model'): void {
  if (!key || key.models === null) return;
  if ((what.tier && key.models.includes(what.tier)) || (what.model && key.models.includes(what.model))) return;
  const named = [what.tier ? `tier ${what.tier}` : '', what.model ? `model '${what.model}'` : ''].filter(Boolean).join(' / ');
  throw new AppError('forbidden', `${holder(key)} may not use ${named}`, [{ path, message: `allowed: ${key.models.join(', ')}` }]);
}
