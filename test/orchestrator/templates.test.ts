import { describe, expect, it } from 'vitest';
import { fixtureForTests } from './fixture.js';
import { echo, postJson, userPrompts } from './support.js';

const f = fixtureForTests(undefined, { reset: true });

/** The prompt the fake received that starts with `start` (exactly one). */
const promptStarting = (start: string): string => {
  const found = userPrompts(f.fake).filter((p) => p.startsWith(start));
  expect(found, `one prompt starting with "${start}"`).toHaveLength(1);
  return found[0]!;
};

describe('templates run by name against the fake provider', () => {
  it('research_report passes each task the upstream answers it names, with input defaults applied', async () => {
    const { status, body: run } = await postJson(`${f.t.url}/template/research_report`, { variables: { topic: 'solid-state batteries' } });
    expect(status).toBe(200);
    expect(run.status).toBe('completed');
    expect(run.tasks.map((task: { id: string; status: string }) => [task.id, task.status])).toEqual([
      ['background', 'completed'],
      ['current_state', 'completed'],
      ['perspectives', 'completed'],
      ['outline', 'completed'],
      ['draft', 'completed'],
      ['finalize', 'completed'],
    ]);

    const background = promptStarting('Write the background section of research on solid-state batteries');
    expect(background).toContain('for an audience of informed non-specialist professionals');
    const currentState = promptStarting('Describe the current state of solid-state batteries');
    const perspectives = promptStarting('Analyse the competing perspectives');
    const outline = promptStarting('Create a detailed outline for a standard research report on solid-state batteries');
    // The outline task received the three linear answers in their places.
    expect(outline).toContain(`Background research:\n${echo(background)}`);
    expect(outline).toContain(`Current state and data:\n${echo(currentState)}`);
    expect(outline).toContain(`Perspectives and risks:\n${echo(perspectives)}`);
    const draft = promptStarting('Write the full research report on solid-state batteries');
    expect(draft).toContain(`following this outline exactly:\n${echo(outline)}`);
    const finalize = promptStarting('Edit this draft research report on solid-state batteries');
    expect(finalize).toContain(`Draft:\n${echo(draft)}`);

    expect(run.output).toBe(echo(finalize));
    expect(run.variables.outline).toBe(echo(outline));
    expect(run.variables.audience).toBe('informed non-specialist professionals');
  });

  it('marketing_campaign generates the hero image and threads analysis and messaging into the plan and copy', async () => {
    const { status, body: run } = await postJson(`${f.t.url}/template/marketing_campaign`, {
      variables: { product: 'a solar phone charger', audience: 'weekend hikers' },
    });
    expect(status).toBe(200);
    expect(run.status).toBe('completed');
    expect(run.media).toEqual([expect.objectContaining({ type: 'image', model_used: 'image_generation' })]);
    expect(run.tasks.find((task: { id: string }) => task.id === 'hero_visual').media).toHaveLength(1);

    const analysis = promptStarting('Analyse weekend hikers as potential buyers of a solar phone charger');
    const positioning = promptStarting('Develop positioning and core messaging for a solar phone charger');
    const plan = promptStarting('Create a six-week campaign plan');
    expect(plan).toContain('across these channels: email, LinkedIn, Instagram and paid search');
    expect(plan).toContain(`Audience analysis:\n${echo(analysis)}`);
    expect(plan).toContain(`Positioning and messaging:\n${echo(positioning)}`);
    const creative = promptStarting('Write ready-to-use copy');
    expect(creative).toContain(`Campaign plan:\n${echo(plan)}`);
    const assemble = promptStarting('Assemble the final campaign brief');
    expect(assemble).toContain(`Copy:\n${echo(creative)}`);
    expect(run.output).toBe(echo(assemble));
  });

  it('code_project carries requirements, architecture, implementation and tests into the review', async () => {
    const { status, body: run } = await postJson(`${f.t.url}/template/code_project`, {
      variables: { description: 'a CLI that counts words in files', language: 'Go' },
    });
    expect(status).toBe(200);
    expect(run.status).toBe('completed');
    const requirements = promptStarting('Analyse the following project description');
    const architecture = promptStarting('Design the architecture for a Go project');
    const implementation = promptStarting('Implement the project in Go');
    expect(implementation).toContain(`Requirements:\n${echo(requirements)}`);
    expect(implementation).toContain(`Architecture:\n${echo(architecture)}`);
    const tests = promptStarting('Write an automated test suite in Go');
    expect(tests).toContain(`Implementation:\n${echo(implementation)}`);
    const review = promptStarting('Prepare the final deliverable for this Go project');
    expect(review).toContain(`Tests:\n${echo(tests)}`);
    expect(run.output).toBe(echo(review));
  });

  it('answers 400 listing every missing required input, and makes no model call', async () => {
    const { status, body } = await postJson(`${f.t.url}/template/marketing_campaign`, { variables: {} });
    expect(status).toBe(400);
    expect(body.error.type).toBe('validation_error');
    expect(body.error.details.map((d: { path: string }) => d.path).sort()).toEqual(['variables.audience', 'variables.product']);
    expect(f.fake.attempts).toHaveLength(0);
  });

  it('answers 404 for an unknown template', async () => {
    const { status, body } = await postJson(`${f.t.url}/template/nope`, { variables: {} });
    expect(status).toBe(404);
    expect(body.error.type).toBe('not_found');
  });
});
