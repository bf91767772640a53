import { useEffect, useState } from 'preact/hooks';
import { type ChangeAnswer, type ConfigDocument, type ConfigVersion, type Problem } from '../config-api.js';
import { useConfigChange } from '../hooks/use-config-change.js';
import { ConfigDiff } from './config-diff.js';
import { ErrorNote } from './error-note.js';
import { ProblemList } from './problem-list.js';

/** Line and column of a JSON.parse failure, from the position the engine reports. */
function syntaxProblem(text: string, err: Error): Problem {
  const pos = /position (\d+)/.exec(err.message);
  if (!pos) return { path: '(JSON)', message: err.message };
  const before = text.slice(0, Number(pos[1]));
  const line = before.split('\n').length;
  const column = before.length - before.lastIndexOf('\n');
  return { path: `(JSON) line ${line}, column ${column}`, message: err.message };
}

/**
 * The active config as JSON in a text editor. "Check" sends it as a dry run (POST /admin/config
 * with dry_run): every validation problem is listed at its path, and the diff it would make is
 * shown; "Apply" is offered only for the text that passed its check, and makes a new version.
 */
export function ConfigEditor(props: { active: { version: ConfigVersion; document: ConfigDocument }; onApplied: (v: ConfigVersion) => void }) {
  const [text, setText] = useState(() => JSON.stringify(props.active.document, null, 2));
  const [checked, setChecked] = useState<{ text: string; answer: ChangeAnswer } | null>(null);
  const [message, setMessage] = useState('');
  const { problems, setProblems, error, setError, busy, send: change } = useConfigChange();

  // A new active version (applied here, elsewhere, or rolled back) reloads the editor.
  useEffect(() => {
    setText(JSON.stringify(props.active.document, null, 2));
    setChecked(null);
    setProblems([]);
  }, [props.active.version.hash]);

  const parse = (): ConfigDocument | null => {
    try {
      const value = JSON.parse(text) as unknown;
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        setProblems([{ path: '(JSON)', message: 'the config must be a JSON object' }]);
        return null;
      }
      return value as ConfigDocument;
    } catch (err) {
      setProblems([syntaxProblem(text, err as Error)]);
      return null;
    }
  };

  const send = async (dryRun: boolean) => {
    setError(null);
    setProblems([]);
    const config = parse();
    if (!config) return;
    await change({ config, base: props.active.version.hash, dry_run: dryRun, ...(message.trim() ? { message: message.trim() } : {}) }, (answer) => {
      if (dryRun) {
        setChecked({ text, answer });
        setProblems(answer.problems ?? []);
      } else {
        setChecked(null);
        setMessage('');
        props.onApplied(answer.version);
      }
    });
  };

  const ready = checked !== null && checked.text === text && checked.answer.valid === true && checked.answer.diff.length > 0;
  return (
    <section class="panel" aria-labelledby="editor-title">
      <h2 id="editor-title">Edit the config</h2>
      <p class="muted">
        Secrets stay as <code>{'${ENV_NAME}'}</code> references. Check validates exactly as at startup without changing anything; Apply makes a new version.
      </p>
      <label for="config-text">Config JSON (active version {props.active.version.hash.slice(0, 12)})</label>
      <textarea
        id="config-text"
        class="config-text"
        spellcheck={false}
        rows={22}
        value={text}
        aria-invalid={problems.length > 0 ? true : undefined}
        aria-describedby="config-problems"
        onInput={(e) => setText((e.target as HTMLTextAreaElement).value)}
      />
      <div class="field">
        <label for="config-message">Message (why)</label>
        <input id="config-message" value={message} onInput={(e) => setMessage((e.target as HTMLInputElement).value)} />
      </div>
      <div class="controls">
        <button type="button" onClick={() => void send(true)} disabled={busy}>
          Check
        </button>
        <button type="button" class="primary" onClick={() => void send(false)} disabled={busy || !ready}>
          Apply
        </button>
        {checked && checked.text === text && (
          <span role="status" data-testid="check-result">
            {checked.answer.valid ? (checked.answer.diff.length === 0 ? '✓ valid, no change' : `✓ valid: ${checked.answer.diff.length} change(s)`) : `✕ ${problems.length} problem(s)`}
          </span>
        )}
      </div>
      <ErrorNote error={error} />
      <div id="config-problems">
        <ProblemList problems={problems} />
      </div>
      {checked && checked.text === text && checked.answer.diff.length > 0 && (
        <ConfigDiff from={{ hash: props.active.version.hash, document: props.active.document }} to={{ document: null }} diff={checked.answer.diff} caption="What Apply would change" />
      )}
    </section>
  );
}
