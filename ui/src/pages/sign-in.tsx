import { useState } from 'preact/hooks';
import { describeError, signIn, type Credentials } from '../api.js';

/**
 * Sign in with an admin key (everything the admin API allows, and reading the client API), or
 * with a client key alone (read-only: what that key may see). Keys stay in this tab's
 * sessionStorage and travel only as the Authorization header.
 */
export function SignIn(props: { onSignedIn: (c: Credentials) => void }) {
  const [admin, setAdmin] = useState('');
  const [client, setClient] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      props.onSignedIn(await signIn(admin.trim() || null, client.trim() || null));
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main id="main" class="sign-in">
      <h1>Master Orchestrator console</h1>
      <form onSubmit={submit} aria-describedby="sign-in-help">
        <p id="sign-in-help">
          An admin key (from <code>ADMIN_API_KEYS</code>) shows and changes everything. A client key alone gives a read-only console of what
          that key may see; add one beside the admin key to run templates or cancel runs on a server with <code>API_KEYS</code>.
        </p>
        <label for="admin-key">Admin key</label>
        <input id="admin-key" name="admin-key" type="password" autoComplete="off" value={admin} onInput={(e) => setAdmin(e.currentTarget.value)} />
        <label for="client-key">Client key (optional with an admin key)</label>
        <input id="client-key" name="client-key" type="password" autoComplete="off" value={client} onInput={(e) => setClient(e.currentTarget.value)} />
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
