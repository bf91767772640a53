import { useState } from 'preact/hooks';
import { describeError } from '../api.js';

/**
 * An action on one item after a confirmation dialog: `target` is the item the dialog asks about
 * (null: closed), `busy` while the action runs; `act` resolves to the notice to show, or its
 * failure shows as `error`. The dialog closes either way.
 */
export function useConfirmedAction<T>(act: (target: T) => Promise<string>) {
  const [target, setTarget] = useState<T | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const confirm = async () => {
    if (!target) return;
    setBusy(true);
    try {
      setNotice(await act(target));
      setError(null);
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
      setTarget(null);
    }
  };
  return { target, setTarget, busy, error, notice, setNotice, confirm };
}
