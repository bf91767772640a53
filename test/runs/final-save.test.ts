import { afterEach, describe, expect, it } from 'vitest';
import type { Gateway, GatewayRequest, GatewayResult } from '../../src/gateway/types.js';
import type { RunResult, Workflow } from '../../src/orchestrator/workflow/types.js';
import { isFinalStatus } from '../../src/orchestrator/workflow/types.js';
import { createMemoryStores } from '../../src/store/memory.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { gatewayResult } from '../orchestrator/scripted-gateway.js';

let app: TestApp | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

/** Answers each call from a timer, so the run goes on in the timers phase of a later turn, as real answers do (I/O). */
const timedGateway = (): Gateway => ({
  call: (req: GatewayRequest) =>
    new Promise<GatewayResult>((resolve) => setTimeout(() => resolve(gatewayResult(`answer to ${String(req.messages.at(-1)?.content)}`, req.model)), 1)),
  stream: () => {
    throw new Error('not streamed here');
  },
  circuitState: () => 'closed',
  health: async () => ({ models: {}, providers: {} }),
  close: async () => undefined,
});

const workflow: Workflow = {
  name: 'final_save',
  inputs: {},
  linear_queue: [
    { id: 'a', prompt: 'first', type: 'text', optional: false },
    { id: 'b', prompt: 'second', type: 'text', optional: false },
  ],
  inline_queue: [{ id: 'c', prompt: 'join {{a}} and {{b}}', type: 'text', optional: false }],
};

interface Read {
  status: RunResult['status'];
  finished_at: string | null;
  output: string | null;
  final: boolean;
  /** Whether the store had been given the run's final record when this read was made. */
  finalSaved: boolean;
}

describe('the final save of a run (memory store, which holds a running run\'s live record)', () => {
  it('is the first thing that shows the final status, finished_at and output: a read every turn never sees them earlier, nor a mixed record', async () => {
    const stores = createMemoryStores();
    const ids: string[] = [];
    const finalSaved = new Set<string>();
    const { create, save } = stores.runs;
    stores.runs.create = (run, spec) => {
      ids.push(run.run_id);
      return create(run, spec);
    };
    stores.runs.save = (run, outbox) => {
      if (isFinalStatus(run.status)) finalSaved.add(run.run_id);
      return save(run, outbox);
    };
    app = await startTestApp({ stores, gateway: timedGateway() });

    const reads: Read[] = [];
    let polling = true;
    // One read per event-loop turn (check phase), made synchronously: the memory store reads before its first await.
    const poll = (): void => {
      for (const id of ids) {
        const saved = finalSaved.has(id);
        void stores.runs.get(id).then(
          (r) => r && reads.push({ status: r.status, finished_at: r.finished_at, output: r.output, final: isFinalStatus(r.status), finalSaved: saved }),
          () => undefined, // the store closed after the last run (afterEach)
        );
      }
      if (polling) setImmediate(poll);
    };
    setImmediate(poll);
    const runs = await Promise.all(
      Array.from({ length: 5 }, (_, i) => app!.app.ctx.orchestrator.runWorkflow(workflow, {}, { request_id: `final-save-${i}`, signal: new AbortController().signal })),
    );
    polling = false;
    poll();
    await new Promise((resolve) => setImmediate(resolve));

    expect(runs.map((r) => r.status)).toEqual(Array(5).fill('completed'));
    expect(reads.some((r) => r.status === 'running')).toBe(true);
    expect(reads.some((r) => r.status === 'completed')).toBe(true);
    for (const read of reads) {
      // Final fields appear together, and only once the final record was handed to the store.
      expect(read.finished_at !== null).toBe(read.final);
      expect(read.output !== null).toBe(read.final);
      if (read.final) expect(read.finalSaved).toBe(true);
    }
  });
});
