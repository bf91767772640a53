import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunResult } from '../../src/orchestrator/workflow/types.js';
import type { Turn } from '../../src/store/types.js';

export const turn = (role: Turn['role'], content: string, created_at: string, extra: Partial<Turn> = {}): Turn => ({
  role,
  content,
  category: role === 'user' ? null : 'M',
  model_used: role === 'user' ? null : 'medium_ai',
  run_id: null,
  request_id: `req-${content}`,
  cost_usd: role === 'user' ? 0 : 0.001,
  created_at,
  ...extra,
});

/** A user turn and its answer, as one chat request appends them. */
export const pair = (n: number, at: string): Turn[] => [turn('user', `q${n}`, at), turn('assistant', `a${n}`, at)];

export const run = (run_id: string, started_at: string, extra: Partial<RunResult> = {}): RunResult => ({
  run_id,
  workflow: 'research_report',
  status: 'completed',
  output: 'done',
  variables: { market: 'big' },
  tasks: [
    {
      id: 'market',
      queue: 'linear',
      status: 'completed',
      model_used: 'medium_ai',
      fallback_used: false,
      attempts: [{ replica: 'r1', started_at, status: 'completed' }],
      calls: 1,
      replica: 'r1',
      started_at,
      duration_ms: 12,
      usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
      cost_usd: 0.002,
      error: null,
    },
  ],
  failure_report: null,
  usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
  cost_usd: 0.002,
  duration_ms: 20,
  started_at,
  finished_at: started_at,
  session_id: null,
  media: [],
  simulated: true,
  resumed: 0,
  cancelled_by: null,
  ...extra,
});

/** A fresh temporary directory and its cleanup. */
export function tempDir(): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'mo-store-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
