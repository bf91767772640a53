/**
 * In-process listeners per run, for drivers whose log lives in this process's
 * reach only (memory, SQLite: one server per data directory). Bounded by the
 * open event streams: a run's entry goes when its last watcher leaves.
 */
export class LocalWatchers {
  private readonly byRun = new Map<string, Set<() => void>>();

  watch(runId: string, onAppend: () => void): () => void {
    let set = this.byRun.get(runId);
    if (!set) this.byRun.set(runId, (set = new Set()));
    set.add(onAppend);
    return () => {
      set.delete(onAppend);
      if (set.size === 0 && this.byRun.get(runId) === set) this.byRun.delete(runId);
    };
  }

  notify(runId: string): void {
    for (const fn of [...(this.byRun.get(runId) ?? [])]) fn();
  }
}

