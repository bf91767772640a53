import type { StatsSnapshot } from '../../src/telemetry/stats-schema.js';
import { ms, preview, usd } from './format.js';
import { ClientError, type Api } from './http.js';
import { type AddonInfo, type ModelInfo, printAddons, printModels } from './modes/catalogue.js';
import { type ChatAnswer, turnSummary } from './modes/chat.js';
import { printStats } from './modes/stats.js';
import { paint, type Output } from './output.js';

/** What the chat REPL remembers between lines. */
export interface ReplState {
  /** The server's session id once the first answer arrived; null starts a new session. */
  sessionId: string | null;
  /** Addons sent with every message. */
  addons: string[];
  /** The server's addon list, fetched once on first need. */
  catalog: AddonInfo[] | null;
}

export interface ReplDeps {
  api: Api;
  out: Output;
}

export const REPL_HELP = `Type a message to chat; the session is kept across turns. Commands:
  /stats                 server statistics
  /models                configured models
  /addons [category]     list addons (optionally one category)
  /addon add <id>        send this addon with every message
  /addon remove <id>     stop sending it
  /addons clear          send no addons
  /session               this session's history
  /new                   start a new session
  /help                  this text
  /quit                  leave (Ctrl-D works too)`;

export function newReplState(): ReplState {
  return { sessionId: null, addons: [], catalog: null };
}

/** Handles one input line; errors are printed, never thrown. Returns 'quit' when the user is done. */
export async function handleLine(line: string, state: ReplState, deps: ReplDeps): Promise<'continue' | 'quit'> {
  const text = line.trim();
  if (text === '') return 'continue';
  try {
    if (text.startsWith('/')) return await command(text, state, deps);
    await chat(text, state, deps);
  } catch (err) {
    deps.out.line(paint(deps.out, 'red', err instanceof ClientError ? err.message : `error: ${(err as Error)?.message ?? String(err)}`));
  }
  return 'continue';
}

async function command(text: string, state: ReplState, { api, out }: ReplDeps): Promise<'continue' | 'quit'> {
  const [name = '', ...args] = text.slice(1).split(/\s+/);
  switch (`${name.toLowerCase()} ${args[0] ?? ''}`.trim()) {
    case 'quit':
    case 'exit':
    case 'q':
      return 'quit';
    case 'help':
      out.line(REPL_HELP);
      break;
    case 'stats': {
      const { body } = await api.get<StatsSnapshot>('/stats');
      out.line(printStats(out, body));
      break;
    }
    case 'models': {
      const { body } = await api.get<{ models: ModelInfo[] }>('/models');
      printModels(out, body.models);
      break;
    }
    case 'addons clear':
      state.addons = [];
      out.line('addons cleared');
      break;
    case 'addon add':
    case 'addon remove':
      await changeAddon(args[0] as 'add' | 'remove', args[1], state, { api, out });
      break;
    case 'session':
      await showSession(state, { api, out });
      break;
    case 'new':
      state.sessionId = null;
      out.line('new session: the next message starts it');
      break;
    default:
      if (name.toLowerCase() === 'addons' && args.length <= 1) {
        const query = args[0] ? `?category=${encodeURIComponent(args[0])}` : '';
        const { body } = await api.get<{ addons: AddonInfo[] }>(`/addons${query}`);
        printAddons(out, body.addons);
        out.line(`selected: ${state.addons.length ? state.addons.join(', ') : 'none'}`);
      } else {
        out.line(`unknown command '${text}'; /help lists the commands`);
      }
  }
  return 'continue';
}

async function changeAddon(action: 'add' | 'remove', id: string | undefined, state: ReplState, { api, out }: ReplDeps): Promise<void> {
  if (!id) {
    out.line(`usage: /addon ${action} <id>`);
    return;
  }
  if (action === 'remove') {
    const before = state.addons.length;
    state.addons = state.addons.filter((a) => a !== id);
    out.line(state.addons.length < before ? `removed ${id}; selected: ${state.addons.join(', ') || 'none'}` : `${id} was not selected`);
    return;
  }
  if (!state.catalog) state.catalog = (await api.get<{ addons: AddonInfo[] }>('/addons')).body.addons;
  const addon = state.catalog.find((a) => a.id === id);
  if (!addon) {
    const near = state.catalog.filter((a) => a.id.includes(id) || id.includes(a.id)).map((a) => a.id);
    out.line(`no addon '${id}'${near.length ? `; did you mean ${near.slice(0, 5).join(', ')}?` : '; /addons lists them'}`);
    return;
  }
  if (!state.addons.includes(id)) state.addons.push(id);
  out.line(`added ${addon.name} (${addon.category}); selected: ${state.addons.join(', ')}`);
}

async function showSession(state: ReplState, { api, out }: ReplDeps): Promise<void> {
  if (!state.sessionId) {
    out.line('no session yet: send a message first');
    return;
  }
  const { body } = await api.get<{ session_id: string; cost_usd: number; turns: Array<Record<string, unknown>> }>(`/session/${encodeURIComponent(state.sessionId)}`);
  out.line(`session ${body.session_id}: ${body.turns.length} turns, ${usd(body.cost_usd)}`);
  for (const t of body.turns) {
    const meta = t.role === 'assistant' ? paint(out, 'dim', ` (${String(t.category ?? '-')} · ${String(t.model_used ?? '-')} · ${usd(t.cost_usd)})`) : '';
    out.line(`  ${String(t.role).padEnd(9)}${meta} ${preview(t.content, 120)}`);
  }
}

async function chat(message: string, state: ReplState, { api, out }: ReplDeps): Promise<void> {
  if (out.isTTY) out.write(paint(out, 'dim', 'thinking…'));
  let answer: ChatAnswer;
  try {
    const body: Record<string, unknown> = { message };
    if (state.sessionId) body.session_id = state.sessionId;
    if (state.addons.length) body.addons = state.addons;
    answer = (await api.post<ChatAnswer>('/chat', body)).body;
  } finally {
    if (out.isTTY) out.write('\r\u001b[2K');
  }
  state.sessionId = answer.session_id ?? state.sessionId;
  out.line(`${paint(out, 'cyan', `${answer.model_used}>`)} ${answer.response}`);
  for (const m of answer.media ?? []) out.line(`  [${m.type}] ${m.url ?? `${m.mime_type ?? ''} data URI`}`);
  const wf = answer.workflow;
  if (wf?.run) {
    const done = wf.run.tasks.filter((t) => t.status === 'completed').length;
    out.line(paint(out, 'dim', `  workflow ${wf.plan?.name ?? ''}: ${done}/${wf.run.tasks.length} tasks completed, run ${wf.run.status} in ${ms(wf.run.duration_ms)}`));
  } else if (wf?.fallback_reason) {
    out.line(paint(out, 'dim', `  no workflow: ${wf.fallback_reason}`));
  }
  out.line(paint(out, 'dim', `${turnSummary(answer)} session ${state.sessionId}`));
}
