import { useEffect, useState } from 'preact/hooks';
import { describeError } from '../api.js';
import { ConfigDiff } from '../components/config-diff.js';
import { ConfigEditor } from '../components/config-editor.js';
import { ConfirmDialog } from '../components/confirm-dialog.js';
import { ErrorNote } from '../components/error-note.js';
import { Pager, useCursorPages } from '../components/pager.js';
import { StateBadge } from '../components/state-badge.js';
import { useConfirmedAction } from '../hooks/use-confirmed-action.js';
import { usePoll } from '../hooks/use-poll.js';
import { getActiveConfig, getDiff, getVersion, listVersions, rollbackConfig, short, type ConfigDocument, type ConfigVersion, type PatchOperation, type VersionItem } from '../config-api.js';
import { when } from '../runs-api.js';
import './operations.css';

interface Compared {
  from: { hash: string; document: ConfigDocument };
  to: { hash: string; document: ConfigDocument };
  diff: PatchOperation[];
}

/**
 * Config: the versions (author, message, time, which is active), a side-by-side diff of any two
 * (GET /admin/config/diff), rollback to any version after a confirmation, and the JSON editor
 * with dry-run validation.
 */
export function Config() {
  const pages = useCursorPages();
  const [reload, setReload] = useState(0);
  const versions = usePoll((signal) => listVersions(pages.cursor, signal), 5000, [pages.cursor, reload]);
  const active = usePoll((signal) => getActiveConfig(signal), 5000, [reload]);
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [compared, setCompared] = useState<Compared | null>(null);
  const [diffError, setDiffError] = useState<string | null>(null);
  const { target, setTarget, busy, error, notice, setNotice, confirm: rollback } = useConfirmedAction(async (version: ConfigVersion) => {
    const answer = await rollbackConfig(version.hash, `rollback from the console to ${short(version.hash)}`);
    setReload((n) => n + 1);
    pages.reset();
    return `Rolled back: ${short(answer.version.hash)} is active (${answer.diff.length} change${answer.diff.length === 1 ? '' : 's'}).`;
  });

  const items = versions.data?.items ?? [];
  // Until the user picks, compare the newest version with the one before it.
  useEffect(() => {
    if (to || items.length === 0) return;
    setTo(items[0]!.hash);
    setFrom(items[0]!.parent ?? items[1]?.hash ?? items[0]!.hash);
  }, [items.length > 0 ? items[0]!.hash : '']);

  useEffect(() => {
    if (!from || !to) return;
    const controller = new AbortController();
    const { signal } = controller;
    Promise.all([getDiff(from, to, signal), getVersion(from, signal), getVersion(to, signal)])
      .then(([d, a, b]) => {
        setCompared({ from: { hash: from, document: a.document }, to: { hash: to, document: b.document }, diff: d.diff });
        setDiffError(null);
      })
      .catch((err: unknown) => !signal.aborted && setDiffError(describeError(err)));
    return () => controller.abort();
  }, [from, to]);

  const applied = (v: ConfigVersion) => {
    setNotice(`Applied: version ${short(v.hash)} is active.`);
    setReload((n) => n + 1);
    pages.reset();
    setFrom(v.parent ?? '');
    setTo(v.hash);
  };

  return (
    <section aria-labelledby="config-title">
      <h1 id="config-title">Config</h1>
      <ErrorNote error={error ?? versions.error ?? active.error} />
      {notice && (
        <p role="status" class="notice">
          {notice}
        </p>
      )}
      <div class="table-wrap">
        <table class="versions">
          <caption>Versions, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Version</th>
              <th scope="col">State</th>
              <th scope="col">Author</th>
              <th scope="col">Message</th>
              <th scope="col">Created</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {items.map((v) => (
              <tr key={v.hash} data-hash={v.hash} data-active={v.active ? 'true' : 'false'} class={v.active ? 'version-active' : undefined}>
                <th scope="row">
                  <code title={v.hash}>{short(v.hash)}</code>
                </th>
                <td>{v.active ? <StateBadge tone="ok" label="active" /> : <span class="muted">inactive</span>}</td>
                <td>{v.author}</td>
                <td class="wrap">{v.message}</td>
                <td>{when(v.created_at)}</td>
                <td class="actions">
                  {v.parent && (
                    <button
                      type="button"
                      onClick={() => {
                        setFrom(v.parent!);
                        setTo(v.hash);
                      }}
                    >
                      Diff with parent
                    </button>
                  )}
                  {!v.active && (
                    <button type="button" class="danger" onClick={() => setTarget(v)}>
                      Roll back to this
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <Pager label="Version pages" pages={pages} next={versions.data?.next_cursor} />

      <section class="panel" aria-labelledby="diff-title">
        <h2 id="diff-title">Compare two versions</h2>
        <div class="controls">
          <VersionSelect id="diff-from" label="From" value={from} items={items} onChange={setFrom} />
          <VersionSelect id="diff-to" label="To" value={to} items={items} onChange={setTo} />
        </div>
        <ErrorNote error={diffError} />
        {compared && compared.from.hash === from && compared.to.hash === to && <ConfigDiff from={compared.from} to={compared.to} diff={compared.diff} />}
      </section>

      {active.data && <ConfigEditor active={active.data} onApplied={applied} />}

      <ConfirmDialog
        open={target !== null}
        title="Roll back the config?"
        confirmLabel={`Roll back to ${short(target?.hash)}`}
        busy={busy}
        onConfirm={() => void rollback()}
        onCancel={() => setTarget(null)}
      >
        <p>
          Version <code>{short(target?.hash)}</code> ({target?.message}, by {target?.author}) becomes active on every replica at once. It is validated again
          first; requests already running keep their version.
        </p>
      </ConfirmDialog>
    </section>
  );
}

/** A version picker of the diff: the versions of the page shown, plus the chosen one when it is on another page. */
function VersionSelect(props: { id: string; label: string; value: string; items: VersionItem[]; onChange: (hash: string) => void }) {
  const { value, items } = props;
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      <select id={props.id} value={value} onChange={(e) => props.onChange((e.target as HTMLSelectElement).value)}>
        {value && !items.some((v) => v.hash === value) && <option value={value}>{short(value)}</option>}
        {items.map((v) => (
          <option key={v.hash} value={v.hash}>
            {`${short(v.hash)} · ${v.author} · ${when(v.created_at)}${v.active ? ' (active)' : ''}`}
          </option>
        ))}
      </select>
    </div>
  );
}
