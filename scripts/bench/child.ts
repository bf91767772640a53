import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { builtScript } from './build-dirs.js';

/**
 * The bench runs the fake provider, the server and the bare proxy each in a
 * child process, so the load generator (in the parent) and the two ends of a
 * proxied call do not share one event loop. A child prints one JSON line on
 * stdout when it listens (`{url, pid, ...}`) and answers commands over the
 * IPC channel: `{id, cmd, args}` → `{id, ok, result | error}`.
 */

/** The first stdout line of a bench child: where it listens, and anything else it reports. */
export interface ChildInfo {
  url: string;
  pid: number;
  [key: string]: unknown;
}

export interface BenchChild {
  info: ChildInfo;
  pid: number;
  /** Sends a command to the child and resolves with its answer. */
  send<T = unknown>(cmd: string, args?: unknown): Promise<T>;
  /** Asks the child to exit (SIGTERM), SIGKILL after `graceMs`; resolves when it has gone. */
  stop(graceMs?: number): Promise<void>;
}

interface Reply {
  id: number;
  ok: boolean;
  result?: unknown;
  error?: string;
}

export interface StartChildOptions {
  /** Extra node flags before the script (e.g. `--cpu-prof`). */
  nodeFlags?: string[];
  /** Passed to the child as the BENCH_CHILD_OPTS environment variable (JSON). */
  options?: unknown;
  /** Longest wait for the child's first line. */
  startTimeoutMs?: number;
  /** The build to run it from (build.ts: BUILD_DIR, or BASELINE_DIR for the baseline server). */
  root?: string;
}

/**
 * Starts the built `scripts/bench/<script>` (see build.ts: plain node, no tsx, as production
 * runs) and waits for the line saying where it listens.
 */
export async function startChild(script: string, opts: StartChildOptions = {}): Promise<BenchChild> {
  const child = spawn(process.execPath, [...(opts.nodeFlags ?? []), builtScript(script, opts.root)], {
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    env: { ...process.env, BENCH_CHILD_OPTS: JSON.stringify(opts.options ?? {}) },
  });
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('exit', (code, signal) => {
    exited = true;
    for (const p of pending.values()) p.reject(new Error(`${script} exited (${code ?? signal}) with a command pending`));
    pending.clear();
  });
  child.on('message', (raw) => {
    const reply = raw as Reply;
    const p = pending.get(reply.id);
    if (!p) return;
    pending.delete(reply.id);
    if (reply.ok) p.resolve(reply.result);
    else p.reject(new Error(`${script}: ${reply.error ?? 'command failed'}`));
  });

  const info = await firstLine(child, script, opts.startTimeoutMs ?? 30_000);
  return {
    info,
    pid: child.pid!,
    send: <T>(cmd: string, args?: unknown) =>
      new Promise<T>((resolve, reject) => {
        if (exited) return reject(new Error(`${script} has exited`));
        const id = nextId++;
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
        child.send({ id, cmd, args });
      }),
    stop: async (graceMs = 10_000) => {
      if (exited) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exit;
      clearTimeout(timer);
    },
  };
}

function firstLine(child: ChildProcess, script: string, timeoutMs: number): Promise<ChildInfo> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${script} did not report its address within ${timeoutMs} ms`));
    }, timeoutMs);
    const onExit = (code: number | null) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited (${code}) before reporting its address`));
    };
    child.once('exit', onExit);
    lines.on('line', (line) => {
      try {
        const info = JSON.parse(line) as ChildInfo;
        if (typeof info.url !== 'string') return;
        clearTimeout(timer);
        child.off('exit', onExit);
        resolve(info);
      } catch {
        // A stray line (a library's console output) is passed through, not parsed.
        process.stderr.write(`[${script}] ${line}\n`);
      }
    });
  });
}

/** Handler table of a child: each command gets the args and returns (or resolves) the result. */
export type Commands = Record<string, (args: never) => unknown>;

/**
 * The child side: prints `info` as the first stdout line, then serves `commands`
 * over IPC. SIGTERM (or the parent disconnecting) runs `onStop`, then exits.
 */
export function serveChild(info: ChildInfo, commands: Commands, onStop: () => Promise<void>): void {
  process.stdout.write(`${JSON.stringify(info)}\n`);
  commands = { usage: () => ({ cpuMs: cpuMs(), rssMiB: process.memoryUsage.rss() / 2 ** 20 }), ...commands };
  process.on('message', (raw) => {
    const { id, cmd, args } = raw as { id: number; cmd: string; args: never };
    const handler = commands[cmd];
    const reply = (r: Omit<Reply, 'id'>) => process.send?.({ id, ...r });
    if (!handler) return reply({ ok: false, error: `unknown command '${cmd}'` });
    Promise.resolve()
      .then(() => handler(args))
      .then(
        (result) => reply({ ok: true, result }),
        (err: unknown) => reply({ ok: false, error: (err as Error)?.stack ?? String(err) }),
      );
  });
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    onStop().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`stop failed: ${(err as Error)?.message ?? String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('disconnect', stop);
}

/** CPU time (user + system) this process has used so far, in ms; every child answers `usage` with it. */
export const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** The options the parent passed in BENCH_CHILD_OPTS. */
export const childOptions = <T>(): T => JSON.parse(process.env.BENCH_CHILD_OPTS ?? '{}') as T;
