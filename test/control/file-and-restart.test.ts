import { writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { configHash } from '../../src/control/canonical.js';
import { watchConfigFile } from '../../src/control/config-file-watch.js';
import { createSqliteStores } from '../../src/store/sqlite.js';
import { shippedConfig, startTestApp, type TestApp } from '../helpers/app.js';
import { tempDir } from '../store/fixtures.js';
import { ADMIN_KEYS, admin, call } from './support.js';

const apps: TestApp[] = [];
const dirs: { cleanup(): void }[] = [];
afterEach(async () => {
  while (apps.length > 0) await apps.pop()!.close();
  while (dirs.length > 0) dirs.pop()!.cleanup();
});
const newDir = (): string => {
  const made = tempDir();
  dirs.push(made);
  return made.dir;
};

/** A replica on a SQLite file, its config edited from the shipped one. */
async function start(db: string, edit: (raw: Record<string, any>) => void = () => undefined): Promise<TestApp> {
  const t = await startTestApp({ adminApiKeys: ADMIN_KEYS, config: edit, stores: createSqliteStores(db) });
  apps.push(t);
  return t;
}

const active = async (t: TestApp) => (await admin(t.url).get('/admin/config')).body.version;

describe('versions survive restarts', () => {
  it('keeps an API change over a restart with the same file; a changed file becomes a new version', async () => {
    const db = join(newDir(), 'orchestrator.db');
    const first = await start(db);
    const fileVersion = await active(first);
    const change = await admin(first.url).post('/admin/config', { base: fileVersion.hash, patch: [{ op: 'replace', path: '/limits/max_images', value: 2 }], message: 'fewer images' });
    expect(change.status).toBe(200);
    await apps.pop()!.close();

    const again = await start(db);
    expect(await active(again)).toMatchObject({ hash: change.body.version.hash, author: 'alice', message: 'fewer images' });
    expect((await call(again.url, 'GET', '/health')).body.config_version).toBe(change.body.version.hash);
    await apps.pop()!.close();

    const edited = await start(db, (raw) => {
      raw.limits = { ...raw.limits, max_images: 5 };
    });
    const now = await active(edited);
    expect(now).toMatchObject({ author: 'file', parent: change.body.version.hash, hash: configHash(edited.loaded.document) });
    expect((await admin(edited.url).get('/admin/config/versions')).body.items).toHaveLength(3);
  });
});

describe('the watched config file', () => {
  it('applies a valid edit, refuses an invalid one with every problem logged, and keeps the running version', async () => {
    const dir = newDir();
    const path = join(dir, 'orchestration_config.json');
    const raw = shippedConfig();
    writeFileSync(path, JSON.stringify(raw));
    const t = await start(join(dir, 'orchestrator.db'));
    const errors: { obj: any; msg: string }[] = [];
    const log = { error: (obj: any, msg: string) => errors.push({ obj, msg }), warn: () => undefined, info: () => undefined } as any;
    const watch = watchConfigFile({ path, control: t.app.ctx.control, log, debounceMs: 50 });
    try {
      const before = await active(t);
      // Saved the way editors do: a new file renamed over the old one.
      const edited = structuredClone(raw);
      edited.routing.tiers.M.model = 'thinking_ai';
      writeFileSync(`${path}.tmp`, JSON.stringify(edited, null, 2));
      renameSync(`${path}.tmp`, path);
      for (let i = 0; i < 250 && (await active(t)).hash === before.hash; i++) await new Promise((r) => setTimeout(r, 20));
      const after = await active(t);
      expect(after).toMatchObject({ hash: configHash(edited), author: 'file', parent: before.hash });

      const broken = structuredClone(edited);
      broken.routing.tiers.M.model = 'gpt9';
      broken.routing.planner = 'nobody';
      writeFileSync(path, JSON.stringify(broken));
      expect(await watch.reload()).toBe('refused');
      const refused = errors.find((e) => e.msg.includes('refused'));
      expect(refused?.obj.problems).toEqual(expect.arrayContaining(["routing.tiers.M.model: unknown model 'gpt9'", "routing.planner: unknown model 'nobody'"]));
      expect((await active(t)).hash).toBe(after.hash);

      // A comma missing in the edited file: the log says where, as at startup, not 'at position N'.
      writeFileSync(path, JSON.stringify(edited, null, 2).replace('"routing": {', '"routing": {\n    "x": 1\n    "y": 2,'));
      expect(await watch.reload()).toBe('refused');
      const syntax = errors.filter((e) => e.msg.includes('refused')).at(-1)?.obj.problems[0] as string;
      expect(syntax).toMatch(/^not readable JSON: line \d+, column 5: ',' was expected\n\d+ \| {5}"y": 2,\n/);
      expect(syntax).not.toMatch(/position/);
      expect((await active(t)).hash).toBe(after.hash);
    } finally {
      watch.stop();
    }
  });
});
