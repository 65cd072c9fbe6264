// equipment.mjs -- equipment due and overdue for inspection or maintenance
// (desktop, #/equipment), and the phone page #/asset: scan an asset's label,
// then check it out to a team or a person, check it in with its condition,
// record an inspection or test run, or send it to / back from repair.
//
// Phone actions go through the offline queue (as the scan page does); a
// refusal shown at once (already out, under repair) is not kept in it.

import { h, clear, append } from './dom.mjs';
import { t, pick, fmtDate, fmtDateTime } from './i18n.mjs';
import { call } from './api.mjs';
import * as queue from './queue.mjs';
import { currentUser } from './session.mjs';
import { errorText, toast } from './views.mjs';
import { extractCode } from './code.mjs';
import * as fb from './feedback.mjs';

const add = (el, ...children) => append(el, children);
const errText = (r) => (r.status === 0 ? t('po.offline') : errorText(r.error));
const canAct = (u) => u && ['warehouse', 'town_official', 'admin'].includes(u.role);

function field(label, input) {
  return h('label', { class: 'filter-field' }, h('span', { class: 'field-label' }, label), input);
}

// ---------------------------------------------------------------- due list

export function mountEquipment(main) {
  const user = currentUser();
  const town = h('input', { placeholder: t('equip.townCode'), 'data-testid': 'equip-town',
    value: user && user.org_unit && user.org_unit.kind !== 'city' ? user.org_unit.code : '' });
  const days = h('input', { type: 'number', min: 0, max: 3650, value: '30', 'data-testid': 'equip-days' });
  const overdue = h('input', { type: 'checkbox', 'data-testid': 'equip-overdue' });
  const err = h('p', { class: 'field-error', role: 'alert', hidden: true });
  const links = h('span', { class: 'export-links' });
  const body = h('div', {});
  const count = h('p', { class: 'muted', 'data-testid': 'equip-count' });
  add(main, h('section', { class: 'equip-page' }, h('h1', { class: 'page-title' }, t('equip.title')),
    h('form', { class: 'filters no-print', onsubmit: (e) => { e.preventDefault(); load(); } },
      field(t('equip.town'), town), field(t('equip.days'), days),
      h('label', {}, overdue, ' ', t('equip.overdueOnly')),
      h('div', { class: 'filter-actions' }, h('button', { type: 'submit', class: 'btn btn-primary' }, t('equip.show'))), links),
    err, count, body, rulesSection(user)));

  function query(extra = '') {
    const p = new URLSearchParams();
    if (town.value.trim()) p.set('town', town.value.trim());
    p.set('days', days.value || '30');
    if (overdue.checked) p.set('overdue', 'true');
    return `${p.toString()}${extra}`;
  }

  async function load() {
    err.hidden = true;
    add(clear(links),
      h('a', { class: 'btn btn-small', href: `/api/v1/equipment/due?${query('&format=csv')}`, download: '', 'data-testid': 'equip-csv' }, t('po.csv')),
      h('a', { class: 'btn btn-small', href: `/api/v1/equipment/due?${query('&format=xlsx')}`, download: '', 'data-testid': 'equip-xlsx' }, t('po.xlsx')));
    const r = await call('GET', `equipment/due?${query('&limit=1000')}`);
    if (!r.ok) { err.hidden = false; err.textContent = errText(r); return; }
    const rows = r.json.items.slice().sort((a, b) => String(a.next_due).localeCompare(String(b.next_due)));
    count.textContent = t('equip.count', { n: rows.length });
    const cols = [t('equip.item'), t('equip.serial'), t('equip.depot'), t('equip.inspection'), t('equip.maintenance'),
      t('equip.status'), t('equip.out')];
    const late = (d) => d && d < new Date().toISOString().slice(0, 10);
    add(clear(body), h('div', { class: 'table-wrap' }, h('table', { class: 'stock-table', 'data-testid': 'equip-table' },
      h('thead', {}, h('tr', {}, cols.map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, rows.map((a) => h('tr', { 'data-testid': 'equip-row', 'data-asset': a.id, class: a.inspection_overdue || a.maintenance_overdue ? 'row-overdue' : null },
        h('td', { 'data-label': cols[0] }, pick(a.item_name_zh, a.item_name_en), h('span', { class: 'sub' }, a.item_code)),
        h('td', { 'data-label': cols[1] }, h('a', { href: `#/asset/${a.id}` }, a.serial_no)),
        h('td', { 'data-label': cols[2] }, a.depot_code),
        h('td', { 'data-label': cols[3], class: late(a.inspection_due) ? 'overdue' : null }, fmtDate(a.inspection_due) || '—',
          late(a.inspection_due) ? h('span', { class: 'sub' }, t('equip.overdue')) : null),
        h('td', { 'data-label': cols[4], class: late(a.maintenance_due) ? 'overdue' : null }, fmtDate(a.maintenance_due) || '—'),
        h('td', { 'data-label': cols[5] }, t(`equip.st.${a.status}`)),
        h('td', { 'data-label': cols[6] }, a.checked_out_to || '—')))))));
  }
  load();
}

// The maintenance rules per item (the catalogue's inspection interval where
// no rule says otherwise); an administrator sets one per item and kind.
function rulesSection(user) {
  const list = h('div', {});
  const err = h('p', { class: 'field-error', role: 'alert', hidden: true });
  const load = async () => {
    const r = await call('GET', 'maintenance-rules?limit=1000');
    if (!r.ok) { err.hidden = false; err.textContent = errText(r); return; }
    const cols = [t('equip.item'), t('asset.kindLabel'), t('rule.interval'), t('rule.what'), t('rule.source')];
    add(clear(list), h('div', { class: 'table-wrap' }, h('table', { class: 'stock-table', 'data-testid': 'rule-table' },
      h('thead', {}, h('tr', {}, cols.map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, r.json.items.map((x) => h('tr', {},
        h('td', { 'data-label': cols[0] }, pick(x.item_name_zh, x.item_name_en), h('span', { class: 'sub' }, x.item_code)),
        h('td', { 'data-label': cols[1] }, t(`asset.kind.${x.kind}`)),
        h('td', { 'data-label': cols[2], class: 'num' }, t('supplier.days', { n: x.interval_days })),
        h('td', { 'data-label': cols[3] }, pick(x.description_zh, x.description_en)),
        h('td', { 'data-label': cols[4] }, t(`rule.src.${x.source}`))))))));
  };
  let form = null;
  if (user && user.role === 'admin') {
    const item = h('input', { placeholder: t('po.itemCode') });
    const kind = h('select', {}, ['inspection', 'test_run', 'maintenance'].map((k) => h('option', { value: k }, t(`asset.kind.${k}`))));
    const days = h('input', { type: 'number', min: 1, max: 3650 });
    const zh = h('input', { maxlength: 255 });
    const en = h('input', { maxlength: 255 });
    form = h('form', { class: 'card filters', onsubmit: async (e) => {
      e.preventDefault();
      err.hidden = true;
      const it = await call('GET', `items/${encodeURIComponent(item.value.trim())}`);
      if (!it.ok) { err.hidden = false; err.textContent = errText(it); return; }
      const r = await call('POST', 'maintenance-rules', { item_id: it.json.id, kind: kind.value, interval_days: Number(days.value),
        description_zh: zh.value.trim(), description_en: en.value.trim() });
      if (!r.ok) { err.hidden = false; err.textContent = errText(r); return; }
      toast(t('rule.saved'), 'sent');
      load();
    } }, h('h3', {}, t('rule.set')), field(t('po.itemCode'), item), field(t('asset.kindLabel'), kind),
    field(t('rule.interval'), days), field(t('rule.zh'), zh), field(t('rule.en'), en),
    h('div', { class: 'filter-actions' }, h('button', { type: 'submit', class: 'btn' }, t('supplier.save'))));
  }
  const det = h('details', { class: 'rsection', 'data-testid': 'rules' }, h('summary', {}, t('rule.title')), err, list, form);
  det.addEventListener('toggle', () => { if (det.open && !list.firstChild) load(); });
  return det;
}

// ---------------------------------------------------------------- phone: one asset

export function mountAsset(main, params) {
  const user = currentUser();
  const input = h('input', { autocomplete: 'off', autocapitalize: 'characters', enterkeyhint: 'go',
    placeholder: t('asset.scanHint'), 'data-testid': 'asset-scan', 'aria-label': t('asset.scanHint') });
  const err = h('p', { class: 'field-error', role: 'alert', hidden: true, 'data-testid': 'asset-error' });
  const box = h('div', { 'data-testid': 'asset-box' });
  let ref = params && params[0] ? params[0] : null;
  add(main, h('section', { class: 'asset-page' }, h('h1', { class: 'page-title' }, t('asset.title')),
    h('form', { class: 'scan-form', onsubmit: (e) => {
      e.preventDefault();
      const v = extractCode(input.value);
      if (v) { ref = v; input.value = ''; load(); }
    } }, input, h('button', { type: 'submit', class: 'btn btn-primary' }, t('asset.find'))),
    err, box));
  const showErr = (text) => { err.hidden = !text; err.textContent = text || ''; };

  async function load() {
    showErr('');
    const r = await call('GET', `assets/${encodeURIComponent(ref)}/services`);
    if (!r.ok) { clear(box); showErr(errText(r)); fb.refusal(); return; }
    render(r.json);
  }

  // Send one action through the queue; on success show the asset as answered.
  async function act(path, body, kind, a) {
    showErr('');
    const s = await queue.submit({ path: `assets/${a.id}/${path}`, body,
      meta: { kind, item_name_zh: a.item_name_zh, item_name_en: a.item_name_en, lot_no: a.serial_no, bin_code: a.depot_code } });
    if (s.sent) { fb.success(); toast(t(`asset.done.${kind}`), 'sent'); load(); return; }
    if (s.refused) {
      fb.refusal();
      showErr(errorText(s.item.error));
      await queue.discard(s.item.id);
      return;
    }
    fb.queued();
    toast(t('asset.queued'), 'queued');
  }

  async function render(a) {
    const out = a.checkout_id !== null && a.checkout_id !== undefined;
    const who = out ? (a.out_team_code ? `${a.out_team_name_zh || ''} (${a.out_team_code})` : a.out_person) : null;
    const can = canAct(user);
    const parts = [
      h('h2', { class: 'rsection-title', 'data-testid': 'asset-name' }, pick(a.item_name_zh, a.item_name_en), ' · ', a.serial_no),
      h('p', {}, t('equip.depot'), ': ', a.depot_code, ' · ', t('equip.status'), ': ',
        h('strong', { 'data-testid': 'asset-status', 'data-status': a.status, 'data-asset': String(a.id) }, t(`equip.st.${a.status}`))),
      h('p', { 'data-testid': 'asset-out', 'data-out': out ? '1' : '0' }, out ? t('asset.outTo', { who, since: fmtDateTime(a.checked_out_at) }) : t('asset.inDepot')),
      h('p', {}, t('equip.inspection'), ': ', fmtDate(a.inspection_due) || '—', ' · ', t('equip.maintenance'), ': ', fmtDate(a.maintenance_due) || '—'),
    ];
    if (can && !out && a.status === 'in_service') {
      const team = h('select', { 'data-testid': 'asset-team' }, h('option', { value: '' }, t('asset.noTeam')));
      const person = h('input', { 'data-testid': 'asset-person', placeholder: t('asset.person') });
      const due = h('input', { type: 'date', 'data-testid': 'asset-due' });
      const tr = await call('GET', 'teams?limit=500');
      if (tr.ok) add(team, (tr.json.items || []).map((x) => h('option', { value: x.id }, `${x.code} ${pick(x.name_zh, x.name_en)}`)));
      parts.push(h('form', { class: 'card', onsubmit: (e) => {
        e.preventDefault();
        const body = {};
        if (team.value) body.team_id = Number(team.value);
        if (person.value.trim()) body.person_name = person.value.trim();
        if (due.value) body.due_back = due.value;
        act('checkout', body, 'checkout', a);
      } }, h('h3', {}, t('asset.checkout')), field(t('asset.team'), team), field(t('asset.person'), person),
      field(t('asset.dueBack'), due),
      h('button', { type: 'submit', class: 'btn btn-primary big', 'data-testid': 'asset-checkout' }, t('asset.checkout'))));
    }
    if (can && out) {
      const cond = h('select', { 'data-testid': 'asset-condition' },
        ['good', 'fair', 'damaged', 'lost'].map((c) => h('option', { value: c }, t(`asset.cond.${c}`))));
      const note = h('input', { 'data-testid': 'asset-note', placeholder: t('asset.note') });
      parts.push(h('form', { class: 'card', onsubmit: (e) => {
        e.preventDefault();
        act('checkin', { condition: cond.value, ...(note.value.trim() ? { note: note.value.trim() } : {}) }, 'checkin', a);
      } }, h('h3', {}, t('asset.checkin')), field(t('asset.condition'), cond), field(t('asset.note'), note),
      h('button', { type: 'submit', class: 'btn btn-primary big', 'data-testid': 'asset-checkin' }, t('asset.checkin'))));
    }
    if (can && (a.status === 'in_service' || a.status === 'under_repair')) {
      const kind = h('select', { 'data-testid': 'asset-service-kind' },
        ['inspection', 'test_run', 'maintenance'].map((k) => h('option', { value: k }, t(`asset.kind.${k}`))));
      const result = h('select', { 'data-testid': 'asset-service-result' },
        ['ok', 'failed'].map((k) => h('option', { value: k }, t(`asset.result.${k}`))));
      parts.push(h('form', { class: 'card', onsubmit: (e) => {
        e.preventDefault();
        act('services', { kind: kind.value, result: result.value }, 'service', a);
      } }, h('h3', {}, t('asset.service')), field(t('asset.kindLabel'), kind), field(t('asset.resultLabel'), result),
      h('button', { type: 'submit', class: 'btn', 'data-testid': 'asset-service' }, t('asset.record'))));
      if (!out) parts.push(h('div', { class: 'toolbar' },
        a.status === 'in_service'
          ? h('button', { type: 'button', class: 'btn', 'data-testid': 'asset-repair', onclick: () => act('repair', {}, 'repair', a) }, t('asset.repair'))
          : h('button', { type: 'button', class: 'btn', 'data-testid': 'asset-repair-done', onclick: () => act('repair-done', {}, 'repair_done', a) }, t('asset.repairDone'))));
    }
    const hist = (a.services || []).slice(0, 10);
    if (hist.length) parts.push(h('h3', {}, t('asset.history')), h('ul', { class: 'asset-history' },
      hist.map((s) => h('li', {}, `${fmtDate(s.done_at)} ${t(`asset.kind.${s.kind}`)}${s.result ? ` (${t(`asset.result.${s.result}`)})` : ''} — ${s.done_by_name}${s.note ? `: ${s.note}` : ''}`))));
    add(clear(box), parts);
  }

  if (ref) load();
  input.focus();
}
