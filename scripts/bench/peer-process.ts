import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { request } from 'undici';
import type { BenchChild } from './child.js';
import { rssMiB } from './rss.js';

/**
 * A server the bench starts as an ordinary process (not a bench child: no IPC), timed
 * from spawn to its first 200 answer to a real chat completion. CPU and memory come
 * from /proc, so the same figures are taken for a peer that knows nothing of the bench.
 */

/** Linux reports utime/stime in clock ticks of USER_HZ, 100 on every mainstream architecture. */
const TICKS_PER_S = 100;

/** CPU time (user + system) a process has used so far, in ms, from /proc/<pid>/stat; NaN where /proc is missing. */
export function procCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces; the fields after its closing parenthesis are fixed.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_S;
  } catch {
    return Number.NaN;
  }
}

/** A free TCP port on 127.0.0.1 (asked of the kernel, then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** The request that says a server is ready: a chat completion through it, answered 200. */
export interface ReadyProbe {
  path: string;
  headers?: Record<string, string>;
  body: unknown;
}

export interface StartedPeer {
  process: ChildProcess;
  url: string;
  /** Spawn to the first 200 answer of the probe, ms. */
  startMs: number;
  /** VmRSS right after that answer, MiB. */
  readyRssMiB: number | null;
  /** CPU time (user + system) the process used until then, ms: steadier than the wall time on a busy machine. */
  readyCpuMs: number;
}

export interface StartPeerOptions {
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  port: number;
  probe: ReadyProbe;
  timeoutMs?: number;
}

/**
 * Spawns a server and sends the probe every 10 ms until one is answered 200; a refused
 * connection (not listening yet) or another status is tried again. Rejects, after killing
 * the process, when it exits first or `timeoutMs` (30 s) passes.
 */
export async function startPeer(opts: StartPeerOptions): Promise<StartedPeer> {
  const url = `http://127.0.0.1:${opts.port}`;
  const t0 = performance.now();
  const child = spawn(opts.command, opts.args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...opts.env } });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    if (stderr.length < 4000) stderr += chunk.toString();
  });
  let exited: string | null = null;
  child.once('exit', (code, signal) => (exited = `exited (${code ?? signal})`));
  const deadline = t0 + (opts.timeoutMs ?? 30_000);
  const body = JSON.stringify(opts.probe.body);
  while (performance.now() < deadline && exited === null) {
    try {
      const res = await request(`${url}${opts.probe.path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer bench', ...opts.probe.headers },
        body,
      });
      await res.body.text();
      if (res.statusCode === 200) {
        const startMs = performance.now() - t0;
        return { process: child, url, startMs, readyRssMiB: rssMiB(child.pid!), readyCpuMs: procCpuMs(child.pid!) };
      }
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  child.kill('SIGKILL');
  throw new Error(`${opts.command} ${opts.args.join(' ')} ${exited ?? 'did not answer 200 in time'}${stderr ? `: ${stderr.trim().slice(-500)}` : ''}`);
}

/** Stops a started peer: SIGTERM, SIGKILL after `graceMs`; resolves when it has gone. */
export async function stopPeer(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await gone;
  clearTimeout(timer);
}

/** A started peer as a BenchChild: `usage` answered from /proc, `stop` by signal; no other command. */
export function asBenchChild(peer: StartedPeer): BenchChild {
  const pid = peer.process.pid!;
  return {
    info: { url: peer.url, pid },
    pid,
    send: async <T>(cmd: string) => {
      if (cmd !== 'usage') throw new Error(`a peer process answers no '${cmd}'`);
      return { cpuMs: procCpuMs(pid), rssMiB: rssMiB(pid) } as T;
    },
    stop: (graceMs?: number) => stopPeer(peer.process, graceMs),
  };
}
