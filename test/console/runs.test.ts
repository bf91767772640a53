import { describe, expect, it } from 'vitest';
import { ADMIN_KEY, CLIENT_KEY, consoleSuite, signIn } from './browser.js';
import { nav, screenshot } from './screenshots.js';

/** Five tasks: three linear (one on a model that fails once, so it is retried), then two inline using their outputs. */
const WORKFLOW = {
  name: 'console_five',
  inputs: { topic: { required: true } },
  linear_queue: [
    { id: 'facts', model: 'fast_ai', prompt: 'List facts about {{topic}}.' },
    { id: 'risks', model: 'fast_ai', prompt: 'List risks of {{topic}}.' },
    { id: 'history', model: 'flaky_ai', prompt: 'Tell the history of {{topic}}.' },
  ],
  inline_queue: [
    { id: 'draft', model: 'medium_ai', prompt: 'Draft from {{facts}}, {{risks}} and {{history}}.' },
    { id: 'polish', model: 'fast_ai', prompt: 'Polish {{draft}}.', output: 'final' },
  ],
  output: 'final',
};

describe('console: runs', () => {
  const h = consoleSuite({
    edit: (raw) => {
      // Held answers must not time out while the test looks at them.
      raw.timeouts = { connect_ms: 1000, first_byte_ms: 60_000, stream_idle_ms: 60_000, response_ms: 60_000 };
      raw.limits.default_timeout_s = 300;
      // A model whose first call fails (500) and is retried: the task shows `retried`.
      raw.models.flaky_ai = { ...raw.models.fast_ai, model: 'fault:fail_once/flaky', fallbacks: [] };
    },
  });

  const state = (task: string) => h.page.locator(`button[data-task="${task}"]`).getAttribute('data-state');
  const states = async () => Object.fromEntries(await Promise.all(['facts', 'risks', 'history', 'draft', 'polish'].map(async (t) => [t, await state(t)])));

  it("watches a 5-task workflow go from queued to completed, each task's state changing live", async () => {
    const { page, fake } = h;
    await signIn(page, h.url, { admin: ADMIN_KEY, client: CLIENT_KEY });
    // Every model call waits at the fake provider until released, phase by phase.
    let release = fake.hold();
    const res = await fetch(`${h.url}/workflow`, {
      method: 'POST',
      headers: { authorization: `Bearer ${CLIENT_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ workflow: WORKFLOW, variables: { topic: 'tides' }, async: true }),
    });
    expect(res.status).toBe(202);
    const { run_id } = (await res.json()) as { run_id: string };

    await nav(page, 'Runs');
    await page.locator(`tr[data-run="${run_id}"] a`).click();
    await page.getByRole('heading', { name: new RegExp(`Run ${run_id}`) }).waitFor();

    // Linear tasks all start at once; the inline ones wait their turn.
    await expect.poll(states).toEqual({ facts: 'running', risks: 'running', history: 'running', draft: 'queued', polish: 'queued' });

    // Keyboard: a task opens its details with Enter.
    await page.locator('button[data-task="facts"]').focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByTestId('task-prompt').textContent()).toBe('List facts about tides.');

    /** Lets the held calls answer; the next ones are held again. */
    const step = () => {
      const next = fake.hold();
      release();
      release = next;
    };
    // The flaky model's first call fails (500): its task is retried, and the retry is held.
    step();
    await expect.poll(states).toEqual({ facts: 'completed', risks: 'completed', history: 'retried', draft: 'queued', polish: 'queued' });
    expect(await page.locator('button[data-task="history"]').textContent()).toContain('retried');
    expect(await page.getByTestId('task-output').textContent()).toBe('echo: List facts about tides.');
    await screenshot(page, 'running-workflow');

    step();
    await expect.poll(states).toEqual({ facts: 'completed', risks: 'completed', history: 'completed', draft: 'running', polish: 'queued' });
    step();
    await expect.poll(states).toEqual({ facts: 'completed', risks: 'completed', history: 'completed', draft: 'completed', polish: 'running' });

    release();
    await expect.poll(states).toEqual({ facts: 'completed', risks: 'completed', history: 'completed', draft: 'completed', polish: 'completed' });
    await page.locator('[data-run-status="completed"]').waitFor();
    expect(await page.getByTestId('run-output').textContent()).toContain('echo: Polish');
    // The retried task says so after it completed, and its details name the model, calls and replica.
    expect(await page.locator('button[data-task="history"]').textContent()).toContain('1 retry');
    await page.locator('button[data-task="history"]').click();
    const detail = page.getByTestId('task-detail');
    await expect.poll(() => detail.textContent()).toMatch(/flaky_ai/);
    expect(await detail.textContent()).toMatch(/Model calls\s*2/);
    // The arrows carry the variables: each of draft's inputs is drawn.
    for (const v of ['{{facts}}', '{{risks}}', '{{history}}', '{{draft}}', '{{topic}}']) expect(await page.locator('.run-graph svg').textContent()).toContain(v);
  });

  it('filters the list by status and cancels a running run', async () => {
    const { page, fake } = h;
    const release = fake.hold();
    try {
      const res = await fetch(`${h.url}/workflow`, {
        method: 'POST',
        headers: { authorization: `Bearer ${CLIENT_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ workflow: { name: 'console_cancel', linear_queue: [{ id: 'wait', model: 'fast_ai', prompt: 'wait for me' }] }, async: true }),
      });
      const { run_id } = (await res.json()) as { run_id: string };
      await nav(page, 'Runs');
      await page.getByLabel('Status', { exact: true }).selectOption('running');
      await page.getByRole('button', { name: 'Filter' }).click();
      await page.locator(`tr[data-run="${run_id}"]`).waitFor();
      const statuses = async () => Promise.all((await page.locator('tr[data-run]').all()).map((row) => row.getAttribute('data-status')));
      await expect.poll(statuses).toEqual(['running']);
      await page.locator(`tr[data-run="${run_id}"] a`).click();
      await page.getByRole('button', { name: 'Cancel run' }).click();
      await page.locator('[data-run-status="cancelled"]').waitFor();
    } finally {
      release();
    }
  });

  it('starts a template as an async run from the form generated from its inputs, defaults filled in', async () => {
    const { page } = h;
    await nav(page, 'Runs');
    await page.getByLabel('Template', { exact: true }).selectOption('research_report');
    const topic = page.getByLabel('topic (required)');
    await topic.waitFor();
    // The defaults of optional inputs are filled in.
    expect(await page.getByLabel('audience').inputValue()).toBe('informed non-specialist professionals');
    await topic.fill('tides');
    await page.getByRole('button', { name: 'Start run' }).click();
    await page.getByRole('heading', { name: /Run .* research_report/ }).waitFor();
    await page.locator('[data-run-status="completed"]').waitFor({ timeout: 30_000 });
  });

  it('the overview shows the traffic these runs made (README screenshot)', async () => {
    const { page } = h;
    for (const [message, category] of [
      ['a quick one', 'L'],
      ['an everyday one', 'M'],
      ['another everyday one', 'M'],
    ]) {
      const res = await fetch(`${h.url}/chat`, {
        method: 'POST',
        headers: { authorization: `Bearer ${CLIENT_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ message, category }),
      });
      expect(res.status).toBe(200);
    }
    await nav(page, 'Overview');
    await expect.poll(() => page.getByTestId('card-rps').textContent()).toMatch(/\d+ requests/);
    await expect.poll(() => page.locator('figure.chart canvas').count()).toBeGreaterThanOrEqual(2);
    await screenshot(page, 'overview');
  });
});
