import { useEffect, useState } from 'preact/hooks';
import { api, setCsrfToken } from './api.ts';
import type { SessionInfo } from './types.ts';
import { setUnread } from './unread.ts';

/**
 * Who is signed in. `undefined` while the first GET /api/session is in flight, `null` when signed out.
 * For a customer the session carries the vault handle, so nothing about the account is kept in the
 * browser beyond the session cookie.
 */
export type SessionState = SessionInfo | null | undefined;

let state: SessionState;
const listeners = new Set<(s: SessionState) => void>();

export function setSession(s: SessionState): void {
  // Another account (or none): the previous one's unread count must not linger in the header.
  if (s?.id !== state?.id) setUnread(undefined);
  state = s;
  setCsrfToken(s?.csrfToken ?? '');
  for (const l of listeners) l(state);
}

export function getSession(): SessionState {
  return state;
}

export function useSession(): SessionState {
  const [s, set] = useState<SessionState>(state);
  useEffect(() => {
    listeners.add(set);
    set(state);
    return () => void listeners.delete(set);
  }, []);
  return s;
}

/** Restores the session on page load; a 401 simply means "signed out". */
export async function restoreSession(): Promise<void> {
  try {
    setSession(await api<SessionInfo>('GET', '/api/session', undefined, { quiet401: true }));
  } catch {
    // 401 means signed out; a network failure also lands on the sign-in page, which can retry.
    setSession(null);
  }
}

export async function signOut(): Promise<void> {
  try {
    await api('DELETE', '/api/session', undefined, { quiet401: true });
  } catch {
    /* already signed out: nothing to do */
  }
  setSession(null);
}

/** A one-shot message for the sign-in page (after sign-out, session end or account deletion). */
let flash: string | undefined;
export function takeFlash(): string | undefined {
  const f = flash;
  flash = undefined;
  return f;
}
export function setFlash(message: string): void {
  flash = message;
}
