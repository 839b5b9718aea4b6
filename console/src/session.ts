// The signed-in key lives in this tab's session storage only: closing the tab signs out, and no other
// site, tab or later visitor finds it. It is sent as the Bearer header, as every API client does.
const KEY = "hub.apiKey";
const REASON = "hub.signOutReason";

export function apiKey(): string | null {
  return sessionStorage.getItem(KEY);
}

export function signIn(key: string): void {
  sessionStorage.setItem(KEY, key.trim());
  sessionStorage.removeItem(REASON);
}

/** Forget the key; with a reason, the sign-in page shows why the user is back there. */
export function signOut(reason?: string): void {
  sessionStorage.removeItem(KEY);
  if (reason) sessionStorage.setItem(REASON, reason);
  else sessionStorage.removeItem(REASON);
  window.dispatchEvent(new Event("hub:signed-out"));
}

export function signOutReason(): string | null {
  return sessionStorage.getItem(REASON);
}
