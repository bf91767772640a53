import type { DriftBaselineRecord, DriftBaselineStore } from './drift-types.js';

/** Baselines in process memory (tests, STORE_DRIVER=memory): they last as long as the process. */
export function createMemoryDriftStore(): DriftBaselineStore {
  const baselines = new Map<string, DriftBaselineRecord>();
  return {
    async list() {
      return [...baselines.values()].map((b) => structuredClone(b));
    },
    async claim(record) {
      const key = `${record.subject}\n${record.stream}`;
      const held = baselines.get(key);
      if (!held || held.version !== record.version) baselines.set(key, structuredClone(record));
      return structuredClone(baselines.get(key)!);
    },
  };
}
