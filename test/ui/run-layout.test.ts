import { describe, expect, it } from 'vitest';
import { layoutRun, type LayoutTask } from '../../ui/src/components/run-layout.js';

const task = (id: string, queue: 'linear' | 'inline', references: string[], output_variable = id): LayoutTask => ({ id, queue, references, output_variable });

describe("the run graph's layout (dagre)", () => {
  const tasks = [
    task('a', 'linear', ['topic']),
    task('b', 'linear', ['topic']),
    task('c', 'linear', []),
    task('draft', 'inline', ['a', 'b', 'c'], 'text'),
    task('polish', 'inline', ['text']),
    task('tail', 'inline', []),
  ];
  const placed = layoutRun(tasks);
  const node = (id: string) => placed.nodes.find((n) => n.kind === 'task' && n.id === id)!;

  it('puts the linear tasks side by side and the inline tasks below them, one under another in order', () => {
    expect(new Set(['a', 'b', 'c'].map((id) => node(id).y)).size).toBe(1);
    expect(node('draft').y).toBeGreaterThan(node('a').y);
    expect(node('polish').y).toBeGreaterThan(node('draft').y);
    expect(node('tail').y).toBeGreaterThan(node('polish').y);
    for (const n of placed.nodes) {
      expect(n.x - n.width / 2).toBeGreaterThanOrEqual(0);
      expect(n.x + n.width / 2).toBeLessThanOrEqual(placed.width);
    }
  });

  it('draws one arrow per variable from what provides it (a task, or an input) and a dashed order arrow only where none joins two inline tasks', () => {
    const arrows = placed.edges.map((e) => [e.key.split('>')[0], e.key.split('>')[1], e.variable]);
    expect(arrows).toEqual(
      expect.arrayContaining([
        ['input:topic', 'task:a', 'topic'],
        ['input:topic', 'task:b', 'topic'],
        ['task:a', 'task:draft', 'a'],
        ['task:c', 'task:draft', 'c'],
        ['task:draft', 'task:polish', 'text'],
        ['task:polish', 'task:tail', null],
      ]),
    );
    expect(arrows.filter(([from, to]) => from === 'task:draft' && to === 'task:polish')).toHaveLength(1);
    // The layout-only edges that keep the inline queue below are not drawn.
    expect(arrows.filter(([from, to]) => from === 'task:c' && to === 'task:draft')).toHaveLength(1);
    expect(placed.edges.every((e) => e.points.length >= 2)).toBe(true);
  });
});
