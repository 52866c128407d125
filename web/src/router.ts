import { useEffect, useState } from 'preact/hooks';

/**
 * A small History API router: the server serves index.html at every dashboard path, the dashboard
 * picks the page from `location.pathname` and moves between pages with pushState.
 */
export interface Location {
  path: string;
  search: URLSearchParams;
  /** path + search, as it would be passed back as `next`. */
  href: string;
}

const listeners = new Set<() => void>();

function current(): Location {
  const { pathname, search } = window.location;
  return { path: pathname, search: new URLSearchParams(search), href: pathname + search };
}

let guard: (() => boolean) | undefined;

/** A page with unsaved changes asks before the dashboard leaves it (false: stay). */
export function setNavigationGuard(fn: (() => boolean) | undefined): void {
  guard = fn;
}

export function navigate(to: string, opts: { replace?: boolean } = {}): void {
  if (to === window.location.pathname + window.location.search) return;
  // Only a move to another page is guarded: a filter in the same page's address is not leaving it.
  if (guard && to.split('?')[0] !== window.location.pathname && !guard()) return;
  if (opts.replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  for (const l of listeners) l();
}

window.addEventListener('popstate', () => {
  for (const l of listeners) l();
});

export function useLocation(): Location {
  const [loc, setLoc] = useState(current);
  useEffect(() => {
    const l = () => setLoc(current());
    listeners.add(l);
    return () => void listeners.delete(l);
  }, []);
  return loc;
}

/**
 * Only same-site paths are accepted as a `next` target after sign-in: "/x" yes, "//evil" and
 * "/\evil" (both read as another host by browsers) no, so the parameter cannot be an open redirect.
 */
export function safeNext(next: string | null | undefined): string | undefined {
  if (!next || !next.startsWith('/')) return undefined;
  if (next.startsWith('//') || next.startsWith('/\\')) return undefined;
  // Browsers drop tabs and newlines from a URL before reading it (WHATWG URL), so "/<TAB>/evil" is "//evil":
  // the target is judged as the browser will read it, and only its own-origin path is kept.
  const u = new URL(next, window.location.origin);
  if (u.origin !== window.location.origin) return undefined;
  return u.pathname + u.search + u.hash;
}

/** A click on an in-app link navigates without reloading unless the user asked for a new tab. */
export function onLinkClick(e: MouseEvent, href: string): void {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  e.preventDefault();
  navigate(href);
}
