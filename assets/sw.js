// Storage Doctor's service worker: keeps a copy of this build so the page opens and analyzes
// offline after one visit. It caches only the page's own files; logs never pass through it
// (they are read from disk by the page's Web Worker).
//
// `cargo xtask dist` replaces the next line with this build's version and files: `hashed` are
// Trunk's content-hashed names (immutable, served from the cache first), `other` are the names
// that stay the same across builds (the page, the worker, the manifest and icons: asked from the
// network first, so a page and its worker always come from the same build while online).
// Left as null (a build that skipped that step), the worker caches nothing and stays out of the way.
const BUILD = null;

const PREFIX = 'storage-doctor-';
const CACHE = BUILD && PREFIX + BUILD.version;

// Every URL is relative to the registration scope, so the page works from any sub-path.
const inScope = (path) => new URL(path, self.registration.scope).href;

self.addEventListener('install', (event) => {
  if (!BUILD) return;
  event.waitUntil(
    caches.open(CACHE).then((cache) =>
      // `reload` skips the HTTP cache: the copy must be this build's files, not older ones.
      cache.addAll([...BUILD.hashed, ...BUILD.other].map((f) => new Request(inScope(f), { cache: 'reload' }))),
    ),
  );
  // No skipWaiting here: a new build waits until the page's update banner asks for it.
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const key of await caches.keys()) {
        if (key.startsWith(PREFIX) && key !== CACHE) await caches.delete(key);
      }
      // The first install takes the open page at once, so it works offline without a reload.
      await self.clients.claim();
    })(),
  );
});

self.addEventListener('message', (event) => {
  if (event.data === 'skip-waiting') self.skipWaiting();
});

const HASHED = new Set(BUILD ? BUILD.hashed.map(inScope) : []);
const OTHER = new Set(BUILD ? BUILD.other.map(inScope) : []);

self.addEventListener('fetch', (event) => {
  if (!BUILD) return;
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  url.hash = '';
  const key = url.href;
  if (request.mode === 'navigate') {
    // Any page address in scope (a share link's fragment never reaches here) opens this build.
    event.respondWith(networkFirst(request, inScope('./')));
  } else if (HASHED.has(key)) {
    event.respondWith(cacheFirst(request));
  } else if (OTHER.has(key)) {
    event.respondWith(networkFirst(request, key));
  }
  // Anything else is not part of the page: left to the browser.
});

async function cacheFirst(request) {
  const cache = await caches.open(CACHE);
  return (await cache.match(request)) || fetch(request);
}

// The network's answer when there is one; this build's copy when offline or failing. Answers
// from the network are not stored: the cache holds exactly one build, replaced as a whole.
async function networkFirst(request, fallback) {
  try {
    const response = await fetch(request);
    if (response.ok) return response;
    const cached = await caches.open(CACHE).then((c) => c.match(fallback));
    return cached || response;
  } catch (err) {
    const cached = await caches.open(CACHE).then((c) => c.match(fallback));
    if (cached) return cached;
    throw err;
  }
}
