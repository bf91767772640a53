import { spawn, type ChildProcess } from 'node:child_process';
import { expect } from 'vitest';
import type { Stores } from '../../src/store/types.js';

/** How many writer processes, and pairs each appends once the barrier opens. */
export const WRITERS = 4;
export const PAIRS = 60;

/**
 * Several processes, each with its own connection to the same store (one SQLite file, one Redis),
 * wait at a barrier and then append user/answer pairs to one session at once — the interleaving
 * that one process cannot produce (better-sqlite3 is synchronous). Resolves when all are done.
 */
export async function appendFromProcesses(driver: 'sqlite' | 'redis', where: string, prefix: string, session: string): Promise<void> {
  const children: ChildProcess[] = [];
  const ready: Promise<void>[] = [];
  const done: Promise<void>[] = [];
  for (let w = 0; w < WRITERS; w++) {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/store/append-worker.ts', driver, where, prefix, session, String(w), String(PAIRS)], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    children.push(child);
    let out = '';
    ready.push(
      new Promise((resolve, reject) => {
        child.stdout!.on('data', (chunk: Buffer) => {
          out += String(chunk);
          if (out.includes('ready')) resolve();
        });
        child.stderr!.on('data', (chunk: Buffer) => (out += String(chunk)));
        child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`writer ${w} exited ${code}: ${out}`))));
      }),
    );
    done.push(new Promise((resolve, reject) => child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`writer ${w} exited ${code}: ${out}`))))));
  }
  try {
    await Promise.all(ready);
    // The barrier: every writer is connected and waiting; release them together.
    for (const child of children) child.stdin!.end('go\n');
    await Promise.all(done);
  } finally {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  }
}

/** Every pair landed, each user turn directly followed by its own answer, each writer's pairs in order. */
export async function expectPairsAdjacent(stores: Stores, session: string): Promise<void> {
  const turns = (await stores.sessions.get(session))!.turns;
  expect(turns).toHaveLength(WRITERS * PAIRS * 2);
  const next = new Map<string, number>();
  for (let i = 0; i < turns.length; i += 2) {
    const [user, answer] = [turns[i]!, turns[i + 1]!];
    const match = /^w(\d+)-q(\d+)$/.exec(user.content as string);
    expect(match, `turn ${i} is '${user.content}', not a question`).not.toBeNull();
    expect(answer.content, `turn ${i + 1} answers '${user.content}'`).toBe(`w${match![1]}-a${match![2]}`);
    const writer = match![1]!;
    expect(Number(match![2])).toBe(next.get(writer) ?? 0);
    next.set(writer, Number(match![2]) + 1);
  }
}
