// queue.mjs -- every action the scan page takes goes through this queue,
// online too: enqueue, then flush.  One code path, so an action taken without
// network is sent exactly like one taken with it.
//
// An item: {id, idemKey, method, path, body, createdAt, status, error, user, meta}
//   id       IndexedDB auto-increment: the creation order, the sending order
//   idemKey  crypto.randomUUID(), fixed when the item is made: every retry of
//            the item sends the same key, so the server applies it once
//   status   queued | sending | refused
//   error    {status, code, message, field} of the server's refusal
//   user     the user who made it (keys are per user: only they send it)
//   meta     what the queue page shows, and what the scan page needs to
//            adjust the quantities it shows while the item waits
//
// flush(): sends queued items one at a time in creation order.
//   - no answer (NetError), or 502/503/504: the item stays queued (same key),
//     flushing stops until the next 'online' event, the timer or a new item
//   - 401: stays queued; the user must log in again, then it is sent
//   - 2xx: removed; a 'sent' event carries the answer
//   - any other answer: status refused with the server's reason, kept until
//     the user retries (same key) or discards it; later items still go out

import { api, NetError, retryable, net, uuid } from './api.mjs';

export { uuid }; // the queue's keys; callers used to find it here
import * as idb from './idb.mjs';

export const queueEvents = new EventTarget();
const RETRY_MS = 10000;

let currentUser = null; // username whose items are sent
let flushing = null;
let timer = null;
let foregroundId = null; // the item submit() waits for: its outcome is shown in place
let sentHook = null; // awaited before a sent item leaves the queue

// fn(item, result): update what the page caches from the server's answer
// before the item stops counting as pending (no moment where both the old
// figure and no pending change are shown).
export function onBeforeSent(fn) { sentHook = fn; }

function emit(type, detail) {
  queueEvents.dispatchEvent(new CustomEvent(type, { detail }));
  if (type !== 'change') queueEvents.dispatchEvent(new CustomEvent('change'));
}


export async function items() {
  try {
    return (await idb.getAll('queue')).sort((a, b) => a.id - b.id);
  } catch (e) {
    console.warn('queue', e);
    return [];
  }
}

// Add an action; resolves to the stored item (with its id).
export async function enqueue({ method = 'POST', path, body, meta = {} }) {
  const item = {
    idemKey: uuid(), method, path, body, createdAt: new Date().toISOString(),
    status: 'queued', error: null, user: currentUser, meta,
  };
  item.id = await idb.put('queue', item);
  emit('change');
  return item;
}

// Enqueue and try to send at once; resolves to {item, sent, result, refused}
// where result is the server's answer when it was sent now.
export async function submit(action) {
  const item = await enqueue(action);
  foregroundId = item.id;
  const results = new Map();
  const onSent = (e) => results.set(e.detail.item.id, e.detail.result);
  queueEvents.addEventListener('sent', onSent);
  try {
    await flush();
  } finally {
    queueEvents.removeEventListener('sent', onSent);
    foregroundId = null;
  }
  if (results.has(item.id)) return { item, sent: true, result: results.get(item.id) };
  const now = await idb.get('queue', item.id).catch(() => null);
  if (now && now.status === 'refused') return { item: now, sent: false, refused: true };
  return { item: now || item, sent: false, refused: false };
}

export function flush() {
  if (!flushing) {
    const run = () => flushLoop();
    flushing = (navigator.locks ? navigator.locks.request('reliefstock-queue', run) : run())
      .catch((e) => console.warn('queue flush', e))
      .finally(() => { flushing = null; });
  }
  return flushing;
}

async function flushLoop() {
  if (!currentUser) return;
  // Under the lock no other tab is sending: an item still marked 'sending'
  // was cut off (page closed, crash).  Send it again with its key.
  for (const i of await items()) {
    if (i.status === 'sending' && i.user === currentUser) {
      i.status = 'queued';
      await idb.put('queue', i);
    }
  }
  for (;;) {
    const next = (await items()).find((i) => i.status === 'queued' && i.user === currentUser);
    if (!next) return;
    next.status = 'sending';
    await idb.put('queue', next);
    emit('change');
    let r;
    try {
      r = await api(next.method, next.path, { body: next.body, idemKey: next.idemKey });
    } catch (e) {
      if (!(e instanceof NetError)) throw e;
      r = null;
    }
    if (r === null || retryable(r.status) || r.status === 401) {
      next.status = 'queued'; // the same key next time
      await idb.put('queue', next);
      emit('change');
      return;
    }
    if (r.ok) {
      const result = { status: r.status, json: r.json };
      if (sentHook) {
        try { await sentHook(next, result); } catch (e) { console.warn('queue hook', e); }
      }
      await idb.del('queue', next.id);
      emit('sent', { item: next, result, foreground: next.id === foregroundId });
      continue;
    }
    const e = (r.json && r.json.error) || {};
    next.status = 'refused';
    next.error = { status: r.status, code: e.code || `http_${r.status}`, message: e.message || '',
                   field: e.field || null, at: new Date().toISOString() };
    await idb.put('queue', next);
    emit('refused', { item: next, foreground: next.id === foregroundId });
  }
}

// A refused item back into the queue, with its key, and send it.
export async function retry(id) {
  const it = await idb.get('queue', id);
  if (!it) return;
  it.status = 'queued';
  it.error = null;
  await idb.put('queue', it);
  emit('change');
  return flush();
}

export async function discard(id) {
  await idb.del('queue', id);
  emit('discarded', { id });
}

// Items still to be applied (queued or being sent) change what the page shows.
export function isPending(i) { return i.status === 'queued' || i.status === 'sending'; }

// The change the user's pending items will make to (bin, lot).
export function pendingDelta(list, binId, lotId) {
  let d = 0;
  let n = 0;
  for (const i of list) {
    if (!isPending(i) || !i.meta || i.meta.lot_id !== lotId) continue;
    const q = Number(i.meta.qty) || 0;
    switch (i.meta.kind) {
      case 'issue': if (i.meta.bin_id === binId) { d -= q; n++; } break;
      case 'receive': if (i.meta.bin_id === binId) { d += q; n++; } break;
      case 'move':
        if (i.meta.bin_id === binId) { d -= q; n++; }
        if (i.meta.to_bin_id === binId) { d += q; n++; }
        break;
      case 'count': if (i.meta.bin_id === binId) n++; break;
      default: break;
    }
  }
  return { delta: d, count: n };
}

// Start sending for this user: on start, on 'online', and every RETRY_MS
// while something waits.  Items left 'sending' by a closed page are queued
// again by flushLoop (same key: if the server had applied them, it answers
// with the stored result).
export async function startQueue(username) {
  currentUser = username;
  emit('change');
  if (!timer) {
    window.addEventListener('online', () => flush());
    net.addEventListener('change', () => { if (net.online) flush(); });
    timer = setInterval(async () => {
      if ((await items()).some((i) => i.status === 'queued' && i.user === currentUser)) flush();
    }, RETRY_MS);
  }
  return flush();
}

export function stopQueue() { currentUser = null; }
