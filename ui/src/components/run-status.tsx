import { StateBadge, type Tone } from './state-badge.js';
import type { RunStatus } from '../runs-api.js';

const TONE: Record<RunStatus, Tone> = {
  queued: 'idle',
  running: 'warn',
  completed: 'ok',
  partial: 'warn',
  failed: 'bad',
  cancelled: 'idle',
  timed_out: 'bad',
};

/** A run's status in colour, symbol and words. */
export function RunStatusBadge(props: { status: RunStatus }) {
  return <StateBadge tone={TONE[props.status]} label={props.status.replace('_', ' ')} />;
}
