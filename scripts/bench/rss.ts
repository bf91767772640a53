import { readFileSync } from 'node:fs';

/** Resident set size of a process in MiB, from /proc/<pid>/status (VmRSS); null where /proc is missing. */
export function rssMiB(pid: number): number | null {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : null;
  } catch {
    return null;
  }
}

export interface RssSummary {
  samples: number;
  meanMiB: number | null;
  maxMiB: number | null;
}

/** Samples a process's RSS every `intervalMs` until `stop()` returns the summary. */
export function sampleRss(pid: number, intervalMs = 200): { stop(): RssSummary } {
  const values: number[] = [];
  const take = () => {
    const v = rssMiB(pid);
    if (v !== null) values.push(v);
  };
  take();
  const timer = setInterval(take, intervalMs);
  return {
    stop: () => {
      clearInterval(timer);
      take();
      return {
        samples: values.length,
        meanMiB: values.length ? values.reduce((a, b) => a + b, 0) / values.length : null,
        maxMiB: values.length ? Math.max(...values) : null,
      };
    },
  };
}
