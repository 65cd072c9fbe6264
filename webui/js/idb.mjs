// idb.mjs -- the browser's own database (IndexedDB) with promises.
//
// Stores:
//   queue  {id (auto, = creation order), idemKey, method, path, body,
//           createdAt, status: queued|sending|refused, error, user, meta}
//   cache  {key, value, savedAt}: last answers of GET /labels/{code}
//          ("label:<CODE>"), items ("item:<id>"), depots with bins
//          ("depot:<id>"), the first page of the stock list ("stock:<depot>")

const DB_NAME = 'reliefstock';
const VERSION = 1;
let dbp = null;

function open() {
  if (dbp) return dbp;
  dbp = new Promise((resolve, reject) => {
    const rq = indexedDB.open(DB_NAME, VERSION);
    rq.onupgradeneeded = () => {
      const db = rq.result;
      if (!db.objectStoreNames.contains('queue'))
        db.createObjectStore('queue', { keyPath: 'id', autoIncrement: true });
      if (!db.objectStoreNames.contains('cache'))
        db.createObjectStore('cache', { keyPath: 'key' });
    };
    rq.onsuccess = () => resolve(rq.result);
    rq.onerror = () => { dbp = null; reject(rq.error); };
  });
  return dbp;
}

function done(rq) {
  return new Promise((resolve, reject) => {
    rq.onsuccess = () => resolve(rq.result);
    rq.onerror = () => reject(rq.error);
  });
}

async function store(name, mode) {
  const db = await open();
  return db.transaction(name, mode).objectStore(name);
}

export async function getAll(name) { return done((await store(name, 'readonly')).getAll()); }
export async function get(name, key) { return done((await store(name, 'readonly')).get(key)); }
// Resolves to the key (the new id for an auto-increment store).
export async function put(name, value) { return done((await store(name, 'readwrite')).put(value)); }
export async function del(name, key) { return done((await store(name, 'readwrite')).delete(key)); }
export async function clearStore(name) { return done((await store(name, 'readwrite')).clear()); }

// The cache store: value + the time it was saved.
export async function cacheGet(key) {
  try { return (await get('cache', key)) || null; } catch { return null; }
}
export async function cachePut(key, value) {
  const rec = { key, value, savedAt: new Date().toISOString() };
  try { await put('cache', rec); } catch (e) { console.warn('cache', e); }
  return rec;
}
