import { describe, expect, it } from 'vitest';
import { bufferOutput } from '../../scripts/test-client/output.js';
import { ProgressDisplay } from '../../scripts/test-client/progress.js';
import { toRunEvent } from '../../scripts/test-client/run-events.js';
import type { SseEvent } from '../../scripts/test-client/sse.js';

const sse = (event: string, data: unknown): SseEvent => ({ event, data: JSON.stringify(data) });

describe('run events', () => {
  it('reads task events that carry the task record', () => {
    expect(toRunEvent(sse('task_started', { run_id: 'r', task: { id: 'outline', model_used: 'thinking_ai' } }))).toEqual({
      kind: 'task_started',
      task: 'outline',
      model: 'thinking_ai',
    });
    expect(toRunEvent(sse('task_completed', { run_id: 'r', task: { id: 'outline', model_used: 'fast_ai', duration_ms: 42 } }))).toEqual({
      kind: 'task_completed',
      task: 'outline',
      model: 'fast_ai',
      durationMs: 42,
    });
    expect(toRunEvent(sse('task_failed', { run_id: 'r', task: { id: 'x', error: { kind: 'timeout', message: 'too slow' } } }))).toEqual({
      kind: 'task_failed',
      task: 'x',
      message: 'timeout: too slow',
    });
  });

  it('reads task events with flat fields too', () => {
    expect(toRunEvent(sse('task_started', { run_id: 'r', task_id: 'draft', model: 'medium_ai' }))).toMatchObject({ task: 'draft', model: 'medium_ai' });
  });

  it('reads token deltas, the completed body and the error body', () => {
    expect(toRunEvent(sse('token', { delta: 'Hi' }))).toEqual({ kind: 'token', text: 'Hi' });
    expect(toRunEvent(sse('completed', { run_id: 'r', status: 'completed' }))).toEqual({ kind: 'completed', body: { run_id: 'r', status: 'completed' } });
    expect(toRunEvent(sse('error', { error: { type: 'timeout', message: 'run timed out' } }))).toMatchObject({ kind: 'error', message: 'timeout: run timed out' });
  });
});

describe('progress display', () => {
  it('prints one plain line per change when the output is not a TTY', () => {
    let now = 1_000;
    const out = bufferOutput();
    const display = new ProgressDisplay(out, 'report', { now: () => now });
    display.handle({ kind: 'task_started', task: 'background', model: 'medium_ai' });
    now += 1_500;
    display.handle({ kind: 'task_completed', task: 'background', model: 'medium_ai', durationMs: null });
    display.handle({ kind: 'task_started', task: 'draft', model: null });
    display.handle({ kind: 'task_failed', task: 'draft', message: 'upstream_error: all models failed' });
    display.handle({ kind: 'token', text: 'x' });
    display.handle({ kind: 'completed', body: { status: 'partial' } });
    display.stop();
    expect(out.text().split('\n').filter(Boolean)).toEqual([
      'report: started',
      '  … background started (medium_ai)',
      '  ✓ background 1.5 s (medium_ai)',
      '  … draft started',
      '  ✗ draft 0 ms: upstream_error: all models failed',
      'report: ✓ partial in 1.5 s, answer streamed in 1 tokens',
    ]);
  });

  it('redraws the task block in place on a TTY, one line per task, with the server-reported duration', () => {
    const out = bufferOutput({ isTTY: true });
    const display = new ProgressDisplay(out, 'report', { now: () => 0, animate: false });
    display.handle({ kind: 'task_started', task: 'a', model: 'fast_ai' });
    display.handle({ kind: 'task_started', task: 'b', model: 'medium_ai' });
    display.handle({ kind: 'task_completed', task: 'a', model: 'fast_ai', durationMs: 250 });
    display.stop();
    const lines = display.lines();
    expect(lines).toHaveLength(3);
    expect(lines[1]).toMatch(/✓ a +fast_ai +250 ms/);
    expect(lines[2]).toMatch(/⠋ b +medium_ai/);
    // Each redraw moves the cursor up over the previous block instead of appending.
    expect(out.text()).toContain('\u001b[3A');
    expect(out.text()).not.toContain('started (');
  });

  it('keeps the number of drawn lines stable so stale lines are overwritten', () => {
    const out = bufferOutput({ isTTY: true });
    const display = new ProgressDisplay(out, 't', { now: () => 0, animate: false });
    display.handle({ kind: 'task_started', task: 'a', model: null });
    display.handle({ kind: 'token', text: 'x' });
    display.handle({ kind: 'completed', body: { status: 'completed' } });
    display.stop();
    const draws = out.text().split('\u001b[').filter((s) => /^\d+A/.test(s)).map((s) => Number.parseInt(s, 10));
    expect(draws.at(-1)).toBe(3);
  });
});
