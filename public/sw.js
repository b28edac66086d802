// swipeset's service worker: after one visit the rating page opens with no network.
//
// - The rating page (`/`) comes from the network when it answers within a few seconds,
//   and each answer is kept; offline (or on a network that stalls) the kept copy is shown.
//   It carries the cards dealt at the time; the page adds the cards it saved since, and
//   keeps decisions in its outbox until the server answers (app/src/pages/rate.rs).
// - Bundle files are linked by content (`/pkg/rater.js?v=HASH`): each is kept once fetched
//   and never fetched again; a new build is a new URL, so a new page never runs an old
//   bundle, and an old page (offline) keeps the bundle it was built with. A version is
//   dropped once the rating page links a newer one of the same file.
// - Other static files (the style sheet, icons, the manifest) are served from the cache
//   and refreshed in the background.
// - Everything else (the API, event streams, other pages, downloads) goes to the network
//   untouched.
const CACHE = 'swipeset-v1';
/** How long the rating page waits for the network before showing the kept copy. */
const NETWORK_WAIT_MS = 4000;
const STATIC = /\.(css|svg|png|webmanifest|ico)$/;

self.addEventListener('install', () => self.skipWaiting());

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) {
        if (name !== CACHE) await caches.delete(name);
      }
      await self.clients.claim();
    })(),
  );
});

// The page that registered this worker asks for what it loaded before the worker ran (the
// first visit is not controlled yet): the page itself and its files.
self.addEventListener('message', (event) => {
  if (event.data?.type === 'keep' && Array.isArray(event.data.urls)) {
    event.waitUntil(keep(event.data.urls));
  }
});

async function keep(urls) {
  const cache = await caches.open(CACHE);
  for (const url of urls) {
    const parsed = new URL(url, self.location.origin);
    if (parsed.origin !== self.location.origin || (await cache.match(parsed.href))) continue;
    if (parsed.pathname === '/') {
      await refreshPage(cache, new Request(parsed.href, { credentials: 'same-origin' })).catch(() => {});
    } else if (cacheable(parsed)) {
      try {
        const response = await fetch(parsed.href, { credentials: 'same-origin' });
        if (response.ok) await cache.put(parsed.href, response);
      } catch {
        // Offline already: kept next time.
      }
    }
  }
}

function cacheable(url) {
  return (url.pathname.startsWith('/pkg/') && url.searchParams.has('v')) || STATIC.test(url.pathname);
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || url.pathname.startsWith('/api/')) return;
  if (request.mode === 'navigate') {
    if (url.pathname === '/') event.respondWith(ratingPage(request));
    return;
  }
  if (url.pathname.startsWith('/pkg/') && url.searchParams.has('v')) {
    event.respondWith(versioned(request));
  } else if (STATIC.test(url.pathname)) {
    event.respondWith(revalidated(request, event));
  }
});

/** Fetches the rating page and keeps it, with the bundle versions it links. */
async function refreshPage(cache, request) {
  const response = await fetch(request);
  if (response.ok) {
    await cache.put('/', response.clone());
    await dropUnlinkedVersions(cache, await response.clone().text());
  }
  return response;
}

async function ratingPage(request) {
  const cache = await caches.open(CACHE);
  const network = refreshPage(cache, request);
  const kept = await cache.match('/');
  if (!kept) return network;
  const timeout = new Promise((resolve) => setTimeout(() => resolve(null), NETWORK_WAIT_MS));
  try {
    return (await Promise.race([network, timeout])) ?? kept;
  } catch {
    return kept;
  }
}

async function versioned(request) {
  const cache = await caches.open(CACHE);
  const kept = await cache.match(request);
  if (kept) return kept;
  const response = await fetch(request);
  if (response.ok) await cache.put(request, response.clone());
  return response;
}

async function revalidated(request, event) {
  const cache = await caches.open(CACHE);
  const kept = await cache.match(request, { ignoreSearch: true });
  const fresh = fetch(request).then(async (response) => {
    if (response.ok) await cache.put(request, response.clone());
    return response;
  });
  if (kept) {
    event.waitUntil(fresh.catch(() => {}));
    return kept;
  }
  return fresh;
}

/** Removes kept bundle files of which the newest rating page links another version. */
async function dropUnlinkedVersions(cache, html) {
  const linked = new Map();
  for (const link of html.match(/\/pkg\/[^"'?\s]+\?v=[0-9a-f]+/g) ?? []) {
    const url = new URL(link, self.location.origin);
    linked.set(url.pathname, url.search);
  }
  for (const request of await cache.keys()) {
    const url = new URL(request.url);
    if (linked.has(url.pathname) && linked.get(url.pathname) !== url.search) {
      await cache.delete(request);
    }
  }
}
