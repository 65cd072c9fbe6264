// session.mjs -- who is logged in.  The session cookie is HttpOnly: the page
// learns the user from POST /auth/login and GET /auth/me, and keeps a copy
// (name, role, org unit; nothing secret) so it can start without network.

import { api, NetError } from './api.mjs';
import * as idb from './idb.mjs';

const KEY = 'rs.user';
let user = null;

export function currentUser() { return user; }

// The server said the session is gone (401): log in again.
export function dropUser() { remember(null); }

function remember(u) {
  user = u;
  try {
    if (u) localStorage.setItem(KEY, JSON.stringify(u));
    else localStorage.removeItem(KEY);
  } catch { /* private mode */ }
}

function remembered() {
  try { return JSON.parse(localStorage.getItem(KEY) || 'null'); } catch { return null; }
}

// Who is logged in: {user, offline} (user null when nobody is).
export async function loadSession() {
  try {
    const r = await api('GET', 'auth/me');
    if (r.ok && r.json && r.json.user) {
      const before = remembered();
      if (before && before.username !== r.json.user.username) await forgetCache();
      remember(r.json.user);
      return { user, offline: false };
    }
    if (r.status === 401) {
      remember(null);
      return { user: null, offline: false };
    }
  } catch (e) {
    if (!(e instanceof NetError)) throw e;
  }
  // No answer: carry on as the user we last knew, offline.
  user = remembered();
  return { user, offline: true };
}

// Resolves to {ok: true, user} or {ok: false, error}.
export async function login(username, password) {
  const r = await api('POST', 'auth/login', { body: { username, password } });
  if (r.ok && r.json && r.json.user) {
    const before = remembered();
    if (before && before.username !== r.json.user.username) await forgetCache();
    remember(r.json.user);
    return { ok: true, user };
  }
  return { ok: false, r };
}

export async function logout() {
  try { await api('POST', 'auth/logout'); } catch { /* offline: the cookie stays until it expires */ }
  remember(null);
  await forgetCache();
}

// Cached answers belong to the user who loaded them.
async function forgetCache() {
  try { await idb.clearStore('cache'); } catch { /* nothing cached */ }
}

export function canAct() {
  return !!user && (user.role === 'warehouse' || user.role === 'admin');
}
