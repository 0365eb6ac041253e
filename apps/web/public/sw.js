// Tandem's app-shell service worker: lets the editor load (and reopen documents from
// IndexedDB) while the server is unreachable. The build fills in PRECACHE and VERSION
// (vite-precache-plugin.ts). The REST API and the sync socket are never cached.

const PRECACHE = /* @precache */ [];
const VERSION = /* @version */ 'dev';
const CACHE = `tandem-shell-${VERSION}`;
/** The cached index.html answers every app route. */
const SHELL = '/index.html';

self.addEventListener('install', (event) => {
  event.waitUntil(precache().then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) =>
        Promise.all(keys.filter((k) => k.startsWith('tandem-shell-') && k !== CACHE).map((k) => caches.delete(k))),
      )
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || isServerPath(url.pathname)) return;
  if (request.mode === 'navigate') {
    if (isAppRoute(url.pathname)) event.respondWith(networkFirstShell(request));
    return;
  }
  if (PRECACHE.includes(url.pathname) || url.pathname.startsWith('/assets/')) {
    event.respondWith(cacheFirst(request));
  }
});

async function precache() {
  const cache = await caches.open(CACHE);
  await cache.addAll(PRECACHE.filter((url) => url !== SHELL));
  // The server may serve the shell only through its SPA fallback: try both.
  let shell = await fetch(SHELL, { cache: 'reload' }).catch(() => null);
  if (shell === null || !shell.ok) shell = await fetch('/', { cache: 'reload' });
  if (shell.ok) await cache.put(SHELL, shell);
}

function isServerPath(path) {
  return path === '/api' || path.startsWith('/api/') || path === '/sync' || path.startsWith('/sync/');
}

function isAppRoute(path) {
  return path === '/' || path === SHELL || path.startsWith('/d/');
}

async function networkFirstShell(request) {
  try {
    const response = await fetch(request);
    if (response.ok && (response.headers.get('content-type') ?? '').includes('text/html')) {
      const copy = response.clone();
      caches.open(CACHE).then((cache) => cache.put(SHELL, copy));
    }
    return response;
  } catch (err) {
    const cached = await caches.match(SHELL);
    if (cached !== undefined) return cached;
    throw err;
  }
}

async function cacheFirst(request) {
  const cached = await caches.match(request, { ignoreSearch: true });
  if (cached !== undefined) return cached;
  const response = await fetch(request);
  if (response.ok) {
    const copy = response.clone();
    caches.open(CACHE).then((cache) => cache.put(request, copy));
  }
  return response;
}
