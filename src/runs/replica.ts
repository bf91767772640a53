import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

/**
 * This server process's name in run records (`tasks[].attempts[].replica`):
 * `REPLICA_ID` when set (e.g. `${{RAILWAY_REPLICA_ID}}`), else host, pid and a
 * random suffix, so a restarted process never passes for the one that died.
 */
export function replicaId(env: NodeJS.ProcessEnv = process.env): string {
  const given = env.REPLICA_ID?.trim() || env.RAILWAY_REPLICA_ID?.trim();
  if (given) return given.slice(0, 100);
  return `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
}
