import type { Catalog } from '../config/catalog.js';
import { validationError, type ErrorDetail } from '../errors.js';
import type { ChatMessage } from '../providers/types.js';
import type { SessionStore, Turn } from '../store/types.js';
import { countMessageTokens } from './tokens.js';

/** The selected addons as system messages; an unknown addon is a 400 naming its position. */
export function addonMessages(catalog: Catalog, addons: string[] = []): ChatMessage[] {
  const problems: ErrorDetail[] = [];
  const messages: ChatMessage[] = [];
  addons.forEach((id, i) => {
    const addon = catalog.addons.get(id);
    if (addon) messages.push({ role: 'system', content: addon.prompt });
    else problems.push({ path: `addons.${i}`, message: `unknown addon '${id}'` });
  });
  if (problems.length > 0) throw validationError('unknown addon', problems);
  return messages;
}

/** The session's last `limit` turns, oldest first (none for a new session). */
export async function loadHistory(sessions: SessionStore, sessionId: string | undefined, limit: number): Promise<Turn[]> {
  if (!sessionId) return [];
  return sessions.recentTurns(sessionId, limit);
}

/**
 * The longest recent part of the history that fits in `budgetTokens`, as chat
 * messages, oldest first. Older turns are dropped first: the latest exchange
 * matters most to the next answer.
 */
export async function fitHistory(history: Turn[], budgetTokens: number): Promise<ChatMessage[]> {
  const kept: ChatMessage[] = [];
  let used = 0;
  for (let i = history.length - 1; i >= 0; i--) {
    const turn = history[i]!;
    const message: ChatMessage = { role: turn.role, content: turn.content };
    const cost = await countMessageTokens([message]);
    if (used + cost > budgetTokens) break;
    used += cost;
    kept.unshift(message);
  }
  // A history that starts with an assistant turn reads oddly to most models; start at a user turn.
  while (kept.length > 0 && kept[0]!.role === 'assistant') kept.shift();
  return kept;
}
