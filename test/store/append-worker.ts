/**
 * One writer of the concurrent-turns test (concurrent-turns.ts), in its own process with its own
 * store connection: opens the store, says `ready`, waits for `go` on stdin (the barrier: every
 * writer starts at once), then appends its pairs to the shared session one after another.
 * Usage: node --import tsx test/store/append-worker.ts <sqlite|redis> <file|url> <prefix> <session> <writer> <pairs>
 */
import { connectRedis, createRedisStores } from '../../src/store/redis.js';
import { createSqliteStores } from '../../src/store/sqlite.js';
import type { Stores } from '../../src/store/types.js';
import { pair } from './fixtures.js';

const [driver, where, prefix, session, writer, count] = process.argv.slice(2) as [string, string, string, string, string, string];
const stores: Stores =
  driver === 'sqlite' ? createSqliteStores(where) : createRedisStores(await connectRedis(where), { sessionTtlS: 600, runTtlS: 600, prefix });
process.stdout.write('ready\n');
await new Promise<void>((resolve) => process.stdin.once('data', () => resolve()));
for (let i = 0; i < Number(count); i++) {
  // Each pair's content names its writer and number, so the reader can tell whose answer follows whom.
  const [user, assistant] = pair(i, new Date().toISOString());
  await stores.sessions.appendTurns(session, [
    { ...user!, content: `w${writer}-q${i}` },
    { ...assistant!, content: `w${writer}-a${i}` },
  ]);
}
await stores.close();
process.stdout.write('done\n');
