import type { Catalog } from '../config/catalog.js';
import { validationError, type ErrorDetail } from '../errors.js';
import type { ChatMessage } from '../providers/types.js';
import type { SessionStore, Turn } from '../store/types.js';
import { countMessageTokens, messageTokenBound } from './tokens.js';

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
 * matters most to the next answer. `exactBudget`, when given, is the true budget
 * and `budgetTokens` a lower bound of it: a history whose upper bound fits the lower
 * bound is kept whole without counting anything (the exact walk would keep it all
 * too); otherwise every turn is counted against the true budget.
 */
export async function fitHistory(history: Turn[], budgetTokens: number, exactBudget?: () => Promise<number>): Promise<ChatMessage[]> {
  const messages: ChatMessage[] = history.map((turn) => ({ role: turn.role, content: turn.content }));
  let kept: ChatMessage[] = [];
  if (messageTokenBound(messages) <= budgetTokens) kept = messages;
  else {
    const budget = exactBudget ? await exactBudget() : budgetTokens;
    let used = 0;
    for (let i = messages.length - 1; i >= 0; i--) {
      const cost = await countMessageTokens([messages[i]!]);
      if (used + cost > budget) break;
      used += cost;
      kept.unshift(messages[i]!);
    }
  }
  // A history that starts with an assistant turn reads oddly to most models; start at a user turn.
  while (kept.length > 0 && kept[0]!.role === 'assistant') kept.shift();
  return kept;
}
