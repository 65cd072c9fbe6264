// api.mjs -- calls to the JSON API (/api/v1) and what the page knows about
// the network.
//
// api() resolves to {status, ok, json} for every HTTP answer and throws a
// NetError when no answer came (no network, server down, timeout).  The
// session is the HttpOnly cookie rs_session: the browser sends it; the page
// never sees it.  `net` tells whether the server was reachable the last time
// we asked (together with navigator.onLine), for the online/offline badge.

export const API = '/api/v1';

export class NetError extends Error {}

// 502/503/504: the server (or a proxy) cannot answer now; try again later.
export const retryable = (status) => status === 502 || status === 503 || status === 504;

class Net extends EventTarget {
  constructor() {
    super();
    this.reachable = true;
    window.addEventListener('online', () => { this.reachable = true; this.emit(); });
    window.addEventListener('offline', () => this.emit());
  }
  get online() { return navigator.onLine && this.reachable; }
  set(reachable) {
    if (reachable === this.reachable) return;
    this.reachable = reachable;
    this.emit();
  }
  emit() { this.dispatchEvent(new Event('change')); }
}
export const net = new Net();

// An event target for "the session is gone" (401 outside log-in).
export const authEvents = new EventTarget();

export async function api(method, path, { body, idemKey, timeoutMs = 15000, raw = false } = {}) {
  // X-Requested-With: reliefd refuses a change made with the session cookie
  // without it (CSRF, docs/security.md); another site's page cannot add it.
  const headers = { Accept: 'application/json', 'X-Requested-With': 'ReliefStock' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (idemKey) headers['Idempotency-Key'] = idemKey;
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), timeoutMs);
  let res;
  try {
    if (!navigator.onLine) throw new Error('offline');
    res = await fetch(path.startsWith('/') ? path : `${API}/${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
      cache: 'no-store',
      signal: ctl.signal,
    });
  } catch (e) {
    net.set(false);
    throw new NetError(e && e.message ? e.message : 'network error');
  } finally {
    clearTimeout(timer);
  }
  net.set(!retryable(res.status));
  let json = null;
  if (!raw) {
    const text = await res.text().catch(() => '');
    if (text) {
      try { json = JSON.parse(text); } catch { json = null; }
    }
  }
  if (res.status === 401 && !path.includes('auth/'))
    authEvents.dispatchEvent(new Event('unauthenticated'));
  return { status: res.status, ok: res.ok, json, res };
}

// {code, message, field} of an error answer (or a made-up one).
export function errorOf(r) {
  const e = r && r.json && r.json.error;
  if (e && typeof e === 'object')
    return { status: r.status, code: e.code || 'error', message: e.message || '', field: e.field || null,
             replaced_by: r.json.replaced_by ?? e.replaced_by ?? null };
  return { status: r ? r.status : 0, code: 'http_' + (r ? r.status : 0), message: '', field: null };
}

// A fresh Idempotency-Key (a random UUID).
export function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const x = [...b].map((v) => v.toString(16).padStart(2, '0')).join('');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

// A desk call, sent at once rather than through the offline queue (pages
// for officials): {ok, status, json} or {ok: false, status, error}; status 0
// means the network is down.  Mutating calls carry a fresh Idempotency-Key.
export async function call(method, path, body) {
  try {
    const r = await api(method, path, { body, idemKey: method === 'GET' ? undefined : uuid() });
    if (r.ok) return { ok: true, status: r.status, json: r.json };
    return { ok: false, status: r.status, error: errorOf(r) };
  } catch (e) {
    if (!(e instanceof NetError)) throw e;
    return { ok: false, status: 0, error: { code: 'offline_readiness', message: '' } };
  }
}
