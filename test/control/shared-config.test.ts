import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../helpers/app.js';
import { sharedTestRedis, startReplica } from '../helpers/redis.js';
import { ADMIN_KEYS, admin, call } from './support.js';

/** Two replicas on one Redis, each with its own connection, as two processes would be. */
describe('config versions across replicas', () => {
  let redis: { url: string; stop(): Promise<void> };
  let a: TestApp;
  let b: TestApp;
  const prefix = `cfg${Date.now()}:`;
  const replica = () => startReplica(redis.url, prefix, { adminApiKeys: ADMIN_KEYS });
  beforeAll(async () => {
    redis = await sharedTestRedis();
    a = await replica();
    b = await replica();
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await redis?.stop();
  });

  const healthHash = async (t: TestApp) => (await call(t.url, 'GET', '/health')).body.config_version as string;
  /** Polls a replica's /health until it names `hash` (a generous limit: this is about propagation, not speed). */
  const waitFor = async (t: TestApp, hash: string) => {
    for (let i = 0; i < 250 && (await healthHash(t)) !== hash; i++) await new Promise((r) => setTimeout(r, 20));
    return healthHash(t);
  };

  it('both start on the file version, recorded once', async () => {
    const first = (await admin(a.url).get('/admin/config')).body.version;
    expect(await healthHash(b)).toBe(first.hash);
    expect((await admin(b.url).get('/admin/config/versions')).body.items).toHaveLength(1);
  });

  it('a change on A is active on B, and B answers with it; a rollback on B reaches A', async () => {
    const first = await healthHash(a);
    const change = await admin(a.url).post('/admin/config', { base: first, patch: [{ op: 'replace', path: '/routing/tiers/M/model', value: 'thinking_ai' }] });
    expect(change.status).toBe(200);
    const second = change.body.version.hash;
    expect(await waitFor(b, second)).toBe(second);
    expect((await call(b.url, 'POST', '/chat', { body: { message: 'hi', category: 'M' } })).body).toMatchObject({ config_version: second, model_used: 'thinking_ai' });
    // B's history is the shared one: a stale base written on B is a conflict there too.
    expect((await admin(b.url).post('/admin/config', { base: first, patch: [] })).status).toBe(409);

    expect((await admin(b.url).post('/admin/config/rollback', { to: first })).status).toBe(200);
    expect(await waitFor(a, first)).toBe(first);
    const audit = (await admin(a.url).get('/admin/audit?limit=2')).body.items;
    expect(audit.map((e: { action: string }) => e.action)).toEqual(['config.rollback', 'config.apply']);
  });

  it("any replica's /health lists every live replica with the hash it runs, so a mixed fleet shows; a stopped one leaves", async () => {
    const fleetOf = async (t: TestApp) =>
      (await call(t.url, 'GET', '/health')).body.replicas as { replica: string; config_version: string; seen_at: string }[];
    /** Polls A's view until it holds `n` replicas all on `hash` (each reports after its own version check). */
    const settled = async (n: number, hash: string) => {
      for (let i = 0; i < 250; i++) {
        const fleet = await fleetOf(a);
        if (fleet.length === n && fleet.every((r) => r.config_version === hash)) return fleet;
        await new Promise((r) => setTimeout(r, 20));
      }
      return fleetOf(a);
    };
    const first = await healthHash(a);
    expect(await settled(2, first)).toHaveLength(2);
    // The same replicas on the same versions from either replica; not the same seen_at, which each replica
    // rewrites after every version check (one may land between the two reads).
    const names = (fleet: { replica: string; config_version: string }[]) => fleet.map(({ replica, config_version }) => ({ replica, config_version }));
    expect(names(await fleetOf(b))).toEqual(names(await fleetOf(a)));

    const change = await admin(b.url).post('/admin/config', { base: first, patch: [{ op: 'replace', path: '/limits/max_images', value: 3 }] });
    const second = change.body.version.hash;
    const fleet = await settled(2, second);
    expect(fleet.map((r) => r.config_version)).toEqual([second, second]);

    await b.close();
    const alone = await settled(1, second);
    expect(alone).toHaveLength(1);
    b = await replica();
    expect(await settled(2, second)).toHaveLength(2);
  });
});
