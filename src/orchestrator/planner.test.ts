import { describe, expect, it } from 'vitest';
import { loadCatalog } from '../config/catalog.js';
import { loadConfig } from '../config/load.js';
import { scriptedGateway } from '../../test/orchestrator/scripted-gateway.js';
import { Ledger } from './ledger.js';
import { planWorkflow, REQUEST_VARIABLE } from './planner.js';

const { config } = loadConfig({}, 'orchestration_config.json');
const catalog = loadCatalog(process.cwd(), config);

const args = () => ({
  message: 'Write a report on tides',
  model: 'planner',
  signal: new AbortController().signal,
  deadline: Date.now() + 10_000,
  context: {},
  ledger: new Ledger(),
});

const valid = JSON.stringify({
  name: 'tides',
  linear_queue: [{ id: 'facts', model: 'medium_ai', prompt: 'Facts for {{request}}' }],
  inline_queue: [{ id: 'write', model: 'fast_ai', prompt: 'Write {{request}} from {{facts}}', output: 'final' }],
  output: 'final',
});

describe('planWorkflow', () => {
  it('accepts a valid plan and declares the request input it reads', async () => {
    const gateway = scriptedGateway([valid]);
    const a = args();
    const outcome = await planWorkflow({ config, catalog, gateway }, a);
    expect(outcome.workflow?.name).toBe('tides');
    expect(outcome.workflow?.inputs[REQUEST_VARIABLE]?.required).toBe(true);
    expect(gateway.requests[0]!.json).toBe(true);
    expect(String(gateway.requests[0]!.messages[0]!.content)).toMatch(/medium_ai: The M tier/);
    expect(a.ledger.cost_usd).toBeCloseTo(0.001);
  });

  it('repairs an invalid plan once, telling the planner every problem', async () => {
    const invalid = JSON.stringify({ linear_queue: [{ id: 'a', model: 'gpt9', prompt: '{{later}}' }] });
    const gateway = scriptedGateway([invalid, valid]);
    const outcome = await planWorkflow({ config, catalog, gateway }, args());
    expect(outcome).toMatchObject({ repaired: true });
    const repair = gateway.requests[1]!.messages;
    expect(repair.at(-2)).toEqual({ role: 'assistant', content: invalid });
    expect(String(repair.at(-1)!.content)).toContain("linear_queue.0.model: unknown model 'gpt9'");
    expect(String(repair.at(-1)!.content)).toContain("linear_queue.0.prompt: undefined variable 'later'");
  });

  it('gives up after a second invalid plan with the reason', async () => {
    const gateway = scriptedGateway(['not json', '{"linear_queue": []}']);
    const outcome = await planWorkflow({ config, catalog, gateway }, args());
    expect(outcome.workflow).toBeNull();
    expect(outcome).toMatchObject({ reason: expect.stringMatching(/invalid twice.*both empty/) });
  });

  it('reports an unreachable planner as the reason to answer directly', async () => {
    const gateway = scriptedGateway([]);
    const outcome = await planWorkflow({ config, catalog, gateway }, args());
    expect(outcome).toMatchObject({ workflow: null, reason: expect.stringMatching(/could not be reached/) });
  });
});
