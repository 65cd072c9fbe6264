// scan.mjs -- the scan page: camera and text field on one screen, the scanned
// record in big type, and the actions the server allows for it (issue,
// receive, move to another bin, count), each sent through the queue with its
// own Idempotency-Key.
//
// The text field takes a handheld (keyboard-wedge) scanner's input: it keeps
// the focus whenever no other field has it, and Enter submits.  It accepts
// the label's URL (.../L/<code>) or a bare code.

import { h, clear } from './dom.mjs';
import { t, pick, other, fmtQty, fmtDate, fmtDateTime } from './i18n.mjs';
import { parseCode } from './code.mjs';
import { net } from './api.mjs';
import * as queue from './queue.mjs';
import { resolveLabel, cachedLabel, getDepot, getItem } from './data.mjs';
import { canAct } from './session.mjs';
import * as camera from './camera.mjs';
import * as fb from './feedback.mjs';
import { errorText } from './views.mjs';

const ACTION_ORDER = ['issue', 'receive', 'move', 'count'];

// What the page shows; survives re-rendering (language switch).
const state = {
  code: null,      // canonical code on screen
  res: null,       // {data, savedAt, cached}
  error: null,     // {code, message, ...} of a failed lookup
  sel: null,       // {bin_id, lot_id} chosen (a bin label lists several lots)
  action: null,    // open form: issue | receive | move | count
  outcome: null,   // {type: sent|queued|refused|recount|info, text, item}
  busy: false,
  seq: 0,          // lookups in flight: only the newest one counts
};

let els = null; // the mounted page's elements

// ---------------------------------------------------------------- helpers

function labelOf(data) { return (data && data.label) || {}; }

function rowsOf(data) { return (data && Array.isArray(data.stock)) ? data.stock : []; }

// The lot-in-a-bin the page acts on, from the answer and the selection.
function target(data) {
  const L = labelOf(data);
  const rec = (data && data.record) || {};
  let binId = L.bin_id;
  let lotId = L.lot_id;
  if (L.kind !== 'lot') {
    if (!state.sel) return null;
    binId = state.sel.bin_id;
    lotId = state.sel.lot_id;
  }
  if (binId == null || lotId == null) return null;
  const row = rowsOf(data).find((s) => s.bin_id === binId && s.lot_id === lotId) || {};
  const same = L.kind === 'lot';
  return {
    bin_id: binId,
    lot_id: lotId,
    bin_code: row.bin_code ?? (same || L.kind === 'bin' ? L.bin_code : null),
    depot_id: row.depot_id ?? L.depot_id ?? rec.depot_id ?? null,
    depot_code: row.depot_code ?? L.depot_code ?? null,
    item_id: row.item_id ?? (same ? L.item_id ?? rec.item_id : null),
    item_code: row.item_code ?? (same ? L.item_code : null),
    item_name_zh: row.item_name_zh ?? (same ? L.item_name_zh : null),
    item_name_en: row.item_name_en ?? (same ? L.item_name_en : null),
    lot_no: row.lot_no ?? (same ? L.lot_no ?? rec.lot_no : null),
    expiry_date: row.expiry_date ?? (same ? L.expiry_date ?? rec.expiry_date : null),
    quarantined: !!row.quarantined,
    unit: row.unit ?? rec.unit ?? (rec.item && rec.item.unit) ?? null,
    qty: row.qty !== undefined ? Number(row.qty) : 0,
  };
}

function today() {
  const d = new Date();
  return fmtDate(d);
}

function actionsAllowed(data) {
  if (!canAct()) return [];
  const a = Array.isArray(data && data.actions) ? data.actions : [];
  return ACTION_ORDER.filter((x) => a.includes(x));
}

// On a desktop (a mouse, a handheld scanner on USB) the scanner's field keeps
// the focus.  On a touch screen focusing it would pop up the on-screen
// keyboard over the record after every action; there, keys typed by a
// Bluetooth scanner are steered into the field by the keydown handler.
const finePointer = window.matchMedia ? window.matchMedia('(pointer: fine)') : { matches: true };

function focusScan() {
  if (!els || !els.input || document.activeElement === els.input) return;
  if (finePointer.matches) els.input.focus({ preventScroll: true });
}

// ---------------------------------------------------------------- lookup

const itemMemo = new Map();
function itemInfo(id) {
  if (!itemMemo.has(id)) {
    itemMemo.set(id, getItem(id).catch(() => null).then((it) => {
      if (!it) itemMemo.delete(id);
      return it;
    }));
  }
  return itemMemo.get(id);
}

export async function lookup(text, { silent = false } = {}) {
  const code = parseCode(text);
  if (!code) {
    state.error = { code: 'bad_code_local', message: '' };
    state.res = null;
    state.code = null;
    state.outcome = null;
    state.action = null;
    if (!silent) fb.refusal();
    render();
    return;
  }
  const seq = ++state.seq;
  if (!silent) {
    if (code !== state.code) {
      state.sel = null;
      state.outcome = null;
    }
    state.action = null;
    state.code = code;
    if (location.hash !== `#/scan/${code}`) history.replaceState(null, '', `#/scan/${code}`);
    if (els) {
      clear(els.result).append(h('p', { class: 'muted', 'data-testid': 'scan-loading' },
        t('scan.looking', { code })));
    }
  }
  const r = await resolveLabel(code);
  if (seq !== state.seq) return; // a newer scan came in meanwhile
  if (r.error) {
    state.error = r.error;
    state.res = null;
    if (!silent) fb.refusal();
  } else if (r.miss) {
    state.error = { code: 'offline_unknown', message: '' };
    state.res = null;
    if (!silent) fb.refusal();
  } else {
    state.error = null;
    state.res = r;
    const L = labelOf(r.data);
    if (L.kind !== 'lot' && state.sel &&
        !rowsOf(r.data).some((s) => s.bin_id === state.sel.bin_id && s.lot_id === state.sel.lot_id))
      state.sel = null;
    if (!silent) fb.success();
    // Unit and "whole numbers only" come from the item (cached for offline use).
    const tg = target(r.data);
    if (tg && tg.item_id) {
      itemInfo(tg.item_id).then((it) => {
        if (!it || state.res !== r) return;
        const rec = r.data.record && typeof r.data.record === 'object' ? r.data.record : {};
        const hadUnit = !!tg.unit;
        r.data.record = { ...rec, unit: rec.unit ?? it.unit, integral: it.integral };
        if (!hadUnit && !state.action) render();
      });
    }
  }
  if (silent && state.action) {
    refreshQty();
    return; // keep the open form as it is
  }
  render();
}

// A quiet re-read (after queued actions were sent, or the network came back).
let refreshTimer = null;
function scheduleRefresh() {
  if (!state.code || !net.online) return;
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => { if (state.code && els) lookup(state.code, { silent: true }); }, 400);
}

// ---------------------------------------------------------------- rendering

function render() {
  if (!els) return;
  const root = els.result;
  clear(root);
  if (state.error) {
    root.append(renderError(state.error));
    return;
  }
  if (!state.res) {
    root.append(h('p', { class: 'hint', 'data-testid': 'scan-hint' }, t('scan.hint')));
    return;
  }
  const { data, savedAt, cached } = state.res;
  if (cached) {
    root.append(h('p', { class: 'banner banner-offline', role: 'status', 'data-testid': 'offline-banner' },
      h('span', { class: 'sym', 'aria-hidden': 'true' }, '⚠'), ' ',
      t('scan.offlineLastKnown', { time: fmtDateTime(savedAt) })));
  }
  const L = labelOf(data);
  if (L.kind === 'lot') root.append(renderTarget(data));
  else if (L.kind === 'bin') root.append(renderBin(data));
  else root.append(renderOther(data));
}

function renderError(err) {
  const box = h('div', { class: 'notice notice-refused', role: 'alert', 'data-testid': 'scan-error' },
    h('p', { class: 'notice-title' }, h('span', { class: 'sym', 'aria-hidden': 'true' }, '✖'), ' ',
      t('scan.notFoundTitle')),
    h('p', {}, errorText(err)));
  if (err.code === 'label_void' && err.replaced_by) {
    box.append(h('button', { class: 'btn', type: 'button', onclick: () => lookup(err.replaced_by) },
      t('scan.openReplacement', { code: err.replaced_by })));
  }
  return box;
}

function factRow(label, value, extra) {
  return [h('dt', {}, label), h('dd', {}, value, extra || null)];
}

function expiryNote(d) {
  if (!d) return null;
  if (d < today()) {
    return h('span', { class: 'tag tag-bad' }, h('span', { 'aria-hidden': 'true' }, '✖'), ' ', t('scan.expired'));
  }
  return null;
}

function renderTarget(data) {
  const tg = target(data);
  const wrap = h('section', { class: 'record', 'data-testid': 'record' });
  if (!tg) return wrap;
  const otherName = other(tg.item_name_zh, tg.item_name_en);
  wrap.append(
    h('h2', { class: 'item-name', 'data-testid': 'item-name' }, pick(tg.item_name_zh, tg.item_name_en)),
    otherName ? h('p', { class: 'item-other', lang: document.documentElement.lang === 'en' ? 'zh-CN' : 'en' }, otherName) : null,
    h('dl', { class: 'facts' },
      factRow(t('field.lot'), h('span', { 'data-testid': 'lot-no' }, tg.lot_no || '—')),
      factRow(t('field.expiry'), h('span', { 'data-testid': 'expiry' }, tg.expiry_date || '—'), expiryNote(tg.expiry_date)),
      factRow(t('field.place'), h('span', { 'data-testid': 'place' }, `${tg.depot_code || ''} / ${tg.bin_code || ''}`)),
      tg.quarantined ? factRow(t('field.status'), h('span', { class: 'tag tag-bad' }, '✖ ', t('scan.quarantined'))) : null));
  if (state.action !== 'count') {
    const qtyEl = h('p', { class: 'onhand-qty', 'data-testid': 'onhand' }, fmtQty(tg.qty, tg.unit));
    const pendEl = h('p', { class: 'pending-note', 'data-testid': 'pending-note', hidden: true });
    wrap.append(h('div', { class: 'onhand' }, h('p', { class: 'onhand-label' }, t('field.onHand')), qtyEl, pendEl));
    els.qty = { qtyEl, pendEl };
    refreshQty();
  } else {
    els.qty = null;
  }
  const allowed = actionsAllowed(data);
  if (allowed.length) {
    wrap.append(h('div', { class: 'actions', role: 'group', 'aria-label': t('scan.actions') },
      allowed.map((a) => h('button', {
        type: 'button',
        class: ['btn', 'btn-action', state.action === a ? 'active' : ''],
        'data-action': a,
        'aria-pressed': state.action === a ? 'true' : 'false',
        onclick: () => openForm(a),
      }, t(`action.${a}`)))));
  } else if (!canAct()) {
    wrap.append(h('p', { class: 'muted' }, t('scan.readOnly')));
  }
  if (state.action) wrap.append(renderForm(state.action, tg));
  if (state.outcome) wrap.append(renderOutcome(state.outcome));
  return wrap;
}

function renderBin(data) {
  const L = labelOf(data);
  const rows = rowsOf(data);
  const wrap = h('section', { class: 'record', 'data-testid': 'record' },
    h('h2', { class: 'item-name', 'data-testid': 'bin-title' }, t('scan.binTitle', { bin: L.bin_code || '', depot: L.depot_code || '' })));
  if (!rows.length) wrap.append(h('p', { class: 'muted' }, t('scan.binEmpty')));
  const list = h('ul', { class: 'pick-list' });
  for (const r of rows) {
    const chosen = state.sel && state.sel.bin_id === r.bin_id && state.sel.lot_id === r.lot_id;
    list.append(h('li', {}, h('button', {
      type: 'button', class: ['pick', chosen ? 'active' : ''], 'aria-pressed': chosen ? 'true' : 'false',
      onclick: () => {
        state.sel = { bin_id: r.bin_id, lot_id: r.lot_id };
        state.action = null;
        state.outcome = null;
        render();
        const chosenEl = els && els.result.querySelector('.record .record');
        if (chosenEl) chosenEl.scrollIntoView({ block: 'start', behavior: 'smooth' });
      },
    }, h('span', { class: 'pick-name' }, pick(r.item_name_zh, r.item_name_en)),
    h('span', { class: 'pick-sub' }, `${t('field.lot')} ${r.lot_no} · ${t('field.expiry')} ${r.expiry_date || '—'}`),
    // A blind count: no recorded quantities on the page while counting.
    state.action === 'count' ? null : h('span', { class: 'pick-qty' }, fmtQty(r.qty, r.unit)))));
  }
  wrap.append(list);
  if (state.sel) wrap.append(renderTarget(data));
  return wrap;
}

function renderOther(data) {
  const L = labelOf(data);
  const rec = data.record || {};
  const wrap = h('section', { class: 'record', 'data-testid': 'record' });
  if (L.kind === 'depot') {
    wrap.append(h('h2', { class: 'item-name' }, pick(rec.name_zh, rec.name_en) || L.depot_code || ''),
      h('p', {}, h('a', { class: 'btn', href: `#/stock/${encodeURIComponent(L.depot_code || L.depot_id)}` }, t('scan.depotStock'))));
  } else {
    wrap.append(h('h2', { class: 'item-name' }, pick(L.item_name_zh, L.item_name_en) || t(`kind.${L.kind}`)),
      h('dl', { class: 'facts' },
        factRow(t('field.kind'), t(`kind.${L.kind}`)),
        L.serial_no ? factRow(t('field.serial'), L.serial_no) : null,
        rec.status ? factRow(t('field.status'), String(rec.status)) : null,
        factRow(t('field.place'), `${L.depot_code || ''}${L.bin_code ? ' / ' + L.bin_code : ''}`)));
  }
  return wrap;
}

// The figure on hand: last known balance + what this device still has to send.
async function refreshQty() {
  if (!els || !els.qty || !state.res) return;
  const { qtyEl, pendEl } = els.qty;
  const c = state.code ? await cachedLabel(state.code) : null;
  const data = (c && c.data) || state.res.data;
  const tg = target(data);
  if (!tg || !els.qty || els.qty.qtyEl !== qtyEl) return;
  const list = await queue.items();
  const { delta, count } = queue.pendingDelta(list, tg.bin_id, tg.lot_id);
  qtyEl.textContent = fmtQty(tg.qty + delta, tg.unit);
  qtyEl.classList.toggle('pending', count > 0);
  if (count > 0) {
    pendEl.hidden = false;
    pendEl.textContent = `◷ ${t('scan.pendingNote', { n: count, delta: (delta > 0 ? '+' : delta < 0 ? '−' : '±') + fmtQty(Math.abs(delta), tg.unit) })}`;
  } else {
    pendEl.hidden = true;
    pendEl.textContent = '';
  }
}

// ---------------------------------------------------------------- actions

function openForm(a) {
  state.action = state.action === a ? null : a;
  state.outcome = null;
  render();
  const q = els.result.querySelector('input[name="qty"]');
  if (q) q.focus();
  else focusScan();
}

function renderForm(kind, tg) {
  const unit = tg.unit || '';
  const qtyId = `qty-${kind}`;
  const errEl = h('p', { class: 'field-error', role: 'alert', 'data-testid': 'form-error', hidden: true });
  const qtyInput = h('input', {
    id: qtyId, name: 'qty', type: 'text', inputmode: 'decimal', autocomplete: 'off',
    required: true, 'aria-describedby': `${qtyId}-unit`, class: 'qty-input', 'data-testid': 'qty-input',
  });
  let binSelect = null;
  const fields = [
    h('label', { for: qtyId, class: 'field-label' }, t(kind === 'count' ? 'form.countedQty' : 'form.qty')),
    h('div', { class: 'qty-row' }, qtyInput, h('span', { id: `${qtyId}-unit`, class: 'unit' }, unit)),
  ];
  if (kind === 'count') fields.unshift(h('p', { class: 'muted' }, t('form.countHint')));
  if (kind === 'move') {
    binSelect = h('select', { id: 'to-bin', name: 'to_bin', required: true, 'data-testid': 'to-bin' },
      h('option', { value: '' }, t('form.loadingBins')));
    fields.push(h('label', { for: 'to-bin', class: 'field-label' }, t('form.toBin')), binSelect);
    loadBins(tg, binSelect);
  }
  const submitBtn = h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'submit-action' },
    t(`form.submit.${kind}`));
  const form = h('form', {
    class: 'action-form', 'data-testid': `form-${kind}`, novalidate: true,
    onsubmit: (e) => { e.preventDefault(); submitForm(kind, tg, qtyInput, binSelect, errEl, submitBtn); },
  }, h('h3', {}, t(`action.${kind}`)), fields, errEl,
  h('div', { class: 'form-buttons' }, submitBtn,
    h('button', { type: 'button', class: 'btn', onclick: () => { state.action = null; render(); focusScan(); } }, t('form.cancel'))));
  return form;
}

async function loadBins(tg, select) {
  const depot = tg.depot_id ? await getDepot(tg.depot_id) : null;
  clear(select);
  const bins = depot && Array.isArray(depot.bins)
    ? depot.bins.filter((b) => b.id !== tg.bin_id && b.active !== false) : [];
  if (!bins.length) {
    select.append(h('option', { value: '' }, t(depot ? 'form.noOtherBins' : 'form.binsUnavailable')));
    return;
  }
  select.append(h('option', { value: '' }, t('form.chooseBin')));
  for (const b of bins) select.append(h('option', { value: String(b.id), 'data-code': b.code }, b.name ? `${b.code} — ${b.name}` : b.code));
}

function parseQty(text) {
  // Full-width digits (a Chinese input method) count as digits; a comma only
  // as a thousands separator ("1,250"), never as a decimal point.
  let s = String(text).trim().replace(/\s/g, '').replace(/[\uFF10-\uFF19\uFF0E\uFF0C]/g,
    (c) => String.fromCharCode(c.charCodeAt(0) - 0xFEE0));
  if (s.includes(',')) {
    if (!/^\d{1,3}(,\d{3})+(\.\d+)?$/.test(s)) return null;
    s = s.replace(/,/g, '');
  }
  if (!/^\d+(\.\d{1,3})?$/.test(s)) return null;
  return Number(s);
}

async function submitForm(kind, tg, qtyInput, binSelect, errEl, submitBtn) {
  if (state.busy) return;
  const showErr = (msg) => { errEl.hidden = false; errEl.textContent = msg; fb.refusal(); };
  // A handheld scanner fired into the quantity field: take it as a new scan.
  if (parseQty(qtyInput.value) === null && parseCode(qtyInput.value)) {
    const code = qtyInput.value;
    qtyInput.value = '';
    lookup(code);
    return;
  }
  const qty = parseQty(qtyInput.value);
  if (qty === null || (kind !== 'count' && qty <= 0)) {
    showErr(t('form.badQty'));
    qtyInput.focus();
    return;
  }
  const rec = (state.res && state.res.data && state.res.data.record) || {};
  if (rec.integral && !Number.isInteger(qty)) {
    showErr(t('form.wholeOnly', { unit: tg.unit || '' }));
    return;
  }
  let toBin = null;
  let toBinCode = null;
  if (kind === 'move') {
    toBin = Number(binSelect.value);
    if (!toBin) { showErr(t('form.chooseBinFirst')); binSelect.focus(); return; }
    toBinCode = binSelect.selectedOptions[0] ? binSelect.selectedOptions[0].dataset.code : null;
  }
  const occurred = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  let path = 'movements';
  let body;
  switch (kind) {
    case 'issue': body = { kind, bin_id: tg.bin_id, lot_id: tg.lot_id, qty, occurred_at: occurred }; break;
    case 'receive': body = { kind, bin_id: tg.bin_id, item_id: tg.item_id, lot_id: tg.lot_id, qty, occurred_at: occurred }; break;
    case 'move': body = { kind, bin_id: tg.bin_id, to_bin_id: toBin, lot_id: tg.lot_id, qty, occurred_at: occurred }; break;
    case 'count': path = 'stocktakes'; body = { bin_id: tg.bin_id, lot_id: tg.lot_id, counted_qty: qty }; break;
    default: return;
  }
  const meta = {
    kind, code: state.code, qty, unit: tg.unit, bin_id: tg.bin_id, bin_code: tg.bin_code,
    to_bin_id: toBin, to_bin_code: toBinCode, lot_id: tg.lot_id, lot_no: tg.lot_no,
    item_id: tg.item_id, item_name_zh: tg.item_name_zh, item_name_en: tg.item_name_en,
    depot_code: tg.depot_code,
  };
  state.busy = true;
  submitBtn.disabled = true;
  let res;
  try {
    res = await queue.submit({ method: 'POST', path, body, meta });
  } finally {
    state.busy = false;
  }
  state.action = null;
  state.outcome = outcomeOf(res, meta);
  if (state.outcome.type === 'refused') fb.refusal();
  else if (state.outcome.type === 'queued') fb.queued();
  else fb.success();
  render();
  focusScan();
  if (res.sent) scheduleRefresh();
}

function outcomeOf(res, meta) {
  const what = { qty: fmtQty(meta.qty, meta.unit), bin: meta.to_bin_code || '' };
  if (res.sent) {
    const j = (res.result && res.result.json) || {};
    if (meta.kind === 'count') {
      const st = j.stocktake || {};
      if (res.result.status === 202 || st.status === 'recount_required')
        return { type: 'recount', text: t('done.recount') };
      return { type: 'sent', text: t('done.count') };
    }
    const mv = j.movement || {};
    const bal = mv.balance_after !== undefined && mv.balance_after !== null && meta.kind !== 'move'
      ? t('done.balance', { qty: fmtQty(mv.balance_after, meta.unit) }) : '';
    return { type: 'sent', text: `${t(`done.${meta.kind}`, what)}${bal}` };
  }
  if (res.refused) return { type: 'refused', item: res.item };
  return { type: 'queued', text: t('done.queued', { action: t(`action.${meta.kind}`), ...what }) };
}

function renderOutcome(o) {
  if (o.type === 'refused') {
    const it = o.item;
    return h('div', { class: 'notice notice-refused', role: 'alert', 'data-testid': 'outcome' },
      h('p', { class: 'notice-title' }, h('span', { class: 'sym', 'aria-hidden': 'true' }, '✖'), ' ', t('done.refused')),
      h('p', { 'data-testid': 'refusal-reason' }, errorText(it.error || {})),
      h('p', { class: 'muted' }, t('done.refusedKept')),
      h('div', { class: 'form-buttons' },
        h('button', { type: 'button', class: 'btn', onclick: async () => {
          await queue.retry(it.id);
          const left = (await queue.items()).find((x) => x.id === it.id);
          state.outcome = !left ? { type: 'sent', text: t('done.retried') }
            : left.status === 'refused' ? { type: 'refused', item: left }
              : { type: 'queued', text: t('queue.waiting') };
          if (!left) { fb.success(); scheduleRefresh(); } else if (left.status === 'refused') fb.refusal();
          render();
        } }, t('queue.retry')),
        h('button', { type: 'button', class: 'btn', onclick: async () => {
          await queue.discard(it.id);
          state.outcome = { type: 'info', text: t('queue.discarded') };
          render();
          focusScan();
        } }, t('queue.discard'))));
  }
  const sym = { sent: '✓', queued: '◷', recount: '⚠', info: 'ℹ' }[o.type] || '';
  return h('div', { class: `notice notice-${o.type}`, role: 'status', 'data-testid': 'outcome' },
    h('p', {}, h('span', { class: 'sym', 'aria-hidden': 'true' }, sym), ' ', o.text));
}

// ---------------------------------------------------------------- camera

async function toggleCamera() {
  if (camera.running()) {
    camera.stop();
    renderCamera();
    focusScan();
    return;
  }
  els.camStatus.textContent = t('camera.starting');
  try {
    await camera.start((text) => {
      if (els) els.input.value = text;
      lookup(text);
    });
    renderCamera();
  } catch (e) {
    camera.stop();
    renderCamera();
    const key = e && e.name === 'NotAllowedError' ? 'camera.denied'
      : e && e.name === 'NotFoundError' ? 'camera.none' : 'camera.failed';
    els.camStatus.textContent = t(key);
    fb.refusal();
  }
}

function renderCamera() {
  if (!els) return;
  const on = camera.running();
  els.camBtn.textContent = t(on ? 'camera.stop' : 'camera.start');
  els.camBtn.setAttribute('aria-pressed', on ? 'true' : 'false');
  els.camBox.classList.toggle('on', on);
  els.camStatus.textContent = on ? t('camera.running') : (camera.supported() ? '' : t('camera.unsupported'));
  if (on && camera.video.parentNode !== els.camBox) els.camBox.prepend(camera.video);
}

// ---------------------------------------------------------------- page

export function mountScan(main, params) {
  const input = h('input', {
    id: 'scan-input', name: 'code', type: 'text', autocomplete: 'off', autocapitalize: 'characters',
    spellcheck: 'false', enterkeyhint: 'go', 'data-testid': 'scan-input', class: 'scan-input',
  });
  const camBtn = h('button', { type: 'button', class: 'btn btn-camera', 'data-testid': 'camera-toggle', onclick: () => toggleCamera() });
  const camStatus = h('p', { class: 'cam-status', role: 'status', 'data-testid': 'camera-status' });
  const camBox = h('div', { class: 'camera-box' });
  const result = h('div', { class: 'result', 'aria-live': 'polite', 'data-testid': 'scan-result' });
  const form = h('form', {
    class: 'scan-form', role: 'search', onsubmit: (e) => {
      e.preventDefault();
      const v = input.value;
      input.value = '';
      if (v.trim()) lookup(v);
    },
  }, h('label', { for: 'scan-input', class: 'field-label' }, t('scan.inputLabel')),
  h('div', { class: 'scan-row' }, input, h('button', { type: 'submit', class: 'btn btn-primary' }, t('scan.find'))));
  const page = h('div', { class: 'scan-page' },
    h('div', { class: 'scan-tools' }, h('h1', { class: 'page-title' }, t('scan.title')), form,
      h('div', { class: 'camera' }, camBox, camBtn, camStatus)),
    result);
  main.append(page);
  els = { input, camBtn, camStatus, camBox, result, qty: null };
  renderCamera();

  // Keep the scanner's field focused while no other field is in use.
  const onKey = (e) => {
    const a = document.activeElement;
    const inField = a && (a.tagName === 'INPUT' || a.tagName === 'SELECT' || a.tagName === 'TEXTAREA');
    if (!inField && e.key.length === 1 && !e.ctrlKey && !e.metaKey && !e.altKey) input.focus();
  };
  document.addEventListener('keydown', onKey, true);
  const onQueue = () => refreshQty();
  const onSent = () => scheduleRefresh();
  const onNet = () => {
    if (state.res && state.res.cached && net.online) scheduleRefresh();
  };
  queue.queueEvents.addEventListener('change', onQueue);
  queue.queueEvents.addEventListener('sent', onSent);
  net.addEventListener('change', onNet);

  const wanted = params && params[0] ? decodeURIComponent(params[0]) : null;
  if (wanted && parseCode(wanted) !== state.code) lookup(wanted);
  else render();
  focusScan();

  return () => {
    document.removeEventListener('keydown', onKey, true);
    queue.queueEvents.removeEventListener('change', onQueue);
    queue.queueEvents.removeEventListener('sent', onSent);
    net.removeEventListener('change', onNet);
    els = null;
  };
}

// Leaving the scan page (not a re-render): let the camera go.
export function leaveScan() {
  camera.stop();
}
