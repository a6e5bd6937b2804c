// The API token the dashboard signs in with: kept in localStorage so a reload stays signed in; any 401
// from the API signs out and says why on the sign-in screen.
import { Store } from "./store";

const storageKey = "sterifleet.token";

export interface AuthState {
  token: string | null;
  /** Why the last session ended, shown on the sign-in screen. */
  notice: string | null;
}

export const auth = new Store<AuthState>({ token: readToken(), notice: null });

function readToken(): string | null {
  try {
    return localStorage.getItem(storageKey);
  } catch {
    return null;
  }
}

export function signIn(token: string): void {
  localStorage.setItem(storageKey, token);
  auth.set({ token, notice: null });
}

export function signOut(notice: string | null = null): void {
  localStorage.removeItem(storageKey);
  auth.set({ token: null, notice });
}
