import type { AppEventBus, AppEvents } from '../events.js';

type OnRetry = (event: AppEvents['retry']) => void;

/**
 * The bus's `retry` events, routed to the run whose call retried (the event's `context.run_id`):
 * one bus listener for every run a run engine drives, made with the engine. A listener per run made
 * each retry event visit every run in flight, and each run's end search the bus's listener list.
 */
export class RunRetries {
  private readonly byRun = new Map<string, OnRetry>();

  constructor(bus: AppEventBus) {
    bus.on('retry', (event) => {
      const runId = event.context.run_id;
      if (runId !== undefined) this.byRun.get(runId)?.(event);
    });
  }

  /** Hands `onRetry` the retry events of run `runId` until the returned stop is called. */
  follow(runId: string, onRetry: OnRetry): () => void {
    this.byRun.set(runId, onRetry);
    return () => {
      if (this.byRun.get(runId) === onRetry) this.byRun.delete(runId);
    };
  }
}
