import { describe, expect, it } from 'vitest';
import { classifyHeuristically } from './heuristic.js';

describe('classifyHeuristically', () => {
  it('puts a short focused question in L', () => {
    expect(classifyHeuristically('What is the derivative of x^2 sin(x)?').category).toBe('L');
    expect(classifyHeuristically('Why is the sky blue').category).toBe('L');
  });

  it('puts an everyday one-step request in M', () => {
    expect(classifyHeuristically('Write a short poem about autumn leaves.').category).toBe('M');
    expect(classifyHeuristically('Give me a friendly reminder email for a team lunch on Friday.').category).toBe('M');
  });

  it('puts a multi-step deliverable in H', () => {
    const message =
      'Research the European e-bike market, analyse the three biggest competitors, then write a full marketing strategy report with a launch plan and budget.';
    const result = classifyHeuristically(message);
    expect(result.category).toBe('H');
    expect(result.reasoning).toMatch(/multi-step/);
  });

  it('treats an explicit list of steps as multi-step', () => {
    const message = 'Please do the following for my project:\n1. outline the modules\n2. implement the parser\n3. write tests\n4. review it';
    expect(classifyHeuristically(message).category).toBe('H');
  });

  it('counts list lines in time linear in the text: a long run of blank lines does not hold the event loop', () => {
    const started = performance.now();
    const result = classifyHeuristically(`Plan it\n1. research\n\n  2. write\n- review\n${'\n \n'.repeat(100_000)}and that is all`);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(result.reasoning).toContain('3 list lines');
  });
});
