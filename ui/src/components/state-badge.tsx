/** The states the console shows with a colour; each also has its own text and symbol. */
export type Tone = 'ok' | 'warn' | 'bad' | 'idle';

const SYMBOL: Record<Tone, string> = { ok: '●', warn: '◐', bad: '✕', idle: '○' };

/** A coloured state with its symbol and words: colour is never the only signal. */
export function StateBadge(props: { tone: Tone; label: string; title?: string }) {
  return (
    <span class={`badge badge-${props.tone}`} title={props.title} data-tone={props.tone}>
      <span aria-hidden="true">{SYMBOL[props.tone]}</span> {props.label}
    </span>
  );
}

/** A circuit breaker's state as the console shows it. */
export function breakerTone(state: 'closed' | 'open' | 'half_open'): Tone {
  return state === 'closed' ? 'ok' : state === 'open' ? 'bad' : 'warn';
}

export const BREAKER_LABEL: Record<'closed' | 'open' | 'half_open', string> = { closed: 'closed', open: 'OPEN', half_open: 'half-open' };
