import { useEffect, useState } from 'preact/hooks';
import { useLocation } from 'wouter-preact';
import { ApiError, describeError } from '../api.js';
import { listTemplates, startTemplate, type TemplateInfo } from '../runs-api.js';
import { ErrorNote } from './error-note.js';

/**
 * Starts a template as an async run from a form generated from its inputs (GET /templates):
 * one field per input, required ones marked, defaults filled in; the server's validation
 * errors are shown at their fields. On 202 it opens the new run's page.
 */
export function TemplateForm() {
  const [templates, setTemplates] = useState<TemplateInfo[] | null>(null);
  const [name, setName] = useState('');
  const [values, setValues] = useState<Record<string, string>>({});
  const [session, setSession] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [fieldErrors, setFieldErrors] = useState<Map<string, string>>(new Map());
  const [busy, setBusy] = useState(false);
  const [, navigate] = useLocation();

  useEffect(() => {
    const controller = new AbortController();
    listTemplates(controller.signal)
      .then((r) => setTemplates(r.templates))
      .catch((err: unknown) => !controller.signal.aborted && setError(describeError(err)));
    return () => controller.abort();
  }, []);

  const template = templates?.find((t) => t.name === name);
  const choose = (next: string) => {
    setName(next);
    const t = templates?.find((x) => x.name === next);
    setValues(Object.fromEntries(Object.entries(t?.inputs ?? {}).map(([k, input]) => [k, input.default ?? ''])));
    setFieldErrors(new Map());
    setError(null);
  };

  const submit = async (e: Event) => {
    e.preventDefault();
    if (!template) return;
    setBusy(true);
    setError(null);
    setFieldErrors(new Map());
    try {
      // Empty optional fields are left out, so the template's defaults apply.
      const variables = Object.fromEntries(Object.entries(values).filter(([k, v]) => v !== '' || template.inputs[k]?.required));
      const accepted = await startTemplate(template.name, variables, session.trim() || undefined);
      navigate(`/runs/${encodeURIComponent(accepted.run_id)}`);
    } catch (err) {
      setError(describeError(err));
      if (err instanceof ApiError) {
        // The server names each problem's path: `variables.topic`, `body.session_id`, …
        const map = new Map<string, string>();
        for (const d of err.details) map.set(d.path.replace(/^(body\.)?variables\./, ''), d.message);
        setFieldErrors(map);
      }
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="panel template-form" onSubmit={(e) => void submit(e)} aria-labelledby="start-title">
      <h2 id="start-title">Start a template</h2>
      <label for="template-name">Template</label>
      <select id="template-name" value={name} onChange={(e) => choose((e.target as HTMLSelectElement).value)}>
        <option value="">Choose a template…</option>
        {(templates ?? []).map((t) => (
          <option key={t.name} value={t.name}>
            {t.name}
          </option>
        ))}
      </select>
      {template && (
        <>
          {template.description && <p class="muted">{template.description}</p>}
          <p class="muted">
            {template.tasks.linear.length} linear and {template.tasks.inline.length} inline tasks; runs asynchronously.
          </p>
          {Object.entries(template.inputs).map(([key, input]) => {
            const problem = fieldErrors.get(key);
            return (
              <div class="field" key={key}>
                <label for={`input-${key}`}>
                  {key}
                  {input.required ? ' (required)' : ''}
                </label>
                <textarea
                  id={`input-${key}`}
                  rows={2}
                  required={input.required}
                  value={values[key] ?? ''}
                  aria-invalid={problem ? true : undefined}
                  aria-describedby={`input-${key}-help`}
                  onInput={(e) => setValues({ ...values, [key]: (e.target as HTMLTextAreaElement).value })}
                />
                <span id={`input-${key}-help`} class={problem ? 'field-error' : 'muted'}>
                  {problem ?? input.description}
                </span>
              </div>
            );
          })}
          <label for="template-session">Session id (optional)</label>
          <input id="template-session" value={session} onInput={(e) => setSession((e.target as HTMLInputElement).value)} />
          <button type="submit" disabled={busy}>
            {busy ? 'Starting…' : 'Start run'}
          </button>
        </>
      )}
      <ErrorNote error={error} />
    </form>
  );
}
