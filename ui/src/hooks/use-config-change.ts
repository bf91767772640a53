import { useState } from 'preact/hooks';
import { ApiError, describeError } from '../api.js';
import { changeConfig, type ChangeAnswer, type Problem } from '../config-api.js';

/**
 * One POST /admin/config at a time from a form: `busy` while it is out; a refusal shows its
 * message as `error` and its details as `problems` at their paths. `onAnswer` runs inside the
 * same try, so a fault there is shown the same way.
 */
export function useConfigChange() {
  const [problems, setProblems] = useState<Problem[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const send = async (body: Parameters<typeof changeConfig>[0], onAnswer: (answer: ChangeAnswer) => void) => {
    setBusy(true);
    try {
      onAnswer(await changeConfig(body));
    } catch (err) {
      setError(describeError(err));
      if (err instanceof ApiError) setProblems(err.details);
    } finally {
      setBusy(false);
    }
  };
  return { problems, setProblems, error, setError, busy, send };
}
