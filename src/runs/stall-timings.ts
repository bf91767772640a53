/** BullMQ worker settings that decide how fast a dead replica's run is taken over. */
export interface StallTimings {
  /** ms a job lock lives without renewal (BullMQ renews it every half of this). */
  lockDuration: number;
  /** ms between two stalled-job checks of a worker (one check per this time fleet-wide). */
  stalledInterval: number;
}

/**
 * Lock duration and stalled-check interval for `limits.run_stall_s` (given in ms),
 * so a run whose replica died is back on the queue well within it.
 *
 * BullMQ moves a job back to wait at a stalled check that finds its lock gone,
 * if an earlier check (after the lock's last renewal) marked it. After a kill,
 * the first check may be skipped (the dead worker's last check holds the
 * fleet's check key for one interval), the lock lapses at most lockDuration
 * after the kill, and checks then come every interval: the job is requeued at
 * the latest max(3 × interval, lockDuration + interval) after the kill —
 * 18 s of the default 30 s (lock 10 s, check every 6 s), leaving the rest for
 * another worker to take it on a loaded machine. With half of run_stall_s
 * each, that worst case was 1.5 × run_stall_s (45 s; 36 s seen).
 */
export function stallTimings(stallMs: number): StallTimings {
  return { lockDuration: Math.round(stallMs / 3), stalledInterval: Math.round(stallMs / 5) };
}

/** The latest a dead replica's job is requeued after the kill, in ms (the bound above). */
export function worstTakeoverMs({ lockDuration, stalledInterval }: StallTimings): number {
  return Math.max(3 * stalledInterval, lockDuration + stalledInterval);
}
