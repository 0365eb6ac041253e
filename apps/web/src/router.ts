import { type MouseEvent, useSyncExternalStore } from 'react';

/** The app's pages. */
export type Route =
  | { readonly page: 'list' }
  | { readonly page: 'doc'; readonly id: string }
  | { readonly page: 'not-found' };

/** `/` → the list, `/d/<id>` → one document. */
export function parseRoute(pathname: string): Route {
  if (pathname === '/' || pathname === '/index.html') return { page: 'list' };
  const match = /^\/d\/([^/]+)\/?$/.exec(pathname);
  if (match?.[1] !== undefined) {
    try {
      return { page: 'doc', id: decodeURIComponent(match[1]) };
    } catch {
      return { page: 'not-found' };
    }
  }
  return { page: 'not-found' };
}

/** The shareable URL of a document. */
export function documentPath(id: string): string {
  return `/d/${encodeURIComponent(id)}`;
}

const CHANGE = 'popstate';

/** Pushes a history entry and re-renders the routed page. */
export function navigate(path: string): void {
  if (path === location.pathname) return;
  history.pushState(null, '', path);
  dispatchEvent(new PopStateEvent(CHANGE));
}

function subscribe(onChange: () => void): () => void {
  addEventListener(CHANGE, onChange);
  return () => removeEventListener(CHANGE, onChange);
}

/** The current path, kept current across pushState and back/forward. */
export function usePathname(): string {
  return useSyncExternalStore(subscribe, () => location.pathname);
}

/** Click handler for in-app links: plain left clicks navigate without a page load. */
export function followLink(event: MouseEvent<HTMLAnchorElement>): void {
  if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  event.preventDefault();
  navigate(event.currentTarget.pathname);
}
