import { Counter, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { CounterTally } from './counter-tally.js';

describe('CounterTally', () => {
  it('exports what prom-client counters fed one increment at a time would, series in first-seen order', async () => {
    const tallied = new Registry();
    const direct = new Registry();
    const tally = new CounterTally(['route', 'method', 'status'] as const);
    new Counter({ name: 'req_total', help: 'h', labelNames: ['route', 'method', 'status'] as const, registers: [tallied], collect() {
      tally.writeTo(this);
    } });
    const plain = new Counter({ name: 'req_total', help: 'h', labelNames: ['route', 'method', 'status'] as const, registers: [direct] });
    const one = new CounterTally(['outcome'] as const);
    new Counter({ name: 'one_total', help: 'h', labelNames: ['outcome'] as const, registers: [tallied], collect() {
      one.writeTo(this);
    } });
    const onePlain = new Counter({ name: 'one_total', help: 'h', labelNames: ['outcome'] as const, registers: [direct] });
    const calls: Array<[number, string, string, number]> = [
      [1, '/v1/chat/completions', 'POST', 200],
      [1, '/health', 'GET', 200],
      [2.5, '/v1/chat/completions', 'POST', 200],
      [0, '/v1/chat/completions', 'POST', 400],
      [1, '/health', 'GET', 503],
    ];
    for (const [by, route, method, status] of calls) {
      tally.inc(by, route, method, status);
      plain.inc({ route, method, status: String(status) }, by);
    }
    for (const outcome of ['bypass', 'hit', 'bypass']) {
      one.inc(1, outcome);
      onePlain.inc({ outcome });
    }
    expect(await tallied.metrics()).toBe(await direct.metrics());
    // A scrape writes the totals, not a second copy of them.
    expect(await tallied.metrics()).toBe(await direct.metrics());
    expect(() => tally.inc(-1, '/x', 'GET', 200)).toThrow(TypeError);
    expect(() => tally.inc(Number.NaN, '/x', 'GET', 200)).toThrow(TypeError);
  });
});
