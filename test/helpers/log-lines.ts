import { Writable } from 'node:stream';

/**
 * A pino destination that keeps each JSON line written to it, and lets a test wait for the line it
 * expects: a request's 'request completed' line is written as the response finishes, which may be
 * after the client has read the answer. Waiting on the write itself, not a pause, keeps that ordering
 * from racing on a loaded machine; a line that never comes fails by the test's timeout.
 */
export interface LogLines {
  sink: Writable;
  lines: Record<string, any>[];
  /** Resolves with the first line (already written or yet to come) matching `match`. */
  lineWhere(match: (line: Record<string, any>) => boolean): Promise<Record<string, any>>;
}

export function logLines(): LogLines {
  const lines: Record<string, any>[] = [];
  const waiters = new Set<() => void>();
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, any>);
      for (const wake of [...waiters]) wake();
      done();
    },
  });
  const lineWhere = (match: (line: Record<string, any>) => boolean) =>
    new Promise<Record<string, any>>((resolve) => {
      const check = () => {
        const line = lines.find(match);
        if (!line) return;
        waiters.delete(check);
        resolve(line);
      };
      waiters.add(check);
      check();
    });
  return { sink, lines, lineWhere };
}
