// readiness.mjs -- the readiness pages: the city (every town-level unit by
// status, sortable and filterable, CSV export), a town (every line of the
// standard red first, findings, kits, lots of an item, teams, villages), a
// team (its equipment standard) and a village ("ten haves" checklist).
//
// The JSON API does the work (GET /readiness/...); these pages only show it.
// Status is never colour alone: a symbol and a word go with every colour.
// The XLSX/PDF links appear only when the server answers them; the
// pre-season check panel is check.mjs.

import { h, clear, append } from './dom.mjs';

// Element.append does not flatten arrays or skip null: this does.
const add = (el, ...children) => append(el, children);
import { t, pick, other, fmtNum, fmtQty, fmtDate, fmtDateTime, getLang } from './i18n.mjs';
import { call } from './api.mjs';
import { currentUser } from './session.mjs';
import { go } from './router.mjs';
import { errorText } from './views.mjs';
import { checkPanel } from './check.mjs';

// ---------------------------------------------------------------- shared

const RANK = { red: 0, amber: 1, green: 2 };
const SYM = { red: '✖', amber: '▲', green: '✔', unanswered: '?', yes: '✔', no: '✖' };

// The as-of day and season chosen on one page carry over to the others.
const params = { asOf: '', season: '' };
// The city page's filters and sort, kept while the user drills down and back.
const cityState = { status: '', item: '', sort: 'status', dir: 1 };

export function isCityRole(user) {
  return !!user && (user.role === 'city_auditor' || user.role === 'admin');
}

// The town-level unit of a town official or warehouse user (null otherwise).
export function ownTown(user) {
  const ou = user && user.org_unit;
  return ou && ['town', 'subdistrict', 'park'].includes(ou.kind) ? ou.code : null;
}

export function statusBadge(status, testid = 'status') {
  const s = status || 'none';
  return h('span', { class: ['st', `st-${s}`], 'data-testid': testid, 'data-status': s },
    h('span', { class: 'st-sym', 'aria-hidden': 'true' }, SYM[s] || '–'), ' ', t(`status.${s}`));
}

const pct = (v) => (v === null || v === undefined ? '—' : `${fmtNum(v)} %`);

function query(extra = {}) {
  const q = new URLSearchParams();
  if (params.asOf) q.set('as_of', params.asOf);
  if (params.season) q.set('season', params.season);
  for (const [k, v] of Object.entries(extra)) if (v !== '' && v !== null && v !== undefined) q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
}

const getJson = (path) => call('GET', path);

// The as-of day and season inputs; onChange after either changed.
function paramInputs(onChange, season) {
  const asOf = h('input', { type: 'date', id: 'as-of', value: params.asOf, 'data-testid': 'as-of' });
  const year = h('input', { type: 'number', id: 'season', min: 2000, max: 2100, step: 1, inputmode: 'numeric',
    value: params.season, placeholder: season ? String(season.year) : '', 'data-testid': 'season' });
  const apply = () => {
    params.asOf = asOf.value || '';
    params.season = /^\d{4}$/.test(year.value) ? year.value : '';
    onChange();
  };
  asOf.addEventListener('change', apply);
  year.addEventListener('change', apply);
  return h('div', { class: 'filter' },
    h('span', { class: 'filter-field' }, h('label', { for: 'as-of', class: 'field-label' }, t('ready.asOf')), asOf),
    h('span', { class: 'filter-field' }, h('label', { for: 'season', class: 'field-label' }, t('ready.season')), year));
}

function seasonText(s) {
  if (!s) return '';
  return t('ready.seasonDates', { year: s.year, start: fmtDate(s.start), end: fmtDate(s.end) });
}

function standardText(st) {
  if (!st) return t('ready.noStandard');
  return t('ready.standardVersion', { name: pick(st.name_zh, st.name_en), version: st.version });
}

// The facts under a page title: season, as-of, standard, computed at.
function facts(d, extra = []) {
  const row = (k, v, id) => [h('dt', {}, k), h('dd', { 'data-testid': id }, v)];
  return h('dl', { class: 'rfacts' },
    row(t('ready.season'), seasonText(d.season), 'r-season'),
    row(t('ready.asOf'), fmtDate(d.as_of), 'r-as-of'),
    row(t('ready.standard'), standardText(d.standard), 'r-standard'),
    extra,
    row(t('ready.computedAt'), fmtDateTime(d.computed_at), 'r-computed'));
}

function itemCell(zh, en, code) {
  const o = other(zh, en);
  return [h('span', { class: 'iname' }, pick(zh, en)),
    h('span', { class: 'sub' }, o ? h('span', { lang: getLang() === 'en' ? 'zh-CN' : 'en' }, o) : null,
      o && code ? ' · ' : null, code ? h('span', { class: 'code' }, code) : null)];
}

function errorBox(res) {
  return h('p', { class: 'field-error', role: 'alert', 'data-testid': 'ready-error' },
    res.status === 0 ? t('ready.offline') : errorText(res.error));
}

function loading() { return h('p', { class: 'muted', role: 'status', 'data-testid': 'ready-loading' }, t('ready.loading')); }

function section(title, count, body, testid) {
  return h('section', { class: 'card rsection', 'data-testid': testid },
    h('h2', { class: 'rsection-title' }, title, count === null || count === undefined ? null : h('span', { class: 'count' }, ` (${fmtNum(count)})`)),
    body);
}

function emptyNote() { return h('p', { class: 'muted' }, t('ready.none')); }

function table(cls, caption, heads, rows, testid) {
  return h('div', { class: 'table-wrap' }, h('table', { class: ['data-table', cls], 'data-testid': testid },
    h('caption', { class: 'sr-only' }, caption),
    h('thead', {}, h('tr', {}, heads.map(([text, num]) => h('th', { scope: 'col', class: num ? 'num' : null }, text)))),
    h('tbody', {}, rows)));
}

// One element inside: on a phone the cell is a grid of its label and this.
const td = (label, content, cls) => h('td', { 'data-label': label, class: cls || null }, h('div', { class: 'cell' }, content));

// Lines sorted red first, then by coverage (lowest first), then standard order.
function redFirst(lines) {
  return lines.map((l, i) => ({ l, i })).sort((a, b) =>
    (RANK[a.l.status] ?? 3) - (RANK[b.l.status] ?? 3) ||
    (a.l.coverage_pct ?? 1e9) - (b.l.coverage_pct ?? 1e9) || a.i - b.i).map((x) => x.l);
}

// The table of a standard's lines (town or team).  onItem(line) opens its lots.
function linesTable(lines, { onItem, team = false } = {}) {
  const heads = [[t('field.item')], [t('ready.required'), true], [t('ready.usable'), true],
    [t('ready.coverage'), true], [t('field.status')]];
  if (team) heads.push([t('ready.missingPersons'), true]);
  const rows = redFirst(lines).map((l) => h('tr', {
    class: `row-${l.status}`, 'data-testid': 'line', 'data-item': l.item_code, 'data-status': l.status,
    'data-required': String(l.required), 'data-usable': String(l.usable),
  },
  td(t('field.item'), onItem
    ? h('button', { type: 'button', class: 'linklike', 'data-testid': 'line-item', onclick: () => onItem(l) },
      itemCell(l.item_name_zh, l.item_name_en, l.item_code))
    : itemCell(l.item_name_zh, l.item_name_en, l.item_code)),
  td(t('ready.required'), fmtQty(l.required, l.unit), 'num'),
  td(t('ready.usable'), [fmtQty(l.usable, l.unit),
    Number(l.usable_substitutes) ? h('span', { class: 'sub' }, t('ready.ofWhichSubs', { qty: fmtQty(l.usable_substitutes, l.unit) })) : null,
    Number(l.not_in_date) ? h('span', { class: 'sub' }, t('ready.notInDate', { qty: fmtQty(l.not_in_date, l.unit) })) : null],
  'num'),
  td(t('ready.coverage'), pct(l.coverage_pct), 'num'),
  td(t('field.status'), statusBadge(l.status, 'line-status')),
  team ? td(t('ready.missingPersons'), fmtNum(l.missing_persons ?? 0), 'num') : null));
  return table('lines-table', t('ready.lines'), heads, rows, 'lines-table');
}

function where(x) { return `${x.depot_code || ''}${x.bin_code ? ` / ${x.bin_code}` : ''}`; }

function holdingsTable(list, { reason = false, stale = false } = {}) {
  const heads = [[t('field.item')], [t('field.lot')], [t('field.place')], [t('field.expiry')], [t('ready.qty'), true]];
  if (reason) heads.push([t('ready.reason')]);
  if (stale) heads.push([t('ready.lastCount')]);
  const rows = list.map((x) => h('tr', { 'data-testid': 'holding' },
    td(t('field.item'), itemCell(x.item_name_zh, x.item_name_en, x.item_code)),
    td(t('field.lot'), x.lot_no || '—'),
    td(t('field.place'), where(x)),
    td(t('field.expiry'), fmtDate(x.expiry_date) || '—'),
    td(t('ready.qty'), fmtQty(x.qty, x.unit), 'num'),
    reason ? td(t('ready.reason'), t(`reason.${x.reason}`)) : null,
    stale ? td(t('ready.lastCount'), x.never_counted ? t('ready.neverCounted')
      : t('ready.countAge', { date: fmtDate(x.last_count_at), days: fmtNum(x.age_days) })) : null));
  return table('holdings-table', '', heads, rows, 'holdings');
}

function assetsTable(list) {
  const heads = [[t('field.item')], [t('field.serial')], [t('field.place')], [t('ready.inspectionDue')], [t('field.status')]];
  const rows = list.map((a) => h('tr', { 'data-testid': 'asset' },
    td(t('field.item'), itemCell(a.item_name_zh, a.item_name_en, a.item_code)),
    td(t('field.serial'), a.serial_no),
    td(t('field.place'), a.depot_code || '—'),
    td(t('ready.inspectionDue'), fmtDate(a.inspection_due) || '—'),
    td(t('field.status'), [a.is_under_repair ? t('ready.underRepair') : null,
      a.is_under_repair && a.is_inspection_overdue ? ' · ' : null,
      a.is_inspection_overdue ? t('ready.inspectionOverdue') : null])));
  return table('assets-table', '', heads, rows, 'assets');
}

function shortfallList(list) {
  if (!list.length) return emptyNote();
  return h('ul', { class: 'short-list', 'data-testid': 'shortfall-list' }, list.map((s) => h('li', { 'data-testid': 'shortfall', 'data-item': s.item_code },
    statusBadge(s.status, 'shortfall-status'), ' ',
    h('strong', {}, pick(s.item_name_zh, s.item_name_en)), ' — ',
    t('ready.shortBy', { missing: fmtQty(s.missing, s.unit), required: fmtQty(s.required, s.unit), usable: fmtQty(s.usable, s.unit) }))));
}

function findingsSections(f, { team = false } = {}) {
  const out = [];
  out.push(section(t('ready.f.shortfall'), (f.shortfall || []).length, shortfallList(f.shortfall || []), 'f-shortfall'));
  if (team) {
    const m = f.members_without_kit || [];
    out.push(section(t('ready.f.membersWithoutKit'), f.members_without_kit_max ?? m.length, m.length
      ? h('ul', { class: 'short-list' }, m.map((x) => h('li', {}, h('strong', {}, x.item_name_zh), ' — ',
        t('ready.missingPersonsOf', { n: fmtNum(x.missing_persons) }))))
      : emptyNote(), 'f-members'));
  }
  const lists = [
    ['rotate', t('ready.f.rotate'), { reason: true }],
    ['quarantined', t('ready.f.quarantined'), {}],
    ['stale_counts', t('ready.f.stale'), { stale: true }],
  ];
  for (const [k, title, opts] of lists) {
    const list = f[k] || [];
    out.push(section(title, list.length, list.length ? holdingsTable(list, opts) : emptyNote(), `f-${k}`));
  }
  const assets = f.assets || [];
  out.push(section(t('ready.f.assets'), assets.length, assets.length ? assetsTable(assets) : emptyNote(), 'f-assets'));
  return out;
}

function kitsSection(kits) {
  if (!kits || !kits.length) return null;
  return section(t('ready.kits'), null, h('ul', { class: 'kit-list' }, kits.map((k) => {
    const lim = (k.lines || []).find((l) => l.item_code === k.limited_by);
    return h('li', { 'data-testid': 'kit' },
      h('strong', {}, pick(k.name_zh, k.name_en)), ': ',
      h('span', { class: 'kit-cap' }, t('ready.kitCapacity', { n: fmtNum(k.capacity) })),
      lim ? h('span', { class: 'sub' }, t('ready.limitedBy', { item: lim.item_name_zh || lim.item_code })) : null);
  })), 'kits');
}

function exportLinks(links) {
  return links.map(([href, key, testid]) => h('a', { class: 'btn btn-small', href, download: '', 'data-testid': testid }, t(key)));
}

function printButton() {
  return h('button', { type: 'button', class: 'btn btn-small', 'data-testid': 'print', onclick: () => window.print() }, t('ready.print'));
}

// ---------------------------------------------------------------- city

export function mountCity(main) {
  let alive = true;
  const user = currentUser();
  if (!isCityRole(user)) {
    const own = ownTown(user);
    if (own) { go('town', own); return () => {}; }
  }
  const status = h('select', { id: 'f-status', 'data-testid': 'filter-status' },
    h('option', { value: '' }, t('ready.allStatus')),
    ['red', 'amber', 'green'].map((s) => h('option', { value: s, selected: cityState.status === s }, `${SYM[s]} ${t(`status.${s}`)}`)));
  const item = h('select', { id: 'f-item', 'data-testid': 'filter-item' }, h('option', { value: '' }, t('ready.allItems')));
  const body = h('div', { class: 'city-body' }, loading());
  const summary = h('p', { class: 'rsummary', 'data-testid': 'city-summary', role: 'status' });
  const about = h('p', { class: 'muted rabout', 'data-testid': 'city-about' });
  const links = h('span', { class: 'export-links' });
  let data = null;
  let seq = 0;

  const toolbar = h('div', { class: 'filters no-print' },
    paramInputs(() => load()),
    h('div', { class: 'filter' },
      h('span', { class: 'filter-field' }, h('label', { for: 'f-status', class: 'field-label' }, t('ready.filterStatus')), status),
      h('span', { class: 'filter-field filter-wide' }, h('label', { for: 'f-item', class: 'field-label' }, t('ready.filterItem')), item)),
    h('div', { class: 'filter-actions' }, links, printButton()));
  add(main, h('section', { class: 'ready-page city-page' },
    h('h1', { class: 'page-title' }, t('city.title')), toolbar, h('div', {}, summary, about), body));

  status.addEventListener('change', () => { cityState.status = status.value; load(); });
  item.addEventListener('change', () => { cityState.item = item.value; load(); });

  // The items of the town standard, for "towns short of ...".
  (async () => {
    const r = await getJson('standards/town_reserve');
    if (!alive || !r.ok || !r.json) return;
    const lines = r.json.lines || (r.json.standard && r.json.standard.lines) || [];
    for (const l of lines) {
      add(item, h('option', { value: l.item_code, selected: cityState.item === l.item_code },
        `${pick(l.item_name_zh, l.item_name_en)} (${l.item_code})`));
    }
  })();

  // On a phone the table header (with its sort buttons) is hidden: this select sorts.
  const sortSel = h('select', { id: 'f-sort', 'data-testid': 'sort-select' },
    ['status', 'name', 'coverage'].map((k) => h('option', { value: k, selected: cityState.sort === k }, t(`city.sortBy.${k}`))));
  sortSel.addEventListener('change', () => { cityState.sort = sortSel.value; cityState.dir = 1; render(); });
  add([...toolbar.querySelectorAll('.filter')].pop() || toolbar, h('span', { class: 'filter-field phone-only' },
    h('label', { for: 'f-sort', class: 'field-label' }, t('city.sortBy')), sortSel));

  const sortBtn = (key, label) => {
    const active = cityState.sort === key;
    return h('th', { scope: 'col', class: key === 'coverage' ? 'num' : null,
      'aria-sort': active ? (cityState.dir > 0 ? 'ascending' : 'descending') : 'none' },
    h('button', { type: 'button', class: 'sort', 'data-testid': `sort-${key}`, onclick: () => {
      if (cityState.sort === key) cityState.dir = -cityState.dir;
      else { cityState.sort = key; cityState.dir = 1; }
      sortSel.value = cityState.sort;
      render();
    } }, label, h('span', { class: 'sort-sym', 'aria-hidden': 'true' }, active ? (cityState.dir > 0 ? ' ▲' : ' ▼') : ' ↕')));
  };

  function sorted(rows) {
    const withIdx = rows.map((r, i) => ({ r, i }));
    const coll = new Intl.Collator(getLang());
    const cov = (r) => { const v = r.line ? r.line.coverage_pct : r.min_coverage_pct; return v === null || v === undefined ? Infinity : Number(v); };
    const cmp = {
      status: (a, b) => a.i - b.i, // the server's order: red first, lowest coverage first
      name: (a, b) => coll.compare(pick(a.r.name_zh, a.r.name_en), pick(b.r.name_zh, b.r.name_en)) || a.i - b.i,
      coverage: (a, b) => cov(a.r) - cov(b.r) || a.i - b.i,
    }[cityState.sort] || ((a, b) => a.i - b.i);
    return withIdx.sort((a, b) => cityState.dir * cmp(a, b)).map((x) => x.r);
  }

  function render() {
    if (!data) return;
    const rows = data.items || [];
    const s = data.summary || {};
    add(clear(summary),
      h('span', { class: 'sum-item' }, t('city.summary', { n: fmtNum(s.units ?? rows.length) })),
      ['red', 'amber', 'green'].map((k) => h('span', { class: 'sum-item', 'data-testid': `sum-${k}` }, statusBadge(k, `sum-${k}-badge`), ` ${fmtNum(s[k] ?? 0)}`)));
    add(clear(about), seasonText(data.season), ' · ', t('ready.asOfShort', { date: fmtDate(data.as_of) }),
      ' · ', standardText(data.standard));
    const it = data.item;
    const heads = [
      sortBtn('name', t('city.town')), sortBtn('status', it ? t('city.itemStatus') : t('field.status')),
      sortBtn('coverage', it ? t('city.itemCoverage') : t('city.minCoverage')),
    ];
    if (it) heads.push(h('th', { scope: 'col', class: 'num' }, t('ready.required')), h('th', { scope: 'col', class: 'num' }, t('ready.usable')));
    heads.push(h('th', { scope: 'col', class: 'num' }, t('city.shortLines')), h('th', { scope: 'col', class: 'num' }, t('city.rotate')));
    if (it) heads.push(h('th', { scope: 'col' }, t('city.townStatus')));
    const trs = sorted(rows).map((r) => {
      const st = it && r.line ? r.line.status : r.status;
      return h('tr', { class: `row-${st}`, 'data-testid': 'town-row', 'data-code': r.code, 'data-status': st },
        td(t('city.town'), [h('a', { href: `#/town/${encodeURIComponent(r.code)}`, 'data-testid': 'town-link' }, pick(r.name_zh, r.name_en)),
          other(r.name_zh, r.name_en) ? h('span', { class: 'sub' }, other(r.name_zh, r.name_en)) : null]),
        td(it ? t('city.itemStatus') : t('field.status'), statusBadge(st, 'town-status')),
        td(it ? t('city.itemCoverage') : t('city.minCoverage'), pct(it && r.line ? r.line.coverage_pct : r.min_coverage_pct), 'num'),
        it ? td(t('ready.required'), r.line ? fmtQty(r.line.required, r.line.unit) : '—', 'num') : null,
        it ? td(t('ready.usable'), r.line ? fmtQty(r.line.usable, r.line.unit) : '—', 'num') : null,
        td(t('city.shortLines'), fmtNum(r.shortfall_lines), 'num'),
        td(t('city.rotate'), fmtNum(r.rotate), 'num'),
        it ? td(t('city.townStatus'), statusBadge(r.status, 'town-overall')) : null);
    });
    add(clear(body), rows.length
      ? h('div', { class: 'table-wrap' }, h('table', { class: 'data-table city-table', 'data-testid': 'city-table' },
        h('caption', { class: 'sr-only' }, t('city.title')), h('thead', {}, h('tr', {}, heads)), h('tbody', {}, trs)))
      : h('p', { class: 'muted', 'data-testid': 'city-empty' }, t('city.empty')));
  }

  async function load() {
    const q = query({ status: cityState.status, item: cityState.item });
    add(clear(links), ...exportLinks([
      [`/api/v1/readiness/city${query({ status: cityState.status, item: cityState.item, format: 'csv' })}`, 'ready.csv', 'export-csv'],
      [`/api/v1/readiness/city${query({ status: cityState.status, item: cityState.item, format: 'xlsx' })}`, 'ready.xlsx', 'export-xlsx'],
      [`/api/v1/readiness/city/report.pdf${query()}`, 'ready.pdf', 'export-pdf'],
    ]));
    body.dataset.state = 'loading';
    const mine = ++seq; // only the answer to the latest question is shown
    const r = await getJson(`readiness/city${q}`);
    if (!alive || mine !== seq) return;
    body.dataset.state = 'done';
    if (!r.ok) { data = null; clear(summary); clear(about); add(clear(body), errorBox(r)); return; }
    data = r.json;
    const yr = document.getElementById('season');
    if (yr && data.season) yr.placeholder = String(data.season.year);
    render();
  }
  load();
  return () => { alive = false; };
}

// ---------------------------------------------------------------- town

function lotsPanel(code, line, host) {
  let cursor = null;
  let shown = 0;
  const tbody = h('tbody', {});
  const count = h('p', { class: 'muted', 'data-testid': 'lots-count' });
  const err = h('p', { class: 'field-error', role: 'alert', hidden: true });
  const more = h('button', { type: 'button', class: 'btn', hidden: true, 'data-testid': 'lots-more' }, t('stock.more'));
  const closeBtn = h('button', { type: 'button', class: 'btn btn-small no-print', 'data-testid': 'lots-close', onclick: () => clear(host) }, t('ready.close'));
  const panel = h('section', { class: 'card rsection lots-panel', 'data-testid': 'lots-panel', 'data-item': line.item_code, tabindex: '-1' },
    h('div', { class: 'rsection-head' },
      h('h2', { class: 'rsection-title' }, t('ready.lotsOf', { item: pick(line.item_name_zh, line.item_name_en) })), closeBtn),
    count, err,
    h('div', { class: 'table-wrap' }, h('table', { class: 'data-table' },
      h('caption', { class: 'sr-only' }, t('ready.lotsOf', { item: line.item_code })),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t('field.lot')), h('th', { scope: 'col' }, t('field.place')),
        h('th', { scope: 'col' }, t('field.expiry')), h('th', { scope: 'col', class: 'num' }, t('field.onHand')),
        h('th', { scope: 'col' }, t('field.status')))),
      tbody)), more);
  add(clear(host), panel);
  const load = async () => {
    err.hidden = true;
    const q = `stock?org_unit=${encodeURIComponent(code)}&item=${encodeURIComponent(line.item_code)}&limit=50${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const r = await getJson(q);
    if (!r.ok) { err.hidden = false; err.textContent = r.status === 0 ? t('ready.offline') : errorText(r.error); return; }
    for (const s of r.json.items || []) {
      const expired = s.expiry_date && s.expiry_date < (params.asOf || fmtDate(new Date()));
      add(tbody, h('tr', { 'data-testid': 'lot-row' },
        td(t('field.lot'), s.lot_no || '—'), td(t('field.place'), where(s)),
        td(t('field.expiry'), fmtDate(s.expiry_date) || '—'),
        td(t('field.onHand'), fmtQty(s.qty, s.unit), 'num'),
        td(t('field.status'), s.quarantined ? `⚠ ${t('scan.quarantined')}` : expired ? `✖ ${t('scan.expired')}` : (s.expiry_date && s.expiry_date < line.cutoff ? `▲ ${t('ready.beforeCutoff')}` : `✔ ${t('ready.lotOk')}`))));
      shown += 1;
    }
    count.textContent = t('stock.shown', { n: shown });
    cursor = r.json.next_cursor;
    more.hidden = !cursor;
  };
  more.addEventListener('click', load);
  load();
  panel.focus();
  panel.scrollIntoView({ block: 'start' });
}

export function mountTown(main, routeParams) {
  let alive = true;
  const user = currentUser();
  const code = routeParams && routeParams[0] ? decodeURIComponent(routeParams[0]) : ownTown(user);
  if (!code) { go(isCityRole(user) ? 'city' : 'scan'); return () => {}; }
  const page = h('section', { class: 'ready-page town-page' }, loading());
  add(main, page);

  let seq = 0;
  async function load() {
    const mine = ++seq;
    const r = await getJson(`readiness/towns/${encodeURIComponent(code)}${query()}`);
    if (!alive || mine !== seq) return;
    clear(page);
    const back = isCityRole(user) ? h('a', { href: '#/city', class: 'back no-print', 'data-testid': 'back-city' }, `← ${t('city.title')}`) : null;
    if (!r.ok) { add(page, back, h('h1', { class: 'page-title' }, code), errorBox(r)); return; }
    const d = r.json;
    const ou = d.org_unit || {};
    const lots = h('div', { class: 'lots-host' });
    const checks = h('div', { class: 'check-host' });
    const links = h('span', { class: 'export-links' });
    add(links, ...exportLinks([
      [`/api/v1/readiness/towns/${encodeURIComponent(code)}${query({ format: 'xlsx' })}`, 'ready.xlsx', 'export-xlsx'],
      [`/api/v1/readiness/towns/${encodeURIComponent(code)}/report.pdf${query()}`, 'ready.pdf', 'export-pdf'],
    ]));
    const lines = d.lines || [];
    add(page, 
      back,
      h('div', { class: 'rhead' },
        h('div', {},
          h('h1', { class: 'page-title' }, h('span', { 'data-testid': 'town-name' }, pick(ou.name_zh, ou.name_en)),
            other(ou.name_zh, ou.name_en) ? h('span', { class: 'title-other' }, other(ou.name_zh, ou.name_en)) : null),
          h('p', { class: 'overall' }, t('ready.overall'), ' ', statusBadge(d.status, 'town-overall'),
            ' ', h('span', { class: 'muted' }, t('ready.lineCounts', {
              n: fmtNum(d.summary ? d.summary.lines : lines.length), red: fmtNum(d.summary ? d.summary.red : 0),
              amber: fmtNum(d.summary ? d.summary.amber : 0), green: fmtNum(d.summary ? d.summary.green : 0) })))),
        facts(d, [h('dt', {}, t('ready.reservePersons')), h('dd', { 'data-testid': 'r-persons' },
          fmtNum(ou.reserve_persons), ou.reserve_persons_default ? h('span', { class: 'sub' }, t('ready.personsDefault')) : null)])),
      h('div', { class: 'filters no-print' }, paramInputs(() => load(), d.season),
        h('div', { class: 'filter-actions' }, links, printButton())),
      section(t('ready.lines'), lines.length, lines.length
        ? [h('p', { class: 'muted no-print' }, t('ready.clickItem')), linesTable(lines, { onItem: (l) => lotsPanel(code, l, lots) })]
        : emptyNote(), 'lines'),
      lots,
      checks,
      h('div', { class: 'findings' }, findingsSections(d.findings || {})),
      kitsSection(d.kits));
    const teamsBox = h('div', {}, loading());
    const villagesBox = h('div', {}, loading());
    add(page, section(t('ready.teams'), null, teamsBox, 'teams'), section(t('ready.villages'), null, villagesBox, 'villages'));
    checkPanel(code, d.season, checks);
    loadTeams(code, teamsBox);
    loadVillages(code, villagesBox);
  }
  load();
  return () => { alive = false; };
}

async function loadTeams(code, box) {
  const r = await getJson(`teams?org_unit=${encodeURIComponent(code)}&limit=100`);
  clear(box);
  if (!r.ok) { add(box, errorBox(r)); return; }
  const items = r.json.items || [];
  if (!items.length) { add(box, emptyNote()); return; }
  add(box, h('ul', { class: 'link-list', 'data-testid': 'team-list' }, items.map((tm) => h('li', {},
    h('a', { href: `#/team/${tm.id}`, 'data-testid': 'team-link' }, pick(tm.name_zh, tm.name_en)),
    h('span', { class: 'sub' }, `${t(`team.kind.${tm.kind}`)} · ${t('ready.headcount', { n: fmtNum(tm.headcount) })}`)))));
}

async function loadVillages(code, box) {
  let cursor = null;
  const ul = h('ul', { class: 'link-list cols', 'data-testid': 'village-list' });
  const more = h('button', { type: 'button', class: 'btn btn-small no-print', hidden: true, 'data-testid': 'villages-more' }, t('stock.more'));
  const page = async () => {
    const r = await getJson(`org-units?parent=${encodeURIComponent(code)}&limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    if (!r.ok) { add(box, errorBox(r)); return; }
    for (const v of r.json.items || []) {
      add(ul, h('li', {}, h('a', { href: `#/village/${encodeURIComponent(v.code)}`, 'data-testid': 'village-link' }, pick(v.name_zh, v.name_en))));
    }
    cursor = r.json.next_cursor;
    more.hidden = !cursor;
    if (!ul.children.length) { add(clear(box), emptyNote()); }
  };
  more.addEventListener('click', page);
  add(clear(box), ul, more);
  await page();
}

// ---------------------------------------------------------------- team

export function mountTeam(main, routeParams) {
  let alive = true;
  const id = routeParams && routeParams[0] ? decodeURIComponent(routeParams[0]) : '';
  const page = h('section', { class: 'ready-page team-page' }, loading());
  add(main, page);
  async function load() {
    const r = await getJson(`readiness/teams/${encodeURIComponent(id)}${query()}`);
    if (!alive) return;
    clear(page);
    const back = h('button', { type: 'button', class: 'linklike back no-print', onclick: () => history.back() }, `← ${t('ready.back')}`);
    if (!r.ok) { add(page, back, errorBox(r)); return; }
    const d = r.json;
    const tm = d.team || {};
    add(page, back,
      h('div', { class: 'rhead' },
        h('div', {},
          h('h1', { class: 'page-title', 'data-testid': 'team-name' }, pick(tm.name_zh, tm.name_en)),
          h('p', { class: 'overall' }, t('ready.overall'), ' ', statusBadge(d.status, 'team-overall'))),
        facts(d, [h('dt', {}, t('ready.teamKind')), h('dd', {}, t(`team.kind.${tm.kind}`)),
          h('dt', {}, t('ready.headcountLabel')), h('dd', {}, fmtNum(tm.headcount))])),
      h('div', { class: 'filters no-print' }, paramInputs(() => load(), d.season), h('div', { class: 'filter-actions' }, printButton())),
      section(t('ready.lines'), (d.lines || []).length, (d.lines || []).length ? linesTable(d.lines, { team: true }) : h('p', { class: 'muted' }, t('ready.noStandard')), 'lines'),
      h('div', { class: 'findings' }, findingsSections(d.findings || {}, { team: true })));
  }
  load();
  return () => { alive = false; };
}

// ---------------------------------------------------------------- village

export function mountVillage(main, routeParams) {
  let alive = true;
  const code = routeParams && routeParams[0] ? decodeURIComponent(routeParams[0]) : '';
  const page = h('section', { class: 'ready-page village-page' }, loading());
  add(main, page);
  async function load() {
    const r = await getJson(`readiness/villages/${encodeURIComponent(code)}${query()}`);
    if (!alive) return;
    clear(page);
    const back = h('button', { type: 'button', class: 'linklike back no-print', onclick: () => history.back() }, `← ${t('ready.back')}`);
    if (!r.ok) { add(page, back, errorBox(r)); return; }
    const d = r.json;
    const ou = d.org_unit || {};
    add(page, back,
      h('div', { class: 'rhead' },
        h('div', {},
          h('h1', { class: 'page-title', 'data-testid': 'village-name' }, pick(ou.name_zh, ou.name_en)),
          h('p', { class: 'overall' }, statusBadge(d.status, 'village-overall'), ' ',
            t('ready.answered', { n: fmtNum(d.answered), total: fmtNum(d.total) }))),
        facts(d)),
      h('div', { class: 'filters no-print' }, paramInputs(() => load(), d.season), h('div', { class: 'filter-actions' }, printButton())),
      section(t('village.checklist'), (d.checks || []).length, h('ol', { class: 'checklist', 'data-testid': 'checklist' },
        (d.checks || []).map((c) => h('li', { class: `check-${c.answer}`, 'data-testid': 'ten-have', 'data-answer': c.answer },
          h('div', { class: 'check-row' }, statusBadge(c.answer, 'answer'),
            h('div', {}, h('strong', {}, pick(c.name_zh, c.name_en)),
              other(c.name_zh, c.name_en) ? h('span', { class: 'sub' }, other(c.name_zh, c.name_en)) : null,
              c.what_is_checked ? h('span', { class: 'sub', lang: 'en' }, c.what_is_checked) : null))))), 'checklist-section'),
      h('p', { class: 'muted' }, t('village.note')));
  }
  load();
  return () => { alive = false; };
}
