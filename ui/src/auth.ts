import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Credentials } from './api.js';

/** The signed-in keys and the way out; provided by app.tsx. */
export interface Auth {
  credentials: Credentials;
  signOut(): void;
}

export const AuthContext = createContext<Auth | null>(null);

/** The signed-in keys (pages render only once signed in). */
export function useAuth(): Auth {
  const auth = useContext(AuthContext);
  if (!auth) throw new Error('useAuth outside the signed-in app');
  return auth;
}
