import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { getJson, postJson } from '../orchestrator/support.js';

let t: TestApp;

beforeAll(async () => {
  t = await startTestApp({
    config: (raw) => {
      raw.server.rate_limit = { enabled: false };
      raw.routing.tiers.M.model = [
        { model: 'medium_ai', weight: 80 },
        { model: 'fast_ai', weight: 20 },
      ];
      raw.routing.default_task_model = [
        { model: 'medium_ai', weight: 1 },
        { model: 'code_ai', weight: 1 },
      ];
    },
  });
});
afterAll(async () => {
  await t.close();
});

/** Runs `work` over `items` with at most `limit` in flight. */
async function pool<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await work(items[i]!);
      }
    }),
  );
  return results;
}

describe('weighted split over HTTP', () => {
  it('an 80/20 split over 2,000 sessions lands within ±3 % of 20 %, and every answer names its arm', async () => {
    const sessions = Array.from({ length: 2000 }, (_, i) => `split-session-${i}`);
    const answers = await pool(sessions, 16, async (session_id) => {
      const { status, body } = await postJson(`${t.url}/chat`, { message: 'hello there', category: 'M', session_id });
      expect(status).toBe(200);
      expect(body.split).toEqual({ split: 'routing.tiers.M.model', arm: body.model_used });
      return body.model_used as string;
    });
    const share = answers.filter((m) => m === 'fast_ai').length / answers.length;
    expect(share).toBeGreaterThan(0.17);
    expect(share).toBeLessThan(0.23);
    expect(answers.every((m) => m === 'fast_ai' || m === 'medium_ai')).toBe(true);

    const stats = await getJson(`${t.url}/stats`);
    const counted = stats.splits['routing.tiers.M.model'];
    expect(counted.fast_ai + counted.medium_ai).toBe(2000);
    expect(counted.fast_ai).toBe(answers.filter((m) => m === 'fast_ai').length);
    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    expect(metrics).toContain(`split_assignments_total{split="routing.tiers.M.model",arm="fast_ai"} ${counted.fast_ai}`);
  }, 180_000);

  it('every turn of one session uses one arm', async () => {
    for (let s = 0; s < 20; s++) {
      const session_id = `sticky-${s}`;
      const arms = new Set<string>();
      for (let turn = 0; turn < 4; turn++) {
        const { body } = await postJson(`${t.url}/chat`, { message: `turn ${turn}`, category: 'M', session_id });
        arms.add(body.model_used);
      }
      expect(arms.size).toBe(1);
      const session = await getJson(`${t.url}/session/${session_id}`);
      expect(new Set(session.turns.filter((x: { role: string }) => x.role === 'assistant').map((x: { model_used: string }) => x.model_used))).toEqual(arms);
    }
  });

  it('workflow tasks without a model are split per run, and the run record names the arm', async () => {
    const used = new Set<string>();
    for (let i = 0; i < 30; i++) {
      const { status, body } = await postJson(`${t.url}/workflow`, { workflow: { linear_queue: [{ id: 'a', prompt: 'say hi' }] } });
      expect(status).toBe(200);
      const run = await getJson(`${t.url}/runs/${body.run_id}`);
      expect(['medium_ai', 'code_ai']).toContain(run.tasks[0].model_used);
      used.add(run.tasks[0].model_used);
    }
    expect(used.size).toBe(2);
  });

  it('a caller that names a model bypasses the split', async () => {
    const { body } = await postJson(`${t.url}/chat`, { message: 'hi', category: 'M', model: 'thinking_ai' });
    expect(body.model_used).toBe('thinking_ai');
    expect(body.split).toBeUndefined();
  });
});
