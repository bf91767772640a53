import type { FastifyBaseLogger } from 'fastify';
import type { Clock } from '../clock.js';
import type { Catalog } from '../config/catalog.js';
import { formatProblem, type LoadedConfig, type Problem } from '../config/load.js';
import { AppError, notFound, validationError } from '../errors.js';
import type { AuditEntry, ConfigVersion, ControlStore, Page } from '../store/control-types.js';
import { configHash } from './canonical.js';
import type { ConfigRuntime } from './config-runtime.js';
import { applyDocumentPatch, diffDocuments, type PatchOperation } from './json-patch.js';
import { checkConfigDocument } from './validate-config.js';

/** Who makes a change: an admin key's name and address, or the server itself (`file`, `system`). */
export interface Actor {
  name: string;
  address: string | null;
}

export const FILE_ACTOR: Actor = { name: 'file', address: null };
export const SYSTEM_ACTOR: Actor = { name: 'system', address: null };

/** A change request: a full document or an RFC 6902 patch against `base` (the body of POST /admin/config). */
export interface ConfigChange {
  config?: unknown;
  patch?: PatchOperation[];
  /** The hash the change was written against; a patch needs it. A base that is no longer active is a 409. */
  base?: string;
  message?: string;
  dry_run?: boolean;
}

/** What a change did (or, for a dry run, would do). */
export interface ChangeOutcome {
  version: ConfigVersion;
  diff: PatchOperation[];
  /** Dry runs only: whether it would apply, and every problem if not. */
  dry_run?: boolean;
  valid?: boolean;
  problems?: Problem[];
}

/**
 * The config lifecycle's use cases: read versions, diff them, change, roll back and
 * reload from the file, each validated as at startup, committed with a compare-and-set
 * on the active version, audited, then swapped into the runtime. Changes in one
 * process are serialised; across replicas the store's compare-and-set decides.
 */
export interface ConfigControl {
  /** Records the config file as a version at startup and runs the store's active version. */
  start(): Promise<void>;
  active(): Promise<{ version: ConfigVersion; document: unknown }>;
  listVersions(cursor: number | undefined, limit: number): Promise<Page<ConfigVersion & { active: boolean }>>;
  getVersion(hash: string): Promise<{ version: ConfigVersion; document: unknown; active: boolean }>;
  diff(from: string, to: string): Promise<PatchOperation[]>;
  change(change: ConfigChange, actor: Actor): Promise<ChangeOutcome>;
  rollback(to: string, message: string | undefined, actor: Actor): Promise<ChangeOutcome>;
  /** A new document for the config file (watch, SIGHUP): applied when it changed and is valid, else refused with every problem. */
  reloadFile(document: unknown, source: string): Promise<{ status: 'applied' | 'unchanged' | 'refused'; problems: Problem[] }>;
  /** Makes the store's active version the running one (shared mode: after a peer's change or a reconnect). */
  sync(): Promise<void>;
  listAudit(cursor: number | undefined, limit: number): Promise<Page<AuditEntry>>;
  audit(actor: Actor, action: string, target: string | null, message: string, details?: Record<string, unknown>): Promise<AuditEntry>;
  /** Called after this process activated a version (shared mode publishes it). */
  onActivated(listener: (hash: string) => void): void;
}

export interface ConfigControlDeps {
  store: ControlStore;
  runtime: ConfigRuntime;
  catalog: Catalog;
  env: NodeJS.ProcessEnv;
  clock: Clock;
  log: FastifyBaseLogger;
}

const FILE_HASH = 'file_hash';
const details = (problems: Problem[]) => problems.map((p) => ({ path: p.path, message: p.message }));

const page = <T>(items: T[], limit: number, cursorOf: (item: T) => number): Page<T> => ({
  items,
  next_cursor: items.length === limit && items.length > 0 ? String(cursorOf(items.at(-1)!)) : null,
});

export function createConfigControl(deps: ConfigControlDeps): ConfigControl {
  const { store, runtime, log } = deps;
  const listeners: ((hash: string) => void)[] = [];
  let queue: Promise<unknown> = Promise.resolve();
  /** One change at a time in this process, so commits and swaps happen in the same order. */
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = queue.then(fn, fn);
    queue = next.catch(() => undefined);
    return next;
  };
  const now = () => new Date(deps.clock.now()).toISOString();
  const check = (document: unknown, source: string) => checkConfigDocument(document, { env: deps.env, catalog: deps.catalog, source });

  const requireVersion = async (hash: string) => {
    const found = await store.getVersion(hash);
    if (!found) throw notFound(`config version '${hash}'`);
    return found;
  };

  const audit: ConfigControl['audit'] = (actor, action, target, message, details = {}) =>
    store.appendAudit({ at: now(), actor: actor.name, address: actor.address, action, target, message, details });

  /** Activates a version here; `announce` tells the listeners (shared mode publishes), not for a version learnt from a peer. */
  const swap = (hash: string, loaded: LoadedConfig, announce = true) => {
    const before = runtime.current().hash;
    runtime.activate(hash, loaded);
    if (before !== hash) {
      log.info({ config_version: hash, previous: before }, 'config version activated');
      if (announce) for (const listener of listeners) listener(hash);
    }
  };

  /** Stores the document as a version and activates it when `expected` is still active; 409 otherwise. */
  const commit = async (
    document: unknown,
    loaded: LoadedConfig,
    expected: string | null,
    actor: Actor,
    message: string,
  ): Promise<ConfigVersion> => {
    const hash = configHash(document);
    const result = await store.commit({ hash, parent: expected, author: actor.name, message, created_at: now(), document }, expected);
    if (!result.activated || !result.version) {
      throw new AppError('conflict', `the active config version is now '${result.active}', not '${expected}': fetch it and write your change against it`, [
        { path: 'base', message: `active version is ${result.active}` },
      ]);
    }
    swap(hash, loaded);
    return result.version;
  };

  const activeHash = async (): Promise<string> => (await store.active()) ?? runtime.current().hash;

  const sync = async () => {
    const hash = await store.active();
    if (!hash || hash === runtime.current().hash) return;
    const stored = await store.getVersion(hash);
    if (!stored) return;
    const checked = check(stored.document, `config version ${hash}`);
    if (!checked.ok) {
      log.error({ config_version: hash, problems: checked.problems.map(formatProblem) }, 'the active config version is invalid here; keeping the running one');
      return;
    }
    swap(hash, checked.loaded, false);
  };

  return {
    start: () =>
      serial(async () => {
        const { loaded } = runtime.current();
        const fileHash = configHash(loaded.document);
        const active = await store.active();
        const seen = await store.getMeta(FILE_HASH);
        if (active === null || seen !== fileHash) {
          const message = active === null ? `initial config from ${loaded.source}` : `config file changed: ${loaded.source}`;
          const result = await store.commit(
            { hash: fileHash, parent: active, author: FILE_ACTOR.name, message, created_at: now(), document: loaded.document },
            active,
          );
          // Another replica starting from the same file may have won the race: it recorded the same thing.
          if (result.activated && active !== fileHash) await audit(FILE_ACTOR, 'config.file', fileHash, message, { parent: active });
          await store.setMeta(FILE_HASH, fileHash);
        }
        await sync();
      }),

    active: async () => {
      const hash = runtime.current().hash;
      const stored = await requireVersion(hash);
      const { document, ...version } = stored;
      return { version, document };
    },

    listVersions: async (cursor, limit) => {
      const active = runtime.current().hash;
      const items = await store.listVersions({ before: cursor, limit });
      return page(
        items.map((v) => ({ ...v, active: v.hash === active })),
        limit,
        (v) => v.seq,
      );
    },

    getVersion: async (hash) => {
      const { document, ...version } = await requireVersion(hash);
      return { version, document, active: hash === runtime.current().hash };
    },

    diff: async (from, to) => {
      const [a, b] = await Promise.all([requireVersion(from), requireVersion(to)]);
      return diffDocuments(a.document, b.document);
    },

    change: (change, actor) =>
      serial(async () => {
        const active = await activeHash();
        if ((change.config === undefined) === (change.patch === undefined)) {
          throw validationError('send either "config" (a full document) or "patch" (RFC 6902 operations)', [
            { path: 'body', message: 'exactly one of config and patch is required' },
          ]);
        }
        if (change.patch !== undefined && change.base === undefined) {
          throw validationError('a patch needs the hash it was written against', [{ path: 'base', message: 'required with patch' }]);
        }
        if (change.base !== undefined && change.base !== active) {
          throw new AppError('conflict', `base '${change.base}' is not the active config version '${active}': fetch it and write your change against it`, [
            { path: 'base', message: `active version is ${active}` },
          ]);
        }
        const base = await requireVersion(active);
        const patched = change.patch !== undefined ? applyDocumentPatch(base.document, change.patch) : { document: change.config, problems: [] };
        const document = patched.document;
        const checked = check(document, 'the new config');
        const problems = [...patched.problems, ...(checked.ok ? [] : checked.problems)];
        const diff = diffDocuments(base.document, document);
        const hash = configHash(document);
        const message = change.message?.trim() || 'config change';
        if (change.dry_run) {
          const version: ConfigVersion = { hash, parent: active, author: actor.name, message, created_at: now(), seq: 0 };
          return { version, diff, dry_run: true, valid: problems.length === 0, problems };
        }
        if (problems.length > 0 || !checked.ok) {
          throw validationError(`the config is invalid (${problems.length} problem${problems.length === 1 ? '' : 's'}); nothing was changed`, details(problems));
        }
        if (hash === active) {
          const { document: _d, ...version } = base;
          return { version, diff: [] };
        }
        const version = await commit(document, checked.loaded, active, actor, message);
        await audit(actor, 'config.apply', hash, message, { parent: active, diff });
        return { version, diff };
      }),

    rollback: (to, message, actor) =>
      serial(async () => {
        const active = await activeHash();
        const [target, current] = await Promise.all([requireVersion(to), requireVersion(active)]);
        const diff = diffDocuments(current.document, target.document);
        const { document: _d, ...record } = target;
        if (to === active) return { version: record, diff: [] };
        const checked = check(target.document, `config version ${to}`);
        if (!checked.ok) throw validationError(`config version '${to}' is not valid in this environment; nothing was changed`, details(checked.problems));
        const text = message?.trim() || `rollback to ${to.slice(0, 12)}`;
        const version = await commit(target.document, checked.loaded, active, actor, text);
        await audit(actor, 'config.rollback', to, text, { from: active, diff });
        return { version, diff };
      }),

    reloadFile: (document, source) =>
      serial(async () => {
        const fileHash = configHash(document);
        if (fileHash === (await store.getMeta(FILE_HASH))) return { status: 'unchanged', problems: [] };
        const checked = check(document, source);
        if (!checked.ok) return { status: 'refused', problems: checked.problems };
        const active = await activeHash();
        const message = `config file changed: ${source}`;
        if (fileHash !== active) {
          await commit(document, checked.loaded, active, FILE_ACTOR, message);
          await audit(FILE_ACTOR, 'config.file', fileHash, message, { parent: active, diff: diffDocuments((await requireVersion(active)).document, document) });
        }
        await store.setMeta(FILE_HASH, fileHash);
        return { status: 'applied', problems: [] };
      }),

    sync: () => serial(sync),

    listAudit: async (cursor, limit) => page(await store.listAudit({ before: cursor, limit }), limit, (e) => e.id),

    audit,

    onActivated: (listener) => void listeners.push(listener),
  };
}
