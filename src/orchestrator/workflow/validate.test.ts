import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/load.js';
import { WorkflowSchema } from './types.js';
import { validateWorkflowDefinition } from './validate.js';

const { config } = loadConfig({}, 'orchestration_config.json');
const addonIds = new Set(['risk_analyst', 'copy_editor']);
const wf = (raw: unknown) => WorkflowSchema.parse(raw);

describe('validateWorkflowDefinition', () => {
  it('accepts the example workflow of API.md', () => {
    const problems = validateWorkflowDefinition(
      wf({
        name: 'competitor_brief',
        inputs: { company: { required: true } },
        linear_queue: [
          { id: 'market', model: 'medium_ai', prompt: 'Summarise the market of {{company}}.', output: 'market' },
          { id: 'risks', model: 'thinking_ai', addons: ['risk_analyst'], prompt: 'List the risks facing {{company}}.' },
        ],
        inline_queue: [
          { id: 'draft', model: 'medium_ai', prompt: 'Write a brief from {{market}} and {{risks}}.', output: 'brief' },
          { id: 'polish', model: 'fast_ai', prompt: 'Tighten this brief: {{brief}}', output: 'final' },
        ],
        output: 'final',
      }),
      { config, addonIds, variables: { company: 'ACME' } },
    );
    expect(problems).toEqual([]);
  });

  it('lists every problem with its path', () => {
    const problems = validateWorkflowDefinition(
      wf({
        inputs: { topic: { required: true } },
        linear_queue: [
          { id: 'a', model: 'gpt9', prompt: 'about {{topic}} and {{b_out}}' },
          { id: 'a', prompt: 'x', addons: ['nope'] },
          { id: 'b', prompt: '{{nothing}}', output: 'b_out' },
          { id: 'c', prompt: 'x', output: 'topic' },
          { id: 'img', prompt: 'x', type: 'image', model: 'medium_ai' },
        ],
        inline_queue: [
          { id: 'd', prompt: '{{f}} and {{a}}' },
          { id: 'e', prompt: '{{d}}', output: 'b_out' },
          { id: 'f', prompt: '{{d}}' },
        ],
        output: 'unknown_var',
      }),
      { config, addonIds, variables: { extra: 'fine' } },
    );
    const byPath = problems.map((p) => `${p.path}: ${p.message}`);
    expect(byPath).toEqual(
      expect.arrayContaining([
        "linear_queue.0.model: unknown model 'gpt9'",
        "linear_queue.1.id: duplicate task id 'a'",
        "linear_queue.1.addons.0: unknown addon 'nope'",
        "linear_queue.3.output: output 'topic' collides with the input of the same name",
        "inline_queue.1.output: duplicate output name 'b_out'",
        "linear_queue.2.prompt: undefined variable 'nothing'",
        "output: output 'unknown_var' names no input and no task output",
        'variables.topic: missing required input \'topic\'',
      ]),
    );
    expect(byPath.find((p) => p.startsWith('linear_queue.0.prompt'))).toMatch(/'b_out' is not available to a linear task/);
    expect(byPath.find((p) => p.startsWith('inline_queue.0.prompt'))).toMatch(/'f' is not available yet/);
    expect(byPath.find((p) => p.startsWith('linear_queue.4.type'))).toMatch(/lacks the 'image_generation' capability/);
  });

  it('lets an inline task read inputs, every linear output and earlier inline outputs', () => {
    const problems = validateWorkflowDefinition(
      wf({
        inputs: { q: {} },
        linear_queue: [{ id: 'l1', prompt: '{{q}}' }, { id: 'l2', prompt: '{{q}}' }],
        inline_queue: [{ id: 'i1', prompt: '{{l1}} {{l2}} {{q}}' }, { id: 'i2', prompt: '{{i1}} {{l2}}' }],
      }),
      { config, addonIds },
    );
    expect(problems).toEqual([]);
  });

  it('rejects empty queues, too many tasks and oversized prompts and variables', () => {
    const small = { ...config, limits: { ...config.limits, max_tasks_per_workflow: 2, max_prompt_chars: 5, max_variable_chars: 3 } };
    expect(validateWorkflowDefinition(wf({}), { config, addonIds })).toEqual([
      { path: 'linear_queue', message: expect.stringMatching(/both empty/) },
    ]);
    const problems = validateWorkflowDefinition(
      wf({ linear_queue: [{ id: 'a', prompt: 'x' }, { id: 'b', prompt: 'x' }, { id: 'c', prompt: 'too long prompt' }] }),
      { config: small, addonIds, variables: { v: 'long value' } },
    );
    expect(problems.map((p) => p.path)).toEqual(expect.arrayContaining(['linear_queue', 'linear_queue.2.prompt', 'variables.v']));
  });

  it('skips required-input checks when no variables are given, and accepts defaults', () => {
    const def = wf({ inputs: { a: { required: true }, b: { required: true, default: 'x' } }, linear_queue: [{ id: 't', prompt: '{{a}}{{b}}' }] });
    expect(validateWorkflowDefinition(def, { config, addonIds })).toEqual([]);
    expect(validateWorkflowDefinition(def, { config, addonIds, variables: {} }).map((p) => p.path)).toEqual(['variables.a']);
  });

  it('checks a vision task has a vision model and acceptable images', () => {
    const problems = validateWorkflowDefinition(
      wf({
        linear_queue: [
          { id: 'v', type: 'vision', model: 'image_analysis', prompt: 'x', images: ['http://example.com/a.png', 'https://example.com/b.png'] },
          { id: 'w', type: 'vision', model: 'medium_ai', prompt: 'x' },
          { id: 't', prompt: 'x', images: ['https://example.com/a.png'] },
        ],
      }),
      { config, addonIds },
    );
    expect(problems.map((p) => p.path)).toEqual(['linear_queue.0.images.0', 'linear_queue.1.type', 'linear_queue.2.images']);
  });
});

describe('variables and filters given to a workflow', () => {
  const report = wf({
    inputs: { topic: { required: true }, audience: {} },
    linear_queue: [{ id: 'a', model: 'medium_ai', prompt: 'Write about {{ topic | trim | upper }} for {{audience|lower}}.' }],
  });

  it('rejects a misspelled variable, naming it and the closest declared input', () => {
    const problems = validateWorkflowDefinition(report, { config, addonIds, variables: { tpoic: 'owls', topic: 'owls' } });
    expect(problems).toEqual([{ path: 'variables.tpoic', message: "unknown variable 'tpoic'; did you mean 'topic'?" }]);
  });

  it('says so when the workflow declares no inputs at all', () => {
    const problems = validateWorkflowDefinition(wf({ linear_queue: [{ id: 'a', prompt: 'hi' }] }), { config, addonIds, variables: { x: '1' } });
    expect(problems).toEqual([{ path: 'variables.x', message: "unknown variable 'x'; this workflow declares no inputs" }]);
  });

  it('accepts the documented filters and rejects any other, naming the placeholder and the filters', () => {
    expect(validateWorkflowDefinition(report, { config, addonIds, variables: { topic: 'owls' } })).toEqual([]);
    const problems = validateWorkflowDefinition(
      wf({ inputs: { x: {} }, linear_queue: [{ id: 'a', prompt: 'say {{x|shout}}', system: '{{ x | upper | title }}' }] }),
      { config, addonIds },
    );
    expect(problems).toEqual([
      { path: 'linear_queue.0.prompt', message: "unknown filter 'shout' in {{x|shout}}; the filters are upper, lower, trim" },
      { path: 'linear_queue.0.system', message: "unknown filter 'title' in {{ x | upper | title }}; the filters are upper, lower, trim" },
    ]);
  });
});
