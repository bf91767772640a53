import { useState } from 'preact/hooks';
import { Link } from 'wouter-preact';
import { useAuth } from '../auth.js';
import { ErrorNote } from '../components/error-note.js';
import { Pager, useCursorPages } from '../components/pager.js';
import { RunStatusBadge } from '../components/run-status.js';
import { TemplateForm } from '../components/template-form.js';
import { usePoll } from '../hooks/use-poll.js';
import { listRuns, RUN_STATUSES, usd, when, type RunFilters, type RunStatus } from '../runs-api.js';
import './operations.css';

/** Runs are re-read every few seconds, so new and finishing runs show without a reload. */
const POLL_MS = 3000;

/** A `datetime-local` value as ISO 8601 (the browser's time zone), or undefined when empty. */
const isoOf = (local: string): string | undefined => (local ? new Date(local).toISOString() : undefined);

/**
 * Runs: the list from GET /runs, newest first, filtered by status, workflow, session and start
 * time, a page at a time (the server's cursors; "Newer" walks back the cursors seen); each row
 * opens the run's page. Admins with a client key can start a template from here.
 */
export function Runs() {
  const { credentials } = useAuth();
  const [draft, setDraft] = useState({ status: '', workflow: '', session_id: '', since: '', until: '' });
  const [filters, setFilters] = useState<RunFilters>({});
  const pages = useCursorPages();
  const page = usePoll((signal) => listRuns(filters, pages.cursor, signal), POLL_MS, [JSON.stringify(filters), pages.cursor]);

  const apply = (e: Event) => {
    e.preventDefault();
    setFilters({
      ...(draft.status ? { status: draft.status as RunStatus } : {}),
      ...(draft.workflow.trim() ? { workflow: draft.workflow.trim() } : {}),
      ...(draft.session_id.trim() ? { session_id: draft.session_id.trim() } : {}),
      ...(draft.since ? { since: isoOf(draft.since) } : {}),
      ...(draft.until ? { until: isoOf(draft.until) } : {}),
    });
    pages.reset();
  };
  const field = (name: keyof typeof draft) => ({
    id: `filter-${name}`,
    value: draft[name],
    onInput: (e: Event) => setDraft({ ...draft, [name]: (e.target as HTMLInputElement).value }),
  });

  return (
    <section aria-labelledby="runs-title">
      <h1 id="runs-title">Runs</h1>
      <form class="filters" onSubmit={apply} aria-label="Filter runs">
        <div class="field">
          <label for="filter-status">Status</label>
          <select {...field('status')} onChange={(e) => setDraft({ ...draft, status: (e.target as HTMLSelectElement).value })}>
            <option value="">any</option>
            {RUN_STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="filter-workflow">Workflow</label>
          <input {...field('workflow')} placeholder="e.g. research_report" />
        </div>
        <div class="field">
          <label for="filter-session_id">Session</label>
          <input {...field('session_id')} />
        </div>
        <div class="field">
          <label for="filter-since">Started from</label>
          <input type="datetime-local" {...field('since')} />
        </div>
        <div class="field">
          <label for="filter-until">Started before</label>
          <input type="datetime-local" {...field('until')} />
        </div>
        <button type="submit">Filter</button>
      </form>
      <ErrorNote error={page.error} />
      <div class="table-wrap">
        <table class="runs">
          <caption>Runs, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Run</th>
              <th scope="col">Workflow</th>
              <th scope="col">Status</th>
              <th scope="col">Tasks done</th>
              <th scope="col">Started</th>
              <th scope="col" class="num">Duration</th>
              <th scope="col" class="num">Cost</th>
              <th scope="col">Session</th>
            </tr>
          </thead>
          <tbody>
            {(page.data?.runs ?? []).map((run) => (
              <tr key={run.run_id} data-run={run.run_id} data-status={run.status}>
                <th scope="row">
                  <Link href={`/runs/${encodeURIComponent(run.run_id)}`}>
                    <code>{run.run_id.slice(0, 12)}</code>
                  </Link>
                </th>
                <td>{run.workflow}</td>
                <td>
                  <RunStatusBadge status={run.status} />
                </td>
                <td>
                  {run.tasks.filter((t) => t.status === 'completed').length} / {run.tasks.length}
                </td>
                <td>{when(run.started_at)}</td>
                <td class="num">{run.finished_at ? `${(run.duration_ms / 1000).toFixed(1)} s` : '—'}</td>
                <td class="num">{usd(run.cost_usd)}</td>
                <td>{run.session_id ?? '—'}</td>
              </tr>
            ))}
            {page.data && page.data.runs.length === 0 && (
              <tr>
                <td colSpan={8} class="muted">
                  No runs match.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
      <Pager label="Run pages" pages={pages} next={page.data?.next_cursor} />
      {!credentials.client && (
        <p class="muted">Starting a template spends model calls: unless the server is open, sign in with a client key as well.</p>
      )}
      <TemplateForm />
    </section>
  );
}
