import { messageText } from '../content.js';
import type { ChatMessage } from '../types.js';
import { opsAnswer } from './ops-answer.js';

/**
 * What the simulator says: deterministic functions of the request. JSON answers are
 * shaped for the callers that ask for JSON — the categorizer (`{category, reasoning}`),
 * the planner (a small valid workflow) and the admin's plain-words ops (an action) — so
 * the product works end to end offline.
 */

const MULTI_STEP_VERBS = /\b(write|create|build|design|plan|draft|develop|produce|generate|research|compose|prepare|outline|campaign|series|report|strategy)\b/i;
const REASONING_CUES = /^(why|how|what|which|when|who|is|are|can|does|do|should|calculate|solve|prove|compare|explain|estimate)\b|\?\s*$/i;

/** L (short, focused question), M (everyday request) or H (multi-step deliverable), from length and verbs. */
export function categorize(message: string): { category: 'L' | 'M' | 'H'; reasoning: string } {
  const text = message.trim();
  const steps = /\b(and then|then|after that|step|steps|also)\b|\n\s*[-*\d]/i.test(text);
  if (text.length > 600 || (MULTI_STEP_VERBS.test(text) && (text.length > 150 || steps))) {
    return { category: 'H', reasoning: 'simulated: a multi-step deliverable (long request or several production steps)' };
  }
  if (text.length < 200 && REASONING_CUES.test(text)) {
    return { category: 'L', reasoning: 'simulated: a short, focused question' };
  }
  return { category: 'M', reasoning: 'simulated: an everyday request answered in one step' };
}

/** Workflow field names, which prompts also list as `- name: ...` but are not model keys. */
const FIELD_NAMES = new Set(['name', 'description', 'inputs', 'linear_queue', 'inline_queue', 'output', 'id', 'prompt', 'model', 'system', 'addons', 'type', 'images', 'max_tokens', 'temperature', 'timeout_s', 'optional', 'required', 'default']);

/**
 * Model keys the planner's system prompt lists as `- key: ...` items, text-capable ones
 * first. Under a heading mentioning models (`Available models:`) only that list counts.
 */
export function listedModels(system: string): string[] {
  let lines = system.split('\n');
  const heading = lines.findIndex((l) => /\bmodels?\b[^:]*:\s*$/i.test(l));
  if (heading >= 0) {
    const rest = lines.slice(heading + 1);
    const end = rest.findIndex((l, i) => i > 0 && l.trim() === '');
    lines = end >= 0 ? rest.slice(0, end) : rest;
  }
  const found: Array<{ key: string; media: boolean }> = [];
  for (const line of lines) {
    const match = /^\s*(?:[-*•]|\d+[.)])?\s*[`"']?([a-z][a-z0-9_]*)[`"']?\s*(?:[:(—–]|\s-\s)/.exec(line);
    if (!match || FIELD_NAMES.has(match[1]!) || found.some((f) => f.key === match[1])) continue;
    const media = /image_generation|video_generation/.test(line) && !/\btext\b/.test(line);
    found.push({ key: match[1]!, media });
  }
  return [...found.filter((f) => !f.media), ...found.filter((f) => f.media)].map((f) => f.key);
}

/** A small, valid workflow: two parallel tasks, one that merges both outputs, and its output. */
export function plan(system: string, request: string): Record<string, unknown> {
  const subject = request.replace(/\{\{|\}\}/g, '').replace(/\s+/g, ' ').trim().slice(0, 300) || 'the request';
  const models = listedModels(system).filter((k) => !/^(categorizer|planner|finisher|failure_reporter)$/.test(k));
  const [first, second] = [models[0] ?? 'medium_ai', models[1] ?? models[0] ?? 'medium_ai'];
  return {
    name: 'simulated_plan',
    description: 'A simulated plan: gather, outline, then merge.',
    linear_queue: [
      { id: 'key_points', prompt: `List the key points to cover for: ${subject}`, model: first, output: 'key_points' },
      { id: 'outline', prompt: `Draft a short outline for: ${subject}`, model: second, output: 'outline' },
    ],
    inline_queue: [
      {
        id: 'final',
        prompt: `Write the final answer for: ${subject}\n\nKey points:\n{{key_points}}\n\nOutline:\n{{outline}}`,
        model: first,
        output: 'final',
      },
    ],
    output: 'final',
  };
}

export const systemText = (messages: ChatMessage[]): string =>
  messages
    .filter((m) => m.role === 'system')
    .map((m) => messageText(m.content))
    .join('\n');

/** The JSON answer for a request that asked for JSON. */
export function jsonAnswer(messages: ChatMessage[], lastUser: string): string {
  const system = systemText(messages);
  const lower = system.toLowerCase();
  if (lower.includes('config operations')) return JSON.stringify(opsAnswer(system, lastUser));
  if (lower.includes('workflow') && lower.includes('linear_queue')) return JSON.stringify(plan(system, lastUser));
  if (lower.includes('categor')) return JSON.stringify(categorize(lastUser));
  return JSON.stringify({ answer: `[simulated] ${lastUser.slice(0, 200)}` });
}

/** A readable text answer: the prefix, then what was asked, summarised. */
export function textAnswer(model: string, messages: ChatMessage[], lastUser: string): string {
  const images = messages.reduce((n, m) => n + (Array.isArray(m.content) ? m.content.filter((p) => p.type === 'image_url').length : 0), 0);
  const excerpt = lastUser.replace(/\s+/g, ' ').trim();
  const shown = excerpt.length > 280 ? `${excerpt.slice(0, 280)}…` : excerpt;
  const parts = [
    `[simulated ${model}] You asked: "${shown}".`,
    images > 0 ? `${images} image${images > 1 ? 's were' : ' was'} attached.` : '',
    `This answer was produced offline by the simulator (no API key is configured for this provider), from ${messages.length} message${messages.length === 1 ? '' : 's'} and about ${excerpt.split(' ').filter(Boolean).length} words of request.`,
  ];
  return parts.filter(Boolean).join(' ');
}

/**
 * The continuation of `full` after `prefill` when the prefill is its beginning (ignoring
 * whitespace differences, so `{"category": "` continues `{"category":"M",...}`).
 */
export function continuation(full: string, prefill: string): string | undefined {
  let i = 0;
  for (const ch of prefill) {
    if (/\s/.test(ch)) continue;
    while (i < full.length && /\s/.test(full[i]!)) i++;
    if (full[i] !== ch) return undefined;
    i++;
  }
  return full.slice(i);
}
