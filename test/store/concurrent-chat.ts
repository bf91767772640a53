import { expect } from 'vitest';
import type { TestApp } from '../helpers/app.js';

/**
 * 100 concurrent /chat calls on one session: exactly 200 turns, each user turn directly followed
 * by its own answer (a turn's two messages are one append; written in two, others land between).
 */
export async function expectCrowdedSessionIntact(t: TestApp): Promise<void> {
  const responses = await Promise.all(
    Array.from({ length: 100 }, async (_, i) => {
      const res = await fetch(`${t.url}/chat`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ message: `question number ${i}`, session_id: 'crowded', category: 'M' }),
      });
      expect(res.status).toBe(200);
      return (await res.json()) as { request_id: string };
    }),
  );
  const session = (await (await fetch(`${t.url}/session/crowded`)).json()) as { turns: { role: string; content: string; request_id: string }[] };
  expect(session.turns).toHaveLength(200);
  const asked = new Set<string>();
  for (let i = 0; i < 200; i += 2) {
    const [user, assistant] = [session.turns[i]!, session.turns[i + 1]!];
    expect(user.role).toBe('user');
    expect(assistant.role).toBe('assistant');
    expect(assistant.request_id).toBe(user.request_id);
    asked.add(user.content);
  }
  expect(asked.size).toBe(100);
  expect(new Set(responses.map((r) => r.request_id)).size).toBe(100);
}
