import { useEffect, useState } from 'preact/hooks';
import { Link } from 'wouter-preact';
import { describeError } from '../api.js';
import { ConfirmDialog } from '../components/confirm-dialog.js';
import { ErrorNote } from '../components/error-note.js';
import { Pager, useCursorPages } from '../components/pager.js';
import { useConfirmedAction } from '../hooks/use-confirmed-action.js';
import { usePoll } from '../hooks/use-poll.js';
import { deleteSession, getSession, listSessions, usd, when, type SessionSummary, type Turn } from '../runs-api.js';
import './operations.css';

/**
 * Sessions: GET /sessions a page at a time, most recently updated first; a session's turns
 * (GET /session/{id}) on selection; delete with a confirmation (DELETE /session/{id}).
 */
export function Sessions() {
  const pages = useCursorPages();
  const [reload, setReload] = useState(0);
  const page = usePoll((signal) => listSessions(pages.cursor, signal), 5000, [pages.cursor, reload]);
  const [open, setOpen] = useState<string | null>(null);
  const { target: doomed, setTarget: setDoomed, busy, error, notice, confirm: remove } = useConfirmedAction(async (session: SessionSummary) => {
    await deleteSession(session.session_id);
    if (open === session.session_id) setOpen(null);
    setReload((n) => n + 1);
    return `Deleted session ${session.session_id}.`;
  });

  return (
    <section aria-labelledby="sessions-title">
      <h1 id="sessions-title">Sessions</h1>
      <ErrorNote error={error ?? page.error} />
      {notice && (
        <p role="status" class="notice">
          {notice}
        </p>
      )}
      <div class="table-wrap">
        <table>
          <caption>Sessions, most recently active first</caption>
          <thead>
            <tr>
              <th scope="col">Session</th>
              <th scope="col">Created</th>
              <th scope="col">Last turn</th>
              <th scope="col" class="num">Turns</th>
              <th scope="col" class="num">Cost</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {(page.data?.sessions ?? []).map((s) => (
              <tr key={s.session_id} data-session={s.session_id}>
                <th scope="row">
                  <code>{s.session_id}</code>
                </th>
                <td>{when(s.created_at)}</td>
                <td>{when(s.updated_at)}</td>
                <td class="num">{s.turns}</td>
                <td class="num">{usd(s.cost_usd)}</td>
                <td class="actions">
                  <button type="button" aria-expanded={open === s.session_id} onClick={() => setOpen(open === s.session_id ? null : s.session_id)}>
                    {open === s.session_id ? 'Hide turns' : 'Show turns'}
                  </button>
                  <button type="button" class="danger" onClick={() => setDoomed(s)}>
                    Delete
                  </button>
                </td>
              </tr>
            ))}
            {page.data && page.data.sessions.length === 0 && (
              <tr>
                <td colSpan={6} class="muted">
                  No sessions.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
      <Pager label="Session pages" pages={pages} next={page.data?.next_cursor} />
      {open && <SessionTurns id={open} />}
      <ConfirmDialog
        open={doomed !== null}
        title="Delete this session?"
        confirmLabel="Delete session"
        busy={busy}
        onConfirm={() => void remove()}
        onCancel={() => setDoomed(null)}
      >
        <p>
          Session <code>{doomed?.session_id}</code> and its {doomed?.turns} turns are removed for good.
        </p>
      </ConfirmDialog>
    </section>
  );
}

function SessionTurns(props: { id: string }) {
  const [turns, setTurns] = useState<Turn[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const controller = new AbortController();
    setTurns(null);
    getSession(props.id, controller.signal)
      .then((s) => setTurns(s.turns))
      .catch((err: unknown) => !controller.signal.aborted && setError(describeError(err)));
    return () => controller.abort();
  }, [props.id]);
  return (
    <section class="panel" aria-labelledby="turns-title">
      <h2 id="turns-title">
        Turns of <code>{props.id}</code>
      </h2>
      <ErrorNote error={error} />
      {turns === null && !error && <p>Loading…</p>}
      <ol class="turns">
        {(turns ?? []).map((t, i) => (
          <li key={i} class={`turn turn-${t.role}`}>
            <div class="turn-head">
              <strong>{t.role}</strong> · {when(t.created_at)}
              {t.category ? ` · tier ${t.category}` : ''}
              {t.model_used ? ` · ${t.model_used}` : ''}
              {t.cost_usd ? ` · ${usd(t.cost_usd)}` : ''}
              {t.run_id && (
                <>
                  {' · '}
                  <Link href={`/runs/${encodeURIComponent(t.run_id)}`}>run</Link>
                </>
              )}
            </div>
            <pre class="text-block">{t.content}</pre>
          </li>
        ))}
      </ol>
    </section>
  );
}
