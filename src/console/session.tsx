/**
 * @module console/session
 * Who is signed in: the token (taken from ?token= in the link the server
 * prints, then removed from the address bar and kept in localStorage, or typed
 * into the sign-in form), the API client and event stream made with it, and
 * the role GET /api/whoami reports. A viewer sees every page but no action.
 */
import { createContext, useContext } from 'react';
import type { Api } from './api/client';
import type { EventStream } from './api/stream';
import type { Role, WhoAmI } from './api/types';

const KEY = 'baton.token';

export interface Session {
  api: Api;
  stream: EventStream;
  who: WhoAmI;
  signOut(): void;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside a signed-in console');
  return s;
}

/** True when the signed-in role may operate (start, cancel, retry, signal, pause). */
export function useCanOperate(): boolean {
  return canOperate(useSession().who.role);
}

export function canOperate(role: Role): boolean {
  return role === 'operator' || role === 'admin';
}

/** The token from ?token= (removed from the URL and history at once), else the stored one. */
export function takeToken(): string | null {
  const url = new URL(window.location.href);
  const fromLink = url.searchParams.get('token');
  if (fromLink) {
    url.searchParams.delete('token');
    window.history.replaceState(window.history.state, '', url.pathname + url.search + url.hash);
    storeToken(fromLink);
    return fromLink;
  }
  try {
    return window.localStorage.getItem(KEY);
  } catch {
    return null;
  }
}

export function storeToken(token: string | null): void {
  try {
    if (token === null) window.localStorage.removeItem(KEY);
    else window.localStorage.setItem(KEY, token);
  } catch {
    // storage disabled: the token lives as long as the page
  }
}
