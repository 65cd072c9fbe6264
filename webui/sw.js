// sw.js -- the service worker: keeps the app shell (HTML, CSS, scripts,
// message catalogues, the QR decoder) so the scan page opens without network,
// also from a label's address /l/<code>.
//
// Network first (fresh files whenever the server answers within a few
// seconds), the cached copy otherwise.  API calls are not touched: the page
// itself decides what to do without network (cached answers, the queue).

const CACHE = 'reliefstock-shell-v3';
const SHELL = [
  '/index.html',
  '/app.css',
  '/manifest.webmanifest',
  '/icons/icon.svg',
  '/i18n/zh-CN.json',
  '/i18n/en.json',
  '/js/main.mjs',
  '/js/api.mjs',
  '/js/camera.mjs',
  '/js/check.mjs',
  '/js/code.mjs',
  '/js/data.mjs',
  '/js/dom.mjs',
  '/js/feedback.mjs',
  '/js/i18n.mjs',
  '/js/idb.mjs',
  '/js/queue.mjs',
  '/js/readiness.mjs',
  '/js/router.mjs',
  '/js/scan.mjs',
  '/js/session.mjs',
  '/js/standards.mjs',
  '/js/views.mjs',
  '/js/logistics.mjs',
  '/js/purchasing.mjs',
  '/js/equipment.mjs',
  '/js/plans.mjs',
  '/js/map.mjs',
  '/map.css',
  '/node_modules/d3-array/dist/d3-array.min.js',
  '/node_modules/d3-geo/dist/d3-geo.min.js',
  '/node_modules/jsqr/dist/jsQR.js',
];
const TIMEOUT_MS = 3000;

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    // One by one: a missing optional file (the decoder before `npm ci`) must
    // not stop the rest from being kept.
    await Promise.all(SHELL.map((u) => cache.add(new Request(u, { cache: 'no-cache' }))
      .catch((e) => console.warn('sw: not cached', u, e))));
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const k of await caches.keys()) if (k !== CACHE) await caches.delete(k);
    await self.clients.claim();
  })());
});

function timeout(ms) {
  return new Promise((resolve) => setTimeout(() => resolve(null), ms));
}

async function networkFirst(request, cacheKey) {
  const cache = await caches.open(CACHE);
  const fromNet = fetch(request).then(async (res) => {
    if (res.ok) await cache.put(cacheKey, res.clone());
    return res;
  });
  fromNet.catch(() => {}); // judged below
  try {
    const res = await Promise.race([fromNet, timeout(TIMEOUT_MS)]);
    if (res) return res;
  } catch {
    // no network: the cache
  }
  const cached = await cache.match(cacheKey);
  if (cached) return cached;
  return fromNet; // slow network and nothing cached: wait for it
}

self.addEventListener('fetch', (event) => {
  const req = event.request;
  if (req.method !== 'GET') return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.startsWith('/api/') || url.pathname === '/healthz') return;
  if (req.mode === 'navigate' &&
      (url.pathname === '/' || url.pathname === '/index.html' || /^\/l\//i.test(url.pathname))) {
    // /, /index.html, /l/<code>, /L/<code>: all are the same page.
    event.respondWith(networkFirst(req, '/index.html'));
    return;
  }
  event.respondWith(networkFirst(req, url.pathname));
});
