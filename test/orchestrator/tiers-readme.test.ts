import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { classifyHeuristically } from '../../src/orchestrator/heuristic.js';
import { categorize } from '../../src/providers/simulator/answers.js';

const readme = readFileSync('README.md', 'utf8');
const config = JSON.parse(readFileSync('orchestration_config.json', 'utf8'));
const section = readme.slice(readme.indexOf('## Tiers: where a request goes'), readme.indexOf('## Endpoints'));
/** The README's tier table: tier, example, handler, prices. */
const rows = [...section.matchAll(/^\| (L|M|H) \| [^|]+ \| `([^`]+)` \| ([^|]+) \| ([^|]+) \|$/gm)].map((m) => ({
  tier: m[1] as 'L' | 'M' | 'H',
  example: m[2]!,
  handler: m[3]!,
  prices: m[4]!,
}));
const price = (model: string) => {
  const p = config.models[model].pricing;
  return `$${p.input_per_million.toFixed(2)} / $${p.output_per_million.toFixed(2)}`;
};

describe('README tiers agree with the config, the heuristic and the simulator', () => {
  it('has one row per tier', () => {
    expect(rows.map((r) => r.tier)).toEqual(['L', 'M', 'H']);
  });

  it('names the model each direct tier goes to, with its configured price', () => {
    for (const row of rows.filter((r) => r.tier !== 'H')) {
      const model = config.routing.tiers[row.tier].model as string;
      expect(row.handler).toContain(`\`${model}\` directly`);
      expect(row.prices.trim()).toBe(price(model));
    }
    expect(config.routing.tiers.H.handler).toBe('workflow');
    expect(rows[2]!.prices).toContain(`planner ${price('planner')}`);
    expect(rows[2]!.prices).toContain(`finisher ${price('finisher')}`);
    expect(rows[2]!.handler).toContain(`default \`${config.routing.default_task_model}\``);
  });

  it('sorts each example into its row, by the heuristic fallback and by the simulator alike', () => {
    for (const row of rows) {
      expect(classifyHeuristically(row.example).category, row.example).toBe(row.tier);
      expect(categorize(row.example).category, row.example).toBe(row.tier);
    }
  });

  it("describes L as the config does (the seed's intent: careful reasoning, not the cheap tier)", () => {
    expect(config.routing.tiers.L.description).toMatch(/careful reasoning/);
    expect(section).toMatch(/L is \*\*not\*\* the cheap tier/);
    expect(readme).not.toMatch(/Cheap models for simple questions/);
  });
});
