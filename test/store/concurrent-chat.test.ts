import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createMemoryStores } from '../../src/store/memory.js';
import { createSqliteStores } from '../../src/store/sqlite.js';
import type { Stores } from '../../src/store/types.js';
import { startTestApp } from '../helpers/app.js';

const drivers: [string, () => { stores: Stores; cleanup: () => void }][] = [
  ['memory', () => ({ stores: createMemoryStores(), cleanup: () => undefined })],
  [
    'sqlite',
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'mo-chat-'));
      return { stores: createSqliteStores(join(dir, 'orchestrator.db')), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
    },
  ],
];

describe.each(drivers)('100 concurrent /chat calls on one session (%s store)', (_name, open) => {
  it('leave exactly 200 turns, each user turn directly followed by its own answer', async () => {
    const { stores, cleanup } = open();
    const t = await startTestApp({ stores });
    try {
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
    } finally {
      await t.close();
      cleanup();
    }
  });
});
