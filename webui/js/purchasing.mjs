// purchasing.mjs -- suppliers, purchase orders and receiving against them
// (docs/purchasing.md).
//
// Desktop pages (#/suppliers, #/purchase-orders, #/purchase-orders/<id>) send
// at once with an Idempotency-Key of their own (call()).  The phone page
// #/po-receive/<id> goes through the offline queue like the scan page: a receipt
// made without network is kept and sent later with the same key, so it is
// never applied twice; its labels are then printed from the order page.

import { h, clear, append } from './dom.mjs';
import { t, pick, fmtQty, fmtDate, fmtDateTime } from './i18n.mjs';
import { api, call } from './api.mjs';
import * as queue from './queue.mjs';
import { currentUser } from './session.mjs';
import { errorText, toast } from './views.mjs';
import { go } from './router.mjs';
import { extractCode } from './code.mjs';

const add = (el, ...children) => append(el, children);
const errText = (r) => (r.status === 0 ? t('po.offline') : errorText(r.error));
const isOffice = (u) => u && (u.role === 'town_official' || u.role === 'admin');
const canReceive = (u) => u && ['warehouse', 'town_official', 'admin'].includes(u.role);

function errorBox() {
  const el = h('p', { class: 'field-error', role: 'alert', hidden: true, 'data-testid': 'po-error' });
  el.show = (text) => { el.hidden = !text; el.textContent = text || ''; };
  return el;
}

function field(label, input) {
  return h('label', { class: 'filter-field' }, h('span', { class: 'field-label' }, label), input);
}

function table(cols, rows, testid) {
  return h('div', { class: 'table-wrap' }, h('table', { class: 'stock-table', 'data-testid': testid },
    h('thead', {}, h('tr', {}, cols.map((c) => h('th', { scope: 'col', class: c.num ? 'num' : null }, c.label)))),
    h('tbody', {}, rows)));
}

function cell(label, content, num = false) {
  return h('td', { 'data-label': label, class: num ? 'num' : null }, content);
}

// A PDF of label codes through POST /label-sheets, opened in a new tab.
export async function printLabels(codes) {
  try {
    const r = await api('POST', 'label-sheets', { body: { codes }, raw: true });
    if (!r.ok) { toast(t('po.printFailed'), 'refused'); return; }
    const blob = await r.res.blob();
    window.open(URL.createObjectURL(blob), '_blank');
  } catch {
    toast(t('po.offline'), 'refused');
  }
}

function statusTag(s) {
  return h('span', { class: ['badge', `po-${s}`], 'data-testid': 'po-status', 'data-status': s }, t(`po.status.${s}`));
}

// ---------------------------------------------------------------- suppliers

export function mountSuppliers(main, params) {
  if (params && params[0]) return mountSupplier(main, params[0]);
  const user = currentUser();
  const err = errorBox();
  const body = h('div', {});
  add(main, h('section', { class: 'po-page' }, h('h1', { class: 'page-title' }, t('supplier.title')),
    h('div', { class: 'toolbar' },
      h('a', { class: 'btn btn-small', href: '/api/v1/suppliers?format=csv', download: '', 'data-testid': 'supplier-csv' }, t('po.csv')),
      h('a', { class: 'btn btn-small', href: '/api/v1/suppliers?format=xlsx', download: '' }, t('po.xlsx'))),
    err, body, isOffice(user) ? createForm() : null));

  async function load() {
    const r = await call('GET', 'suppliers?limit=500');
    if (!r.ok) { err.show(errText(r)); return; }
    const cols = [{ label: t('supplier.code') }, { label: t('supplier.name') }, { label: t('supplier.contact') },
      { label: t('supplier.lead'), num: true }, { label: t('supplier.items'), num: true }, { label: t('supplier.active') }];
    add(clear(body), table(cols, r.json.items.map((s) => h('tr', { 'data-testid': 'supplier-row' },
      cell(cols[0].label, h('a', { href: `#/suppliers/${s.id}` }, s.code)), cell(cols[1].label, s.name), cell(cols[2].label, s.contact || '—'),
      cell(cols[3].label, t('supplier.days', { n: s.lead_time_days }), true), cell(cols[4].label, s.item_count, true),
      cell(cols[5].label, s.active ? '✔' : '✖'))), 'supplier-table'));
  }

  function createForm() {
    const code = h('input', { required: true, maxlength: 32, 'data-testid': 'supplier-code' });
    const name = h('input', { required: true, maxlength: 160, 'data-testid': 'supplier-name' });
    const contact = h('input', { maxlength: 255 });
    const lead = h('input', { type: 'number', min: 0, max: 3650, value: '14', 'data-testid': 'supplier-lead' });
    return h('form', { class: 'card filters', onsubmit: async (e) => {
      e.preventDefault();
      err.show('');
      const r = await call('POST', 'suppliers', { code: code.value.trim(), name: name.value.trim(),
        contact: contact.value.trim() || undefined, lead_time_days: Number(lead.value) });
      if (!r.ok) { err.show(errText(r)); return; }
      toast(t('supplier.created', { code: r.json.code }), 'sent');
      code.value = ''; name.value = ''; contact.value = '';
      load();
    } }, h('h2', { class: 'rsection-title' }, t('supplier.new')),
    field(t('supplier.code'), code), field(t('supplier.name'), name), field(t('supplier.contact'), contact),
    field(t('supplier.lead'), lead),
    h('div', { class: 'filter-actions' }, h('button', { class: 'btn btn-primary', type: 'submit', 'data-testid': 'supplier-create' }, t('supplier.create'))));
  }
  load();
}

// One supplier: its lead time, contact and state, and per item its own lead
// time and price (what the forecast reads).
function mountSupplier(main, id) {
  const user = currentUser();
  const err = errorBox();
  const box = h('div', {});
  add(main, h('section', { class: 'po-page' },
    h('a', { class: 'linklike back no-print', href: '#/suppliers' }, t('supplier.back')), err, box));

  function render(s) {
    const office = isOffice(user);
    const cols = [t('po.item'), t('supplier.itemLead'), t('supplier.effectiveLead'), t('po.unitCost')].map((label) => ({ label }));
    const lead = h('input', { type: 'number', min: 0, max: 3650, value: String(s.lead_time_days), 'data-testid': 'supplier-edit-lead' });
    const contact = h('input', { value: s.contact || '', maxlength: 255 });
    const active = h('input', { type: 'checkbox', checked: !!s.active });
    const itemCode = h('input', { placeholder: t('po.itemCode'), 'data-testid': 'supplier-item-code' });
    const itemLead = h('input', { type: 'number', min: 0, max: 3650, placeholder: t('supplier.itemLeadHint') });
    const price = h('input', { type: 'number', min: 0, step: '0.01' });
    add(clear(box), h('h1', { class: 'page-title' }, `${s.code} ${s.name}`),
      h('p', {}, t('supplier.lead'), ': ', t('supplier.days', { n: s.lead_time_days }), ' · ', s.contact || '—',
        ' · ', s.active ? t('supplier.activeYes') : t('supplier.activeNo')),
      s.items.length ? table(cols, s.items.map((i) => h('tr', { 'data-testid': 'supplier-item' },
        cell(cols[0].label, [pick(i.item_name_zh, i.item_name_en), h('span', { class: 'sub' }, i.item_code)]),
        cell(cols[1].label, i.lead_time_days ?? '—', true), cell(cols[2].label, t('supplier.days', { n: i.effective_lead_time_days }), true),
        cell(cols[3].label, i.unit_price ?? '—', true))), 'supplier-items') : h('p', { class: 'muted' }, t('supplier.noItems')),
      office ? h('form', { class: 'card filters', onsubmit: async (e) => {
        e.preventDefault();
        err.show('');
        const r = await call('PATCH', `suppliers/${s.id}`, { lead_time_days: Number(lead.value), contact: contact.value.trim(), active: active.checked });
        if (!r.ok) { err.show(errText(r)); return; }
        toast(t('supplier.saved'), 'sent');
        render(r.json);
      } }, h('h2', { class: 'rsection-title' }, t('supplier.edit')), field(t('supplier.lead'), lead),
      field(t('supplier.contact'), contact), h('label', {}, active, ' ', t('supplier.active')),
      h('div', { class: 'filter-actions' }, h('button', { type: 'submit', class: 'btn btn-primary' }, t('supplier.save')))) : null,
      office ? h('form', { class: 'card filters', onsubmit: async (e) => {
        e.preventDefault();
        err.show('');
        const body = {};
        if (itemLead.value !== '') body.lead_time_days = Number(itemLead.value);
        if (price.value !== '') body.unit_price = Number(price.value);
        const r = await call('PUT', `suppliers/${s.id}/items/${encodeURIComponent(itemCode.value.trim())}`, body);
        if (!r.ok) { err.show(errText(r)); return; }
        render(r.json);
      } }, h('h2', { class: 'rsection-title' }, t('supplier.setItem')), field(t('po.itemCode'), itemCode),
      field(t('supplier.itemLead'), itemLead), field(t('po.unitCost'), price),
      h('div', { class: 'filter-actions' }, h('button', { type: 'submit', class: 'btn' }, t('supplier.save')))) : null);
  }

  (async () => {
    const r = await call('GET', `suppliers/${encodeURIComponent(id)}`);
    if (!r.ok) { err.show(errText(r)); return; }
    render(r.json);
  })();
}

// ---------------------------------------------------------------- orders

export function mountPurchaseOrders(main, params) {
  if (params && params[0]) return mountOrder(main, params[0]);
  const user = currentUser();
  const err = errorBox();
  const status = h('select', { 'data-testid': 'po-filter-status' },
    h('option', { value: '' }, t('po.all')),
    ['draft', 'ordered', 'partially_received', 'received', 'closed', 'cancelled'].map((s) =>
      h('option', { value: s }, t(`po.status.${s}`))));
  const links = h('span', { class: 'export-links' });
  const body = h('div', {});
  add(main, h('section', { class: 'po-page' }, h('h1', { class: 'page-title' }, t('po.title')),
    h('div', { class: 'filters no-print' }, field(t('po.status'), status), links),
    err, body, isOffice(user) ? newOrder() : null));
  status.addEventListener('change', load);

  async function load() {
    const q = status.value ? `status=${encodeURIComponent(status.value)}&` : '';
    add(clear(links),
      h('a', { class: 'btn btn-small', href: `/api/v1/purchase-orders?${q}format=csv`, download: '', 'data-testid': 'po-csv' }, t('po.csv')),
      h('a', { class: 'btn btn-small', href: `/api/v1/purchase-orders?${q}format=xlsx`, download: '', 'data-testid': 'po-xlsx' }, t('po.xlsx')));
    const r = await call('GET', `purchase-orders?${q}limit=500`);
    if (!r.ok) { err.show(errText(r)); return; }
    const cols = [t('po.code'), t('po.supplier'), t('po.depot'), t('po.status'), t('po.expected'), t('po.openLines')]
      .map((label) => ({ label }));
    add(clear(body), r.json.items.length ? table(cols, r.json.items.map((p) => h('tr', { 'data-testid': 'po-row', 'data-code': p.code },
      cell(cols[0].label, h('a', { href: `#/purchase-orders/${p.id}` }, p.code)),
      cell(cols[1].label, p.supplier_name), cell(cols[2].label, p.depot_code),
      cell(cols[3].label, statusTag(p.status)), cell(cols[4].label, fmtDate(p.expected_date) || '—'),
      cell(cols[5].label, `${p.open_lines} / ${p.line_count}`, true))), 'po-table')
      : h('p', { class: 'muted' }, t('po.none')));
  }

  // Supplier, destination depot, expected date and lines (item code + qty).
  function newOrder() {
    const sup = h('select', { 'data-testid': 'po-new-supplier' });
    const dep = h('select', { 'data-testid': 'po-new-depot' });
    const exp = h('input', { type: 'date', 'data-testid': 'po-new-expected' });
    const lines = h('div', { class: 'po-lines' });
    const addLine = () => lines.append(h('div', { class: 'po-line' },
      h('input', { placeholder: t('po.itemCode'), class: 'po-line-item', 'aria-label': t('po.itemCode') }),
      h('input', { type: 'number', min: 0, step: 'any', placeholder: t('po.qty'), class: 'po-line-qty', 'aria-label': t('po.qty') })));
    addLine();
    (async () => {
      const [s, d] = await Promise.all([call('GET', 'suppliers?active=true&limit=500'), call('GET', 'depots?limit=500')]);
      if (s.ok) add(sup, s.json.items.map((x) => h('option', { value: x.id }, `${x.code} ${x.name}`)));
      if (d.ok) add(dep, d.json.items.map((x) => h('option', { value: x.id }, `${x.code} ${pick(x.name_zh, x.name_en)}`)));
    })();
    return h('form', { class: 'card filters', onsubmit: async (e) => {
      e.preventDefault();
      err.show('');
      const body = { supplier_id: Number(sup.value), depot_id: Number(dep.value), lines: [] };
      if (exp.value) body.expected_date = exp.value;
      for (const row of lines.children) {
        const code = row.querySelector('.po-line-item').value.trim();
        const qty = row.querySelector('.po-line-qty').value;
        if (!code) continue;
        const it = await call('GET', `items/${encodeURIComponent(code)}`);
        if (!it.ok) { err.show(`${code}: ${errText(it)}`); return; }
        body.lines.push({ item_id: it.json.id, qty: Number(qty) });
      }
      const r = await call('POST', 'purchase-orders', body);
      if (!r.ok) { err.show(errText(r)); return; }
      go('purchase-orders', String(r.json.id));
    } }, h('h2', { class: 'rsection-title' }, t('po.new')),
    field(t('po.supplier'), sup), field(t('po.depot'), dep), field(t('po.expected'), exp),
    h('div', {}, h('span', { class: 'field-label' }, t('po.lines')), lines,
      h('button', { type: 'button', class: 'btn btn-small', onclick: addLine }, t('po.addLine'))),
    h('div', { class: 'filter-actions' }, h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'po-create' }, t('po.create'))));
  }
  load();
}

function mountOrder(main, id) {
  const user = currentUser();
  const err = errorBox();
  const box = h('div', {});
  add(main, h('section', { class: 'po-page' },
    h('a', { class: 'linklike back no-print', href: '#/purchase-orders' }, t('po.back')), err, box));

  async function step(path, body) {
    err.show('');
    const r = await call('POST', `purchase-orders/${id}/${path}`, body);
    if (!r.ok) { err.show(errText(r)); return; }
    render(r.json);
  }

  function render(p) {
    const office = isOffice(user);
    const open = p.status === 'ordered' || p.status === 'partially_received';
    const lc = [t('po.item'), t('po.ordered'), t('po.received'), t('po.open'), t('po.short'), t('po.unitCost')].map((label) => ({ label }));
    const rc = [t('po.item'), t('po.lot'), t('po.expiry'), t('po.bin'), t('po.qty'), t('po.flags'), t('po.label'), t('po.when')].map((label) => ({ label }));
    add(clear(box),
      h('h1', { class: 'page-title', 'data-testid': 'po-code' }, p.code, ' ', statusTag(p.status)),
      h('p', {}, `${p.supplier_name} → ${p.depot_code} · ${t('po.expected')} ${fmtDate(p.expected_date) || '—'}`),
      p.close_reason ? h('p', { class: 'muted' }, t('po.closeReason'), ': ', p.close_reason) : null,
      h('div', { class: 'toolbar no-print' },
        office && p.status === 'draft' ? h('button', { class: 'btn btn-primary', 'data-testid': 'po-order', onclick: () => step('order') }, t('po.order')) : null,
        office && (p.status === 'draft' || p.status === 'ordered') ? h('button', { class: 'btn', 'data-testid': 'po-cancel', onclick: () => {
          const reason = window.prompt(t('po.cancelReason'));
          if (reason) step('cancel', { reason });
        } }, t('po.cancel')) : null,
        office && (open || p.status === 'received') ? h('button', { class: 'btn', 'data-testid': 'po-close', onclick: () => {
          const short = p.lines.some((l) => !Number(l.closed));
          const reason = short ? window.prompt(t('po.closeShortReason')) : '';
          if (short && !reason) return;
          step('close', reason ? { reason } : undefined);
        } }, t('po.close')) : null,
        open && canReceive(user) ? h('a', { class: 'btn btn-primary', href: `#/po-receive/${p.id}`, 'data-testid': 'po-receive' }, t('po.receive')) : null),
      h('h2', { class: 'rsection-title' }, t('po.lines')),
      table(lc, p.lines.map((l) => h('tr', { 'data-testid': 'po-line' },
        cell(lc[0].label, [pick(l.item_name_zh, l.item_name_en), h('span', { class: 'sub' }, l.item_code)]),
        cell(lc[1].label, fmtQty(l.qty_ordered, l.unit), true), cell(lc[2].label, fmtQty(l.qty_received, l.unit), true),
        cell(lc[3].label, fmtQty(l.qty_open, l.unit), true), cell(lc[4].label, Number(l.qty_short) ? fmtQty(l.qty_short, l.unit) : '—', true),
        cell(lc[5].label, l.unit_cost ?? '—', true))), 'po-lines'),
      h('h2', { class: 'rsection-title' }, t('po.receipts')),
      p.receipts.length ? table(rc, p.receipts.map((r) => h('tr', { 'data-testid': 'po-receipt' },
        cell(rc[0].label, r.item_code), cell(rc[1].label, r.lot_no), cell(rc[2].label, fmtDate(r.expiry_date) || '—'),
        cell(rc[3].label, r.bin_code), cell(rc[4].label, r.qty, true),
        cell(rc[5].label, [r.over_delivery ? t('po.over') : '', r.under_delivery ? t('po.under') : ''].filter(Boolean).join(' ') || '—'),
        cell(rc[6].label, r.label_code ? h('button', { type: 'button', class: 'btn btn-small', onclick: () => printLabels([r.label_code]) }, t('po.print')) : '—'),
        cell(rc[7].label, fmtDateTime(r.received_at)))), 'po-receipts') : h('p', { class: 'muted' }, t('po.noReceipts')));
  }

  (async () => {
    const r = await call('GET', `purchase-orders/${encodeURIComponent(id)}`);
    if (!r.ok) { err.show(errText(r)); return; }
    render(r.json);
  })();
}

// ---------------------------------------------------------------- phone receive

// Pick the line, scan an existing lot label or enter the new lot, the bin
// and the quantity.  Sent through the queue (works without network).
export function mountReceive(main, params) {
  const id = params && params[0];
  const user = currentUser();
  const err = errorBox();
  const box = h('div', { class: 'receive-body' });
  add(main, h('section', { class: 'receive-page' }, h('h1', { class: 'page-title' }, t('receive.title')), err, box));
  if (!id) { add(box, h('p', { class: 'muted' }, t('receive.pick')), h('a', { class: 'btn', href: '#/purchase-orders' }, t('po.title'))); return; }

  (async () => {
    const r = await call('GET', `purchase-orders/${encodeURIComponent(id)}`);
    if (!r.ok) { err.show(errText(r)); return; }
    const p = r.json;
    const d = await call('GET', `depots/${p.depot_id}`);
    const bins = d.ok ? ((d.json.depot && d.json.depot.bins) || d.json.bins || []) : [];
    const line = h('select', { 'data-testid': 'receive-line' }, p.lines.filter((l) => !Number(l.closed)).map((l) =>
      h('option', { value: l.id }, `${l.line_no}. ${l.item_code} ${pick(l.item_name_zh, l.item_name_en)} — ${t('po.open')} ${fmtQty(l.qty_open, l.unit)}`)));
    const bin = h('select', { 'data-testid': 'receive-bin' }, bins.map((b) => h('option', { value: b.id }, b.code)));
    const qty = h('input', { type: 'number', min: 0, step: 'any', inputmode: 'decimal', 'data-testid': 'receive-qty' });
    const scanIn = h('input', { autocomplete: 'off', placeholder: t('receive.scanLot'), 'data-testid': 'receive-scan' });
    const lotNo = h('input', { 'data-testid': 'receive-lot-no' });
    const prod = h('input', { type: 'date', 'data-testid': 'receive-prod' });
    const exp = h('input', { type: 'date', 'data-testid': 'receive-exp' });
    const over = h('input', { type: 'checkbox', 'data-testid': 'receive-over' });
    const result = h('div', { 'data-testid': 'receive-result', role: 'status' });
    add(box, h('p', {}, `${p.code} · ${p.supplier_name} → ${p.depot_code}`),
      h('form', { class: 'card receive-form', onsubmit: async (e) => {
        e.preventDefault();
        err.show('');
        if (!canReceive(user)) return;
        const body = { line_id: Number(line.value), bin_id: Number(bin.value), qty: Number(qty.value) };
        const code = scanIn.value.trim() ? extractCode(scanIn.value.trim()) || scanIn.value.trim() : '';
        if (code) body.label_code = code;
        else if (lotNo.value.trim()) {
          body.lot = { lot_no: lotNo.value.trim() };
          if (prod.value) body.lot.production_date = prod.value;
          if (exp.value) body.lot.expiry_date = exp.value;
        }
        if (over.checked) body.accept_over_delivery = true;
        const l = p.lines.find((x) => String(x.id) === line.value) || {};
        const s = await queue.submit({ path: `purchase-orders/${p.id}/receipts`, body,
          meta: { kind: 'po_receipt', qty: body.qty, unit: l.unit, item_name_zh: l.item_name_zh, item_name_en: l.item_name_en,
                  lot_no: body.lot ? body.lot.lot_no : code, bin_code: bin.selectedOptions[0]?.textContent || '' } });
        if (s.sent) {
          const ans = s.result.json;
          toast(t('receive.done'), 'sent');
          const codes = (ans.labels || []).map((x) => x.code);
          add(clear(result), h('p', {}, t('receive.labels', { codes: codes.join(', ') })),
            h('button', { type: 'button', class: 'btn btn-primary', 'data-testid': 'receive-print', onclick: () => printLabels(codes) }, t('po.print')));
          qty.value = ''; scanIn.value = ''; lotNo.value = ''; over.checked = false;
        } else if (s.refused) {
          err.show(errorText(s.item.error));
          await queue.discard(s.item.id); // shown here at once; nothing left to retry
        } else {
          toast(t('receive.queued'), 'queued');
          add(clear(result), h('p', { class: 'muted' }, t('receive.queued')));
        }
      } },
      field(t('receive.line'), line), field(t('po.bin'), bin), field(t('po.qty'), qty),
      h('fieldset', {}, h('legend', {}, t('receive.lot')), field(t('receive.scanLot'), scanIn),
        h('p', { class: 'muted' }, t('receive.orNew')), field(t('po.lot'), lotNo), field(t('receive.prod'), prod), field(t('po.expiry'), exp)),
      h('label', {}, over, ' ', t('receive.acceptOver')),
      h('button', { type: 'submit', class: 'btn btn-primary big', 'data-testid': 'receive-submit' }, t('receive.submit'))),
      result);
  })();
}
