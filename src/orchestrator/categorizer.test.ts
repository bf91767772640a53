import { describe, expect, it } from 'vitest';
import { scriptedGateway } from '../../test/orchestrator/scripted-gateway.js';
import { loadConfig } from '../config/load.js';
import { categorize } from './categorizer.js';
import { Ledger } from './ledger.js';

const { config } = loadConfig({}, 'orchestration_config.json');
const args = (message: string, extra: Record<string, unknown> = {}) => ({
  message,
  signal: new AbortController().signal,
  context: {},
  ledger: new Ledger(),
  ...extra,
});

describe('categorize', () => {
  it("uses the categorizer model's JSON answer, asked with json: true and the tier descriptions", async () => {
    const gateway = scriptedGateway(['```json\n{"category":"H","reasoning":"several deliverables"}\n```']);
    const result = await categorize({ config, gateway }, args('Plan my wedding'));
    expect(result).toEqual({ category: 'H', source: 'model', reasoning: 'several deliverables' });
    const req = gateway.requests[0]!;
    expect(req).toMatchObject({ model: 'categorizer', json: true });
    expect(String(req.messages[0]!.content)).toContain(config.routing.tiers.M.description);
  });

  it('lets the request category override both model and heuristic, without a call', async () => {
    const gateway = scriptedGateway([]);
    expect(await categorize({ config, gateway }, args('x', { override: 'L' }))).toMatchObject({ category: 'L', source: 'override' });
    expect(gateway.requests).toHaveLength(0);
  });

  it('falls back to the heuristic on a failed call, an invalid answer, or an open circuit', async () => {
    const failed = await categorize({ config, gateway: scriptedGateway([new Error('503')]) }, args('Why is ice slippery?'));
    expect(failed).toMatchObject({ category: 'L', source: 'heuristic', reasoning: expect.stringMatching(/categorizer failed/) });
    const invalid = await categorize({ config, gateway: scriptedGateway(['{"category":"X"}']) }, args('Why is ice slippery?'));
    expect(invalid).toMatchObject({ source: 'heuristic', reasoning: expect.stringMatching(/not the expected JSON/) });
    const open = scriptedGateway([], 'open');
    expect(await categorize({ config, gateway: open }, args('Why?'))).toMatchObject({ source: 'heuristic', reasoning: expect.stringMatching(/circuit is open/) });
    expect(open.requests).toHaveLength(0);
  });

  it('rethrows when the request itself was aborted instead of guessing', async () => {
    const controller = new AbortController();
    controller.abort(new Error('client left'));
    await expect(categorize({ config, gateway: scriptedGateway([new Error('aborted')]) }, args('hi', { signal: controller.signal }))).rejects.toThrow('client left');
  });
});
