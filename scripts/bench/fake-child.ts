import { startFakeProvider } from '../fake-provider/server.js';
import { childOptions, serveChild } from './child.js';

/**
 * The fake provider as a bench child. Commands: `setLatency(ms)`, `reset()` (forget
 * recorded attempts: the fake keeps every request it saw, which would grow without
 * bound over a long load run), `starts({path?})` → arrival times (ms) of the recorded
 * attempts, `count()`.
 */

const { latencyMs } = childOptions<{ latencyMs?: number }>();
const fake = await startFakeProvider({ port: 0, host: '127.0.0.1', latencyMs: latencyMs ?? 0 });

serveChild(
  { url: fake.url, pid: process.pid },
  {
    setLatency: (ms: number) => fake.setLatency(ms),
    reset: () => fake.reset(),
    count: () => fake.attempts.length,
    starts: (args: { path?: string } | undefined) =>
      fake.attempts.filter((a) => args?.path === undefined || a.path === args.path).map((a) => a.at),
  },
  () => fake.close(),
);
