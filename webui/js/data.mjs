// data.mjs -- reading records, with a cache for working without network.
//
// Every answer the scan page needs (label lookups, items, depots with their
// bins) is kept in IndexedDB when it arrives; without network the last one
// is used and shown as "offline - last known <time>".

import { api, NetError, retryable, errorOf } from './api.mjs';
import { cacheGet, cachePut, del } from './idb.mjs';

// GET a record, falling back to the cache when there is no answer.
// Resolves to {data, savedAt, cached: bool} or {error} or {miss: true}.
async function cachedGet(path, key) {
  try {
    const r = await api('GET', path);
    if (r.ok && r.json) {
      const rec = await cachePut(key, r.json);
      return { data: r.json, savedAt: rec.savedAt, cached: false };
    }
    if (!retryable(r.status)) {
      if (r.status === 404 || r.status === 410) await del('cache', key).catch(() => {});
      return { error: errorOf(r) };
    }
  } catch (e) {
    if (!(e instanceof NetError)) throw e;
  }
  const c = await cacheGet(key);
  return c ? { data: c.value, savedAt: c.savedAt, cached: true } : { miss: true };
}

// Resolve a scanned label code (canonical form): GET /labels/{code}
// -> {label, record, stock, actions}.
export function resolveLabel(code) {
  return cachedGet(`labels/${encodeURIComponent(code)}`, `label:${code}`);
}

export async function cachedLabel(code) {
  const c = await cacheGet(`label:${code}`);
  return c ? { data: c.value, savedAt: c.savedAt, cached: true } : null;
}

export async function getItem(id) {
  const r = await cachedGet(`items/${id}`, `item:${id}`);
  return r.data || null;
}

export async function getDepot(id) {
  const r = await cachedGet(`depots/${id}`, `depot:${id}`);
  return r.data || null;
}

// After the server applied an action: set the cached balances from the
// answer (balance_after), so a scan without network shows the new figure.
export async function applySent(item, result) {
  const m = item.meta || {};
  if (!m.code) return;
  const key = `label:${m.code}`;
  const c = await cacheGet(key);
  if (!c || !c.value || !Array.isArray(c.value.stock)) return;
  const ans = c.value;
  const mv = result && result.json && result.json.movement;
  const setRow = (binId, qty, delta) => {
    let row = ans.stock.find((s) => s.bin_id === binId && s.lot_id === m.lot_id);
    if (!row) {
      if (qty === undefined) return;
      row = { ...(ans.stock[0] || {}), bin_id: binId, lot_id: m.lot_id, qty: 0 };
      if (binId === m.to_bin_id) row.bin_code = m.to_bin_code;
      ans.stock.push(row);
    }
    row.qty = qty !== undefined ? qty : Number(row.qty) + delta;
  };
  if (mv && mv.balance_after !== undefined && mv.balance_after !== null) {
    if (m.kind === 'move') {
      setRow(mv.bin_id, Number(mv.balance_after));
      setRow(m.bin_id, undefined, -Number(m.qty));
    } else {
      setRow(mv.bin_id, Number(mv.balance_after));
    }
  } else if (m.kind === 'issue') setRow(m.bin_id, undefined, -Number(m.qty));
  else if (m.kind === 'receive') setRow(m.bin_id, undefined, Number(m.qty));
  await cachePut(key, ans);
}
