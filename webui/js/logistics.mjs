// logistics.mjs -- emergency events, supply requests and dispatches
// (docs/logistics.md).
//
// Desktop pages (sent at once through call(), each with its own
// Idempotency-Key): #/events[/<code>] (the event report, exportable),
// #/requests[/<id>] (ask; the city approves in full or part, refuses, and
// allocates from the suggestion, overriding a source's standard only with a
// reason), #/dispatches[/<id>] (the state of every line and pick).
//
// Phone pages: #/pick/<id> and #/dreceive/<id>.  Every scan goes through the
// offline queue (queue.mjs) like the scan page: with no network the action
// waits in the queue with its Idempotency-Key and is sent later.  The pick
// list is kept in the browser's cache, so a scan is checked against the list
// offline too: a label that is not on it is refused at once, naming what the
// list wants; the server checks again when the action arrives.  The camera
// of the scan page (camera.mjs) reads labels too, where the phone allows it.

import { h, clear, append } from './dom.mjs';
import { t, pick, fmtQty, fmtNum, fmtDate, fmtDateTime } from './i18n.mjs';
import { call } from './api.mjs';
import { cacheGet, cachePut } from './idb.mjs';
import * as queue from './queue.mjs';
import { parseCode, extractCode } from './code.mjs';
import { currentUser } from './session.mjs';
import { go } from './router.mjs';
import { errorText, toast } from './views.mjs';
import * as fb from './feedback.mjs';
import * as camera from './camera.mjs';

const add = (el, ...children) => append(el, children);
const errText = (r) => (r.status === 0 ? t('lg.offline') : errorText(r.error));
const isCity = (u) => u && (u.role === 'city_auditor' || u.role === 'admin');
const num = (v) => Number(v || 0);

function errBox() {
  const el = h('p', { class: 'field-error', role: 'alert', 'data-testid': 'lg-error', hidden: true });
  el.show = (text) => { el.hidden = !text; el.textContent = text || ''; };
  return el;
}

function table(cols, rows, rowAttrs = () => ({})) {
  return h('div', { class: 'table-wrap' }, h('table', { class: 'data-table' },
    h('thead', {}, h('tr', {}, cols.map((c) => h('th', { scope: 'col' }, c.title)))),
    h('tbody', {}, rows.map((r, i) => h('tr', rowAttrs(r, i), cols.map((c) => h('td', {}, c.cell(r))))))));
}

function statusTag(kind, status) {
  return h('span', { class: ['tag', `lg-${status}`], 'data-testid': `${kind}-status`, 'data-status': status },
    t(`lg.${kind}.${status}`));
}

function field(label, input) {
  return h('label', { class: 'filter-field' }, h('span', { class: 'field-label' }, label), input);
}

// One entry in the main navigation (it is full on a phone); the three desk
// pages reach each other through these tabs.
function tabs(active) {
  const user = currentUser();
  const desk = user && user.role !== 'warehouse';
  const tab = (name) => h('a', { href: `#/${name}`, class: ['btn', 'btn-small', active === name ? 'btn-primary' : ''],
    'aria-current': active === name ? 'page' : null, 'data-testid': `lg-tab-${name}` }, t(`lg.nav.${name}`));
  return h('nav', { class: 'toolbar lg-tabs', 'aria-label': t('lg.nav.logistics') },
    desk ? [tab('events'), tab('requests')] : null, tab('dispatches'));
}

// ---------------------------------------------------------------- events

export function mountEvents(main, params) {
  const user = currentUser();
  const err = errBox();
  const body = h('div', {});
  main.append(h('section', { class: 'lg-page' }, tabs('events'), h('h1', { class: 'page-title' }, t('lg.events.title')), err, body));
  if (params && params[0]) { eventDetail(body, err, decodeURIComponent(params[0])); return () => {}; }

  (async () => {
    const r = await call('GET', 'events?limit=200');
    if (!r.ok) { err.show(errText(r)); return; }
    const items = r.json.items || [];
    add(body, items.length ? table([
      { title: t('lg.events.code'), cell: (e) => h('a', { href: `#/events/${encodeURIComponent(e.code)}` }, e.code) },
      { title: t('lg.events.name'), cell: (e) => pick(e.name_zh, e.name_en) },
      { title: t('lg.events.kind'), cell: (e) => t(`lg.kind.${e.kind}`) },
      { title: t('lg.events.dates'), cell: (e) => `${fmtDate(e.started_on)} – ${e.ended_on ? fmtDate(e.ended_on) : ''}` },
      { title: t('lg.events.status'), cell: (e) => statusTag('event', e.status) },
      { title: t('lg.nav.requests'), cell: (e) => fmtNum(e.requests) },
      { title: t('lg.nav.dispatches'), cell: (e) => fmtNum(e.dispatches) },
    ], items) : h('p', { class: 'muted' }, t('lg.events.none')));
    if (isCity(user)) add(body, eventForm(err));
  })();
  return () => {};
}

function eventForm(err) {
  const code = h('input', { name: 'code', required: true, 'data-testid': 'event-code', maxlength: 32 });
  const nameZh = h('input', { name: 'name_zh', required: true, 'data-testid': 'event-name' });
  const kind = h('select', { name: 'kind', 'data-testid': 'event-kind' },
    ['typhoon', 'flood', 'forest_fire', 'other'].map((k) => h('option', { value: k }, t(`lg.kind.${k}`))));
  const started = h('input', { type: 'date', name: 'started_on', required: true, value: fmtDate(new Date()) });
  const places = h('input', { name: 'places', placeholder: '441900101 441900102' });
  return h('form', {
    class: 'card lg-form', 'data-testid': 'event-form',
    onsubmit: async (e) => {
      e.preventDefault();
      const r = await call('POST', 'events', {
        code: code.value.trim(), name_zh: nameZh.value.trim(), kind: kind.value, started_on: started.value,
        places: places.value.split(/[\s,\uFF0C]+/).filter(Boolean) });
      if (!r.ok) { err.show(errText(r)); return; }
      toast(t('lg.events.created', { code: r.json.code }), 'sent');
      go('events', r.json.code);
    },
  }, h('h2', {}, t('lg.events.new')),
  h('div', { class: 'filters' }, field(t('lg.events.code'), code), field(t('lg.events.name'), nameZh),
    field(t('lg.events.kind'), kind), field(t('lg.events.started'), started), field(t('lg.events.places'), places)),
  h('div', { class: 'form-buttons' }, h('button', { type: 'submit', class: 'btn btn-primary' }, t('lg.events.create'))));
}

async function eventDetail(body, err, code) {
  const user = currentUser();
  const r = await call('GET', `events/${encodeURIComponent(code)}/report`);
  if (!r.ok) { err.show(errText(r)); return; }
  const ev = r.json.event;
  const base = `/api/v1/events/${encodeURIComponent(code)}/report`;
  add(body,
    h('div', { class: 'card' },
      h('h2', {}, pick(ev.name_zh, ev.name_en), ' ', statusTag('event', ev.status)),
      h('p', {}, `${t(`lg.kind.${ev.kind}`)} · ${fmtDate(ev.started_on)} – ${ev.ended_on ? fmtDate(ev.ended_on) : ''}`),
      h('p', {}, t('lg.events.places'), ': ', (ev.places || []).map((p) => pick(p.name_zh, p.name_en)).join(t('lg.listSep'))),
      h('p', { class: 'toolbar' },
        h('a', { class: 'btn btn-small', href: `${base}?format=csv`, 'data-testid': 'event-csv', download: '' }, t('lg.export.csv')),
        h('a', { class: 'btn btn-small', href: `${base}?format=xlsx`, download: '' }, t('lg.export.xlsx')),
        h('a', { class: 'btn btn-small', href: `#/requests/ev/${encodeURIComponent(code)}` }, t('lg.nav.requests')),
        isCity(user) && ev.status === 'active' ? h('button', {
          type: 'button', class: 'btn btn-small', 'data-testid': 'event-close',
          onclick: async () => {
            const x = await call('PATCH', `events/${encodeURIComponent(code)}`, { status: 'closed' });
            if (!x.ok) { err.show(errText(x)); return; }
            go('events', code);
          } }, t('lg.events.close')) : null)),
    h('h2', {}, t('lg.report.title')),
    (r.json.rows || []).length ? table([
      { title: t('lg.report.day'), cell: (x) => fmtDate(x.day) },
      { title: t('lg.report.place'), cell: (x) => pick(x.org_unit_name_zh, x.org_unit_name_en) },
      { title: t('lg.report.depot'), cell: (x) => x.depot_code },
      { title: t('lg.report.item'), cell: (x) => `${x.item_code} ${pick(x.item_name_zh, x.item_name_en)}` },
      { title: t('lg.report.kind'), cell: (x) => t(`lg.mv.${x.kind}`) },
      { title: t('lg.report.qty'), cell: (x) => fmtQty(x.qty, x.unit) },
    ], r.json.rows) : h('p', { class: 'muted' }, t('lg.report.none')));
}

// ---------------------------------------------------------------- requests

export function mountRequests(main, params) {
  const err = errBox();
  const body = h('div', {});
  main.append(h('section', { class: 'lg-page' }, tabs('requests'), h('h1', { class: 'page-title' }, t('lg.requests.title')), err, body));
  if (params && params[0] && /^\d+$/.test(params[0])) requestDetail(body, err, params[0]);
  else requestList(body, err, params && params[0] === 'ev' ? decodeURIComponent(params[1] || '') : null);
  return () => {};
}

async function requestList(body, err, ev) {
  const user = currentUser();
  const r = await call('GET', `requests?limit=200${ev ? `&event=${encodeURIComponent(ev)}` : ''}`);
  if (!r.ok) { err.show(errText(r)); return; }
  const items = r.json.items || [];
  add(body, items.length ? table([
    { title: '#', cell: (q) => h('a', { href: `#/requests/${q.id}`, 'data-testid': 'request-link' }, String(q.id)) },
    { title: t('lg.requests.unit'), cell: (q) => pick(q.org_unit_name_zh, q.org_unit_name_en) },
    { title: t('lg.requests.purpose'), cell: (q) => (q.event_code ? `${t('lg.purpose.event')} ${q.event_code}` : t('lg.purpose.replenishment')) },
    { title: t('lg.requests.status'), cell: (q) => statusTag('request', q.status) },
    { title: t('lg.requests.created'), cell: (q) => fmtDateTime(q.created_at) },
  ], items) : h('p', { class: 'muted' }, t('lg.requests.none')));
  if (user && (user.role === 'town_official' || user.role === 'admin')) add(body, await requestForm(err));
}

async function requestForm(err) {
  const evs = await call('GET', 'events?status=active&limit=200');
  const event = h('select', { name: 'event', 'data-testid': 'request-event' },
    h('option', { value: '' }, t('lg.purpose.replenishment')),
    ((evs.ok && evs.json.items) || []).map((e) => h('option', { value: e.code }, `${e.code} ${pick(e.name_zh, e.name_en)}`)));
  const reason = h('input', { name: 'reason', 'data-testid': 'request-reason' });
  const lines = h('div', { class: 'lg-lines' });
  const addLine = () => lines.append(h('div', { class: 'qty-row lg-line' },
    h('input', { name: 'item', placeholder: t('lg.requests.itemCode'), 'data-testid': 'request-item', class: 'lg-item' }),
    h('input', { name: 'qty', type: 'number', min: '0', step: 'any', placeholder: t('lg.qty'), 'data-testid': 'request-qty', class: 'lg-qty' })));
  addLine();
  return h('form', {
    class: 'card lg-form', 'data-testid': 'request-form',
    onsubmit: async (e) => {
      e.preventDefault();
      const ls = [...lines.querySelectorAll('.lg-line')].map((l) => ({
        item: l.querySelector('.lg-item').value.trim(), qty: Number(l.querySelector('.lg-qty').value) }))
        .filter((l) => l.item);
      const b = { purpose: event.value ? 'event' : 'replenishment', lines: ls };
      if (event.value) b.event = event.value;
      if (reason.value.trim()) b.reason = reason.value.trim();
      const r = await call('POST', 'requests', b);
      if (!r.ok) { err.show(errText(r)); return; }
      toast(t('lg.requests.sent'), 'sent');
      go('requests', String(r.json.id));
    },
  }, h('h2', {}, t('lg.requests.new')),
  h('div', { class: 'filters' }, field(t('lg.requests.purpose'), event), field(t('lg.requests.reason'), reason)),
  lines,
  h('div', { class: 'form-buttons' },
    h('button', { type: 'button', class: 'btn', onclick: addLine }, t('lg.requests.addLine')),
    h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'request-submit' }, t('lg.requests.submit'))));
}

async function requestDetail(body, err, id) {
  const user = currentUser();
  const r = await call('GET', `requests/${id}`);
  if (!r.ok) { err.show(errText(r)); return; }
  const q = r.json;
  clear(body);
  const approveInputs = new Map();
  add(body, h('div', { class: 'card' },
    h('h2', {}, `#${q.id} ${pick(q.org_unit_name_zh, q.org_unit_name_en)} `, statusTag('request', q.status)),
    h('p', {}, q.event_code ? `${t('lg.purpose.event')}: ${q.event_code} ${q.event_name_zh || ''}` : t('lg.purpose.replenishment')),
    q.reason ? h('p', {}, `${t('lg.requests.reason')}: ${q.reason}`) : null,
    q.decision_reason ? h('p', {}, `${t('lg.requests.decision')}: ${q.decision_reason}`) : null,
    table([
      { title: t('lg.report.item'), cell: (l) => `${l.item_code} ${pick(l.item_name_zh, l.item_name_en)}` },
      { title: t('lg.requests.asked'), cell: (l) => fmtQty(l.qty_requested, l.unit) },
      { title: t('lg.requests.approved'), cell: (l) => {
        if (q.status === 'submitted' && isCity(user)) {
          const inp = h('input', { type: 'number', min: '0', step: 'any', value: String(num(l.qty_requested)),
            class: 'qty-input', 'data-testid': `approve-qty-${l.item_code}` });
          approveInputs.set(l.id, inp);
          return inp;
        }
        return l.qty_approved === null ? '—' : fmtQty(l.qty_approved, l.unit);
      } },
      { title: t('lg.requests.allocated'), cell: (l) => fmtQty(l.qty_allocated, l.unit) },
      { title: t('lg.requests.shipped'), cell: (l) => fmtQty(l.qty_shipped, l.unit) },
      { title: t('lg.requests.received'), cell: (l) => fmtQty(l.qty_received_good, l.unit) },
    ], q.lines || []),
    (q.dispatch_list || []).length ? h('p', {}, t('lg.nav.dispatches'), ': ',
      q.dispatch_list.map((d) => [h('a', { href: `#/dispatches/${d.id}` }, `#${d.id}`), ' ', t(`lg.dispatch.${d.status}`), ' '])) : null));

  const reason = h('input', { name: 'reason', 'data-testid': 'decide-reason' });
  const act = async (path, b) => {
    const x = await call('POST', path, b);
    if (!x.ok) { err.show(errText(x)); return; }
    requestDetail(body, err, id);
  };
  if (q.status === 'submitted' && isCity(user)) {
    add(body, h('div', { class: 'card lg-form' }, field(t('lg.requests.decisionReason'), reason),
      h('div', { class: 'form-buttons' },
        h('button', { type: 'button', class: 'btn btn-primary', 'data-testid': 'request-approve', onclick: () => act(`requests/${id}/decide`, {
          decision: 'approve', ...(reason.value.trim() ? { reason: reason.value.trim() } : {}),
          lines: [...approveInputs].map(([lid, inp]) => ({ line_id: lid, qty_approved: Number(inp.value) })) }) }, t('lg.requests.approve')),
        h('button', { type: 'button', class: 'btn', 'data-testid': 'request-refuse', onclick: () => act(`requests/${id}/decide`, {
          decision: 'refuse', reason: reason.value.trim() }) }, t('lg.requests.refuse')))));
  }
  if ((q.status === 'submitted' || q.status === 'draft') && user && (user.role === 'town_official' || user.role === 'admin')) {
    add(body, h('div', { class: 'form-buttons' },
      q.status === 'draft' ? h('button', { type: 'button', class: 'btn', onclick: () => act(`requests/${id}/submit`) }, t('lg.requests.submit')) : null,
      h('button', { type: 'button', class: 'btn', 'data-testid': 'request-cancel', onclick: () => act(`requests/${id}/cancel`, {}) }, t('lg.requests.cancel'))));
  }
  if ((q.status === 'approved' || q.status === 'partially_approved') && isCity(user)) await allocation(body, err, q);
}

// The suggestion, editable: a quantity per candidate source; taking a source
// below its standard needs a reason (the override is recorded).
async function allocation(body, err, q) {
  const r = await call('GET', `requests/${q.id}/suggest`);
  if (!r.ok) { err.show(errText(r)); return; }
  const rows = [];
  const box = h('div', { class: 'card lg-alloc', 'data-testid': 'allocation' }, h('h2', {}, t('lg.alloc.title')),
    h('p', { class: 'muted' }, t('lg.alloc.rule')));
  for (const l of r.json.lines) {
    const sug = new Map(l.suggested.map((s) => [s.depot_id, num(s.qty)]));
    add(box, h('h3', {}, `${l.item_code} ${l.item_name_zh} — ${t('lg.alloc.open')} ${fmtQty(l.qty_open, l.unit)}`,
      num(l.shortfall) > 0 ? h('span', { class: 'tag tag-bad' }, ` ${t('lg.alloc.shortfall')} ${fmtQty(l.shortfall, l.unit)}`) : null));
    add(box, table([
      { title: t('lg.report.depot'), cell: (c) => `${c.depot_code} ${c.depot_name_zh}` },
      { title: t('lg.alloc.distance'), cell: (c) => (c.distance_km === null ? '—' : `${fmtNum(Math.round(num(c.distance_km) * 10) / 10)} km`) },
      { title: t('lg.alloc.free'), cell: (c) => fmtQty(c.free, l.unit) },
      { title: t('lg.alloc.standard'), cell: (c) => (c.has_standard ? fmtQty(c.required, l.unit) : t('lg.alloc.noStandard')) },
      { title: t('lg.alloc.surplus'), cell: (c) => fmtQty(c.surplus, l.unit) },
      { title: t('lg.qty'), cell: (c) => {
        const inp = h('input', { type: 'number', min: '0', step: 'any', class: 'qty-input', value: String(sug.get(c.depot_id) || 0),
          'data-testid': `alloc-${l.item_code}-${c.depot_code}` });
        const why = h('input', { class: 'lg-override', placeholder: t('lg.alloc.overrideReason'), hidden: true,
          'data-testid': `override-${l.item_code}-${c.depot_code}` });
        inp.addEventListener('input', () => { why.hidden = !(Number(inp.value) > num(c.surplus)); });
        rows.push({ line: l, c, inp, why });
        return h('span', {}, inp, why);
      } },
    ], l.candidates));
  }
  add(box, h('div', { class: 'form-buttons' }, h('button', {
    type: 'button', class: 'btn btn-primary', 'data-testid': 'dispatch-create',
    onclick: async () => {
      const lines = rows.filter((x) => Number(x.inp.value) > 0).map((x) => ({
        request_line_id: x.line.line_id, depot_id: x.c.depot_id, qty: Number(x.inp.value),
        ...(Number(x.inp.value) > num(x.c.surplus) && x.why.value.trim() ? { override_reason: x.why.value.trim() } : {}) }));
      const d = await call('POST', 'dispatches', { request_id: q.id, lines });
      if (!d.ok) { err.show(errText(d)); return; }
      go('dispatches', String(d.json.id));
    } }, t('lg.alloc.create'))));
  add(body, box);
}

// ---------------------------------------------------------------- dispatches

export function mountDispatches(main, params) {
  const err = errBox();
  const body = h('div', {});
  main.append(h('section', { class: 'lg-page' }, tabs('dispatches'), h('h1', { class: 'page-title' }, t('lg.dispatches.title')), err, body));
  if (params && params[0]) dispatchDetail(body, err, params[0]);
  else dispatchList(body, err);
  return () => {};
}

async function dispatchList(body, err) {
  const r = await call('GET', 'dispatches?limit=200');
  if (!r.ok) { err.show(errText(r)); return; }
  const items = r.json.items || [];
  add(body, items.length ? table([
    { title: '#', cell: (d) => h('a', { href: `#/dispatches/${d.id}`, 'data-testid': 'dispatch-link' }, String(d.id)) },
    { title: t('lg.dispatches.from'), cell: (d) => d.source_depots || '' },
    { title: t('lg.dispatches.to'), cell: (d) => d.to_depot_code },
    { title: t('lg.requests.status'), cell: (d) => statusTag('dispatch', d.status) },
    { title: t('lg.dispatches.transit'), cell: (d) => fmtNum(d.qty_in_transit) },
    { title: t('lg.events.code'), cell: (d) => d.event_code || '' },
  ], items) : h('p', { class: 'muted' }, t('lg.dispatches.none')));
}

async function dispatchDetail(body, err, id) {
  const user = currentUser();
  const r = await call('GET', `dispatches/${id}`);
  if (!r.ok) { err.show(errText(r)); return; }
  const d = r.json;
  cachePut(`dispatch:${d.id}`, d);
  add(body, h('div', { class: 'card' },
    h('h2', {}, `#${d.id} → ${d.to_depot_code} ${d.to_depot_name_zh || ''} `, statusTag('dispatch', d.status)),
    h('p', {}, `${t('lg.dispatches.transit')}: ${fmtNum(d.qty_in_transit)} · ${t('lg.requests.shipped')}: ${fmtNum(d.qty_shipped)} · ${t('lg.requests.received')}: ${fmtNum(d.qty_received)}`),
    h('p', { class: 'toolbar' },
      h('a', { class: 'btn', href: `#/pick/${d.id}`, 'data-testid': 'go-pick' }, t('lg.pick.title')),
      h('a', { class: 'btn', href: `#/dreceive/${d.id}`, 'data-testid': 'go-receive' }, t('lg.receive.title')),
      isCity(user) && !['closed', 'cancelled'].includes(d.status) ? h('button', { type: 'button', class: 'btn', onclick: async () => {
        const why = window.prompt(t('lg.dispatches.cancelReason'));
        if (!why) return;
        const x = await call('POST', `dispatches/${d.id}/cancel`, { reason: why });
        if (!x.ok) { err.show(errText(x)); return; }
        go('dispatches', String(d.id));
      } }, t('lg.dispatches.cancel')) : null),
    h('h3', {}, t('lg.dispatches.lines')),
    table([
      { title: t('lg.report.depot'), cell: (l) => l.depot_code },
      { title: t('lg.report.item'), cell: (l) => `${l.item_code} ${pick(l.item_name_zh, l.item_name_en)}` },
      { title: t('lg.alloc.distance'), cell: (l) => (l.distance_km === null ? '—' : `${fmtNum(l.distance_km)} km`) },
      { title: t('lg.qty'), cell: (l) => fmtQty(l.qty_to_pick, l.unit) },
      { title: t('lg.pick.picked'), cell: (l) => fmtNum(l.qty_picked) },
      { title: t('lg.requests.shipped'), cell: (l) => fmtNum(l.qty_shipped) },
      { title: t('lg.requests.received'), cell: (l) => `${fmtNum(l.qty_received)}${num(l.qty_damaged) ? ` (${t('lg.receive.damaged')} ${fmtNum(l.qty_damaged)})` : ''}${num(l.qty_short) ? ` (${t('lg.receive.short')} ${fmtNum(l.qty_short)})` : ''}` },
      { title: t('lg.alloc.override'), cell: (l) => (l.below_standard_override ? `${l.override_by_name}: ${l.override_reason}` : '') },
    ], d.lines || []),
    h('h3', {}, t('lg.dispatches.picks')),
    table([
      { title: '#', cell: (p) => String(p.seq) },
      { title: t('lg.report.depot'), cell: (p) => `${p.depot_code} ${p.bin_code}` },
      { title: t('lg.pick.lot'), cell: (p) => `${p.lot_no} (${fmtDate(p.expiry_date) || '—'})` },
      { title: t('lg.report.item'), cell: (p) => `${p.item_code} ${pick(p.item_name_zh, p.item_name_en)}` },
      { title: t('lg.qty'), cell: (p) => fmtQty(p.qty_to_pick, p.unit) },
      { title: t('lg.requests.status'), cell: (p) => t(`lg.pickst.${p.status}`) },
      { title: t('lg.dispatches.transit'), cell: (p) => fmtNum(p.qty_in_transit) },
    ], d.picks || [])));
}

// ---------------------------------------------------------------- phone: pick and ship, receive

// The dispatch: fresh from the server when it answers, else the cached copy.
async function loadDispatch(id) {
  const r = await call('GET', `dispatches/${id}`);
  if (r.ok) { await cachePut(`dispatch:${id}`, r.json); return { d: r.json, cached: false }; }
  const c = await cacheGet(`dispatch:${id}`);
  if (c) return { d: c.value, cached: true };
  return { d: null, error: r };
}

// The scan field (a keyboard-wedge scanner types into it, or a person) and
// the camera of the scan page; form.stop() lets the camera go.
function scanForm(onCode, testid) {
  const input = h('input', { id: 'lg-scan', name: 'code', type: 'text', autocomplete: 'off', autocapitalize: 'characters',
    spellcheck: 'false', enterkeyhint: 'go', class: 'scan-input', 'data-testid': testid });
  const camBox = h('div', { class: 'camera-box' });
  const camStatus = h('p', { class: 'cam-status', role: 'status' });
  const camBtn = h('button', { type: 'button', class: 'btn btn-camera', 'data-testid': `${testid}-camera` });
  const showCam = () => {
    const on = camera.running();
    camBtn.textContent = t(on ? 'camera.stop' : 'camera.start');
    camBtn.setAttribute('aria-pressed', on ? 'true' : 'false');
    camBox.classList.toggle('on', on);
    if (on && camera.video.parentNode !== camBox) camBox.prepend(camera.video);
    if (!camera.supported()) camStatus.textContent = t('camera.unsupported');
  };
  camBtn.addEventListener('click', async () => {
    if (camera.running()) { camera.stop(); showCam(); return; }
    camStatus.textContent = t('camera.starting');
    try {
      await camera.start((text) => onCode(text));
      camStatus.textContent = t('camera.running');
    } catch (e) {
      camera.stop();
      camStatus.textContent = t(e && e.name === 'NotAllowedError' ? 'camera.denied'
        : e && e.name === 'NotFoundError' ? 'camera.none' : 'camera.failed');
    }
    showCam();
  });
  const form = h('form', { class: 'scan-form', onsubmit: (e) => {
    e.preventDefault();
    const v = input.value;
    input.value = '';
    if (v.trim()) onCode(v.trim());
    input.focus();
  } }, h('label', { for: 'lg-scan', class: 'field-label' }, t('lg.pick.scanLabel')),
  h('div', { class: 'scan-row' }, input, h('button', { type: 'submit', class: 'btn btn-primary' }, t('lg.pick.confirm'))),
  h('div', { class: 'camera' }, camBox, camBtn, camStatus));
  showCam();
  form.input = input;
  form.stop = () => { if (camera.running()) camera.stop(); };
  return form;
}

export function mountPick(main, params) {
  const id = params && params[0];
  const user = currentUser();
  const msg = h('div', { class: 'result', 'aria-live': 'polite', 'data-testid': 'pick-result' });
  const list = h('ol', { class: 'pick-list', 'data-testid': 'pick-list' });
  const head = h('p', { class: 'muted', 'data-testid': 'pick-head' });
  let d = null;
  const pending = new Set(); // pick ids confirmed while the answer waits (offline)
  const mine = (p) => user && (user.role === 'admin' || (user.org_unit && `D-${user.org_unit.code}` === p.depot_code));
  const form = scanForm((v) => confirm(v), 'pick-scan');
  const shipBtn = h('button', { type: 'button', class: 'btn btn-action', 'data-testid': 'pick-ship', onclick: () => ship() }, t('lg.pick.ship'));
  main.append(h('section', { class: 'scan-page lg-phone' }, h('h1', { class: 'page-title' }, t('lg.pick.title'), ` #${id}`),
    head, form, msg, list, h('div', { class: 'form-buttons' }, shipBtn)));

  const say = (text, kind) => {
    clear(msg).append(h('div', { class: ['notice', `notice-${kind}`], role: kind === 'refused' ? 'alert' : 'status',
      'data-testid': `pick-${kind}` }, text));
  };

  function render() {
    clear(list);
    const picks = (d.picks || []).filter((p) => mine(p) && p.status !== 'released');
    const open = picks.filter((p) => p.status === 'open' && !pending.has(p.id));
    head.textContent = `${t('lg.dispatches.to')} ${d.to_depot_code} · ${statusText(d.status)} · ${t('lg.pick.left', { n: open.length })}`;
    for (const p of picks) {
      const done = p.status !== 'open' || pending.has(p.id);
      list.append(h('li', { class: ['pick', done ? '' : 'active', 'lg-pick'], 'data-testid': 'pick-line',
        'data-state': pending.has(p.id) ? 'queued' : p.status, 'data-pick': String(p.id) },
        h('span', { class: 'pick-name' }, `${p.bin_code} · ${pick(p.item_name_zh, p.item_name_en)}`),
        h('span', { class: 'pick-sub' }, `${t('lg.pick.lot')} ${p.lot_no} · ${fmtDate(p.expiry_date) || ''} · ${t(`lg.pickst.${pending.has(p.id) ? 'queued' : p.status}`)}`),
        h('span', { class: 'pick-qty' }, fmtQty(num(p.qty_to_pick) - (done ? 0 : num(p.qty_picked)), p.unit))));
    }
    if (!picks.length) list.append(h('li', { class: 'muted' }, t('lg.pick.nothing')));
  }
  const statusText = (s) => t(`lg.dispatch.${s}`);

  // Check the scan against the list here first (works offline), then queue it.
  async function confirm(text) {
    const code = parseCode(extractCode(text));
    if (!code) { fb.refusal(); say(t('lg.pick.badCode'), 'refused'); return; }
    const open = (d.picks || []).filter((p) => mine(p) && p.status === 'open' && !pending.has(p.id));
    const hit = open.find((p) => p.label_code && parseCode(p.label_code) === code);
    if (!hit) {
      const want = open[0];
      fb.refusal();
      say(want ? t('lg.pick.wrong', { item: `${want.item_code} ${pick(want.item_name_zh, want.item_name_en)}`, lot: want.lot_no, bin: want.bin_code,
        qty: fmtQty(num(want.qty_to_pick) - num(want.qty_picked), want.unit) }) : t('lg.pick.nothing'), 'refused');
      return;
    }
    pending.add(hit.id);
    render();
    const res = await queue.submit({ method: 'POST', path: `dispatches/${id}/pick`, body: { code, pick_id: hit.id },
      meta: { kind: 'pick', qty: num(hit.qty_to_pick) - num(hit.qty_picked), unit: hit.unit, item_name_zh: hit.item_name_zh,
        item_name_en: hit.item_name_en, lot_no: hit.lot_no, bin_code: hit.bin_code } });
    if (res.sent) {
      fb.success();
      d = res.result.json;
      pending.delete(hit.id);
      cachePut(`dispatch:${id}`, d);
      say(t('lg.pick.ok', { lot: hit.lot_no, bin: hit.bin_code }), 'sent');
    } else if (res.refused) {
      fb.refusal();
      pending.delete(hit.id);
      say(errorText(res.item.error || {}), 'refused');
      await queue.discard(res.item.id); // shown here; nothing left to retry
    } else {
      fb.queued();
      say(t('lg.pick.queued'), 'queued');
    }
    render();
  }

  async function ship() {
    const res = await queue.submit({ method: 'POST', path: `dispatches/${id}/ship`, body: {}, meta: { kind: 'ship' } });
    if (res.sent) { d = res.result.json; pending.clear(); say(t('lg.pick.shipped', { n: res.result.json.shipped_picks }), 'sent'); }
    else if (res.refused) { say(errorText(res.item.error || {}), 'refused'); await queue.discard(res.item.id); }
    else say(t('lg.pick.queued'), 'queued');
    render();
  }

  const onSent = async (e) => {
    if (!String(e.detail.item.path).startsWith(`dispatches/${id}/`) || e.detail.foreground) return;
    d = e.detail.result.json || d;
    pending.clear();
    render();
  };
  queue.queueEvents.addEventListener('sent', onSent);
  (async () => {
    const r = await loadDispatch(id);
    if (!r.d) { say(errText(r.error), 'refused'); return; }
    d = r.d;
    // Picks queued earlier (also before a reload) still count as confirmed.
    for (const i of await queue.items())
      if (queue.isPending(i) && i.path === `dispatches/${id}/pick` && i.body && i.body.pick_id) pending.add(i.body.pick_id);
    if (r.cached) say(t('lg.cached'), 'queued');
    render();
    form.input.focus();
  })();
  return () => {
    queue.queueEvents.removeEventListener('sent', onSent);
    form.stop();
  };
}

export function mountDispatchReceive(main, params) {
  const id = params && params[0];
  const msg = h('div', { class: 'result', 'aria-live': 'polite', 'data-testid': 'receive-result' });
  const list = h('ol', { class: 'pick-list', 'data-testid': 'receive-list' });
  const binSel = h('select', { 'data-testid': 'receive-bin' });
  const qty = h('input', { type: 'number', min: '0', step: 'any', class: 'qty-input', 'data-testid': 'receive-qty', placeholder: t('lg.receive.all') });
  const dmg = h('input', { type: 'number', min: '0', step: 'any', class: 'qty-input', 'data-testid': 'receive-damaged', value: '' });
  const shortQ = h('input', { type: 'number', min: '0', step: 'any', class: 'qty-input', 'data-testid': 'receive-short', value: '' });
  let d = null;
  const form = scanForm((v) => receive(v), 'receive-scan');
  main.append(h('section', { class: 'scan-page lg-phone' }, h('h1', { class: 'page-title' }, t('lg.receive.title'), ` #${id}`),
    h('div', { class: 'filters' }, field(t('lg.receive.bin'), binSel), field(t('lg.receive.good'), qty),
      field(t('lg.receive.damaged'), dmg), field(t('lg.receive.short'), shortQ)),
    form, msg, list));
  const say = (text, kind) => clear(msg).append(h('div', { class: ['notice', `notice-${kind}`], 'data-testid': `receive-${kind}` }, text));

  function render() {
    clear(list);
    for (const p of (d.picks || []).filter((x) => x.transfer_id)) {
      list.append(h('li', { class: ['pick', num(p.qty_in_transit) > 0 ? 'active' : ''], 'data-testid': 'receive-line' },
        h('span', { class: 'pick-name' }, `${p.depot_code} · ${pick(p.item_name_zh, p.item_name_en)}`),
        h('span', { class: 'pick-sub' }, `${t('lg.pick.lot')} ${p.lot_no} · ${t('lg.requests.received')} ${fmtNum(p.qty_received)}`),
        h('span', { class: 'pick-qty' }, fmtQty(p.qty_in_transit, p.unit))));
    }
  }
  async function receive(text) {
    const code = parseCode(extractCode(text));
    if (!code) { fb.refusal(); say(t('lg.pick.badCode'), 'refused'); return; }
    const b = { code, to_bin_id: Number(binSel.value) };
    if (qty.value !== '') b.qty = Number(qty.value);
    if (dmg.value !== '') b.qty_damaged = Number(dmg.value);
    if (shortQ.value !== '') b.qty_short = Number(shortQ.value);
    const res = await queue.submit({ method: 'POST', path: `dispatches/${id}/receive`, body: b, meta: { kind: 'dreceive', qty: b.qty } });
    if (res.sent) { fb.success(); d = res.result.json; say(t('lg.receive.ok'), 'sent'); qty.value = ''; dmg.value = ''; shortQ.value = ''; }
    else if (res.refused) { fb.refusal(); say(errorText(res.item.error || {}), 'refused'); await queue.discard(res.item.id); }
    else { fb.queued(); say(t('lg.pick.queued'), 'queued'); }
    render();
  }
  (async () => {
    const r = await loadDispatch(id);
    if (!r.d) { say(errText(r.error), 'refused'); return; }
    d = r.d;
    const dep = await call('GET', `depots/${d.to_depot_id}`);
    const bins = dep.ok ? (dep.json.bins || (dep.json.depot && dep.json.depot.bins) || []) : [];
    for (const b of bins) binSel.append(h('option', { value: String(b.id) }, b.code));
    render();
    form.input.focus();
  })();
  return () => form.stop();
}

export const LOGISTICS_PAGES = ['events', 'requests', 'dispatches', 'pick', 'dreceive'];
