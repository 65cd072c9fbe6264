// plans.mjs -- replenishment plans for the flood season (docs/forecasting.md):
//   #/plans/<season>                 the city: procurement list, transfers,
//                                    purchases, towns short (city roles);
//   #/plans/<season>/<town>          one town's lines (town roles land here);
//   #/plans/<season>/<town>/<item>   one item of a town: an SVG chart of the
//                                    monthly demand history with events, the
//                                    forecast, and the projected stock against
//                                    the standard.
// The API does the work (GET /plans/...); these pages only show it, with the
// CSV/XLSX exports the server answers.

import { h, clear, append } from './dom.mjs';
import { t, pick, fmtNum, fmtDate } from './i18n.mjs';
import { call } from './api.mjs';
import { currentUser } from './session.mjs';
import { go } from './router.mjs';
import { errorText, toast } from './views.mjs';

const add = (el, ...children) => append(el, children);
const SVG = 'http://www.w3.org/2000/svg';

const isCity = (u) => !!u && (u.role === 'city_auditor' || u.role === 'admin');
const ownTown = (u) => {
  const ou = u && u.org_unit;
  return ou && ['town', 'subdistrict', 'park'].includes(ou.kind) ? ou.code : null;
};

// The season to plan for: this year's until its end (October), then next year's.
function defaultSeason() {
  const d = new Date();
  return d.getUTCFullYear() + (d.getUTCMonth() >= 9 ? 1 : 0);
}

function exportLinks(base, tables) {
  const links = [];
  for (const tb of tables)
    for (const fmt of ['csv', 'xlsx'])
      links.push(h('a', { class: 'btn btn-small', href: `/api/v1/${base}?format=${fmt}&table=${tb}`, download: '',
        'data-testid': `plan-export-${tb}-${fmt}` }, t(`plan.export.${fmt}`, { table: t(`plan.table.${tb}`) })));
  return h('div', { class: 'export-links' }, links);
}

function table(cols, rows, testid) {
  return h('div', { class: 'table-wrap' }, h('table', { class: 'stock-table', 'data-testid': testid },
    h('thead', {}, h('tr', {}, cols.map((c) => h('th', { scope: 'col', class: c.num ? 'num' : null }, c.label)))),
    h('tbody', {}, rows.length ? rows
      : h('tr', {}, h('td', { colspan: cols.length, class: 'empty' }, t('plan.none'))))));
}

const cell = (label, content, num = false) => h('td', { 'data-label': label, class: num ? 'num' : null }, content);
const qty = (v, unit) => (v === null || v === undefined ? '—' : `${fmtNum(v)}${unit ? ` ${unit}` : ''}`);

function urgentBadge(on) {
  return on ? h('span', { class: ['st', 'st-red'], 'data-testid': 'plan-urgent' },
    h('span', { class: 'st-sym', 'aria-hidden': 'true' }, '✖'), ' ', t('plan.urgent')) : '';
}

function seasonPicker(season, onPick) {
  const input = h('input', { type: 'number', min: 2000, max: 2200, value: season, class: 'season-input',
    'aria-label': t('plan.season'), 'data-testid': 'plan-season' });
  input.addEventListener('change', () => {
    const y = Number(input.value);
    if (y >= 2000 && y <= 2200) onPick(y);
  });
  return h('label', { class: 'filter-field' }, h('span', { class: 'field-label' }, t('plan.season')), input);
}

function head(p) {
  return h('p', { class: 'sub', 'data-testid': 'plan-head' },
    t('plan.headline', { year: p.season.year, start: fmtDate(p.season.start), end: fmtDate(p.season.end),
      today: fmtDate(p.today), sl: fmtNum(Math.round(p.service_level * 100)) }));
}

function status(main) {
  const el = h('p', { class: 'field-error', role: 'alert', hidden: true, 'data-testid': 'plan-error' });
  main.append(el);
  return (text) => { el.hidden = !text; el.textContent = text || ''; };
}

// ---------------------------------------------------------------- the city

async function cityPage(main, season) {
  const say = status(main);
  add(main, h('h1', {}, t('plan.cityTitle', { year: season })),
    h('div', { class: 'filters' }, seasonPicker(season, (y) => go('plans', String(y)))));
  const body = h('div', { 'data-testid': 'plan-city' }, t('plan.loading'));
  main.append(body);
  const r = await call('GET', `plans/${season}`);
  clear(body);
  if (!r.ok) { say(errorText(r.error)); return; }
  const p = r.json;
  add(body, head(p),
    h('p', { 'data-testid': 'plan-summary' }, t('plan.summary', {
      towns: p.summary.towns, short: p.summary.lines_short, transfers: p.summary.transfers,
      purchases: p.summary.purchases, urgent: p.summary.urgent })),
    exportLinks(`plans/${season}`, ['procurement', 'transfers', 'purchases', 'lines']));

  add(body, h('h2', {}, t('plan.table.procurement')), table([
    { label: t('plan.col.item') }, { label: t('plan.col.supplier') }, { label: t('plan.col.qty'), num: true },
    { label: t('plan.col.replacement'), num: true }, { label: t('plan.col.towns'), num: true },
    { label: t('plan.col.orderBy') }, { label: '' },
  ], p.procurement.map((x) => h('tr', { 'data-testid': 'plan-proc-row' },
    cell(t('plan.col.item'), pick(x.item_name_zh, x.item_name_en)),
    cell(t('plan.col.supplier'), x.supplier_name || x.supplier_code || t('plan.noSupplier')),
    cell(t('plan.col.qty'), qty(x.qty, x.unit), true),
    cell(t('plan.col.replacement'), qty(x.replacement, x.unit), true),
    cell(t('plan.col.towns'), fmtNum(x.towns), true),
    cell(t('plan.col.orderBy'), fmtDate(x.order_by)),
    cell('', urgentBadge(x.urgent)))), 'plan-procurement'));

  add(body, h('h2', {}, t('plan.table.transfers')), table([
    { label: t('plan.col.item') }, { label: t('plan.col.from') }, { label: t('plan.col.to') },
    { label: t('plan.col.qty'), num: true }, { label: t('plan.col.km'), num: true },
  ], p.transfers.map((x) => h('tr', {},
    cell(t('plan.col.item'), pick(x.item_name_zh, x.item_name_en)),
    cell(t('plan.col.from'), x.from_town_name_zh || x.from_town_code),
    cell(t('plan.col.to'), x.to_town_name_zh || x.to_town_code),
    cell(t('plan.col.qty'), qty(x.qty, x.unit), true),
    cell(t('plan.col.km'), x.distance_km === null ? '—' : fmtNum(x.distance_km), true))), 'plan-transfers'));

  // towns with something to do, the most lines short first
  const towns = new Map();
  for (const l of p.lines) {
    const e = towns.get(l.town_code) || { code: l.town_code, zh: l.town_name_zh, en: l.town_name_en, short: 0, buy: 0, urgent: 0 };
    if (l.shortfall > 0) e.short++;
    if (l.purchase > 0) e.buy++;
    if (l.urgent) e.urgent++;
    towns.set(l.town_code, e);
  }
  const list = [...towns.values()].sort((a, b) => b.urgent - a.urgent || b.short - a.short || a.code.localeCompare(b.code));
  add(body, h('h2', {}, t('plan.towns')), table([
    { label: t('plan.col.town') }, { label: t('plan.col.linesShort'), num: true },
    { label: t('plan.col.linesBuy'), num: true }, { label: '' },
  ], list.map((x) => h('tr', { 'data-testid': 'plan-town-row' },
    cell(t('plan.col.town'), h('a', { href: `#/plans/${season}/${x.code}`, 'data-testid': `plan-town-${x.code}` }, pick(x.zh, x.en))),
    cell(t('plan.col.linesShort'), fmtNum(x.short), true),
    cell(t('plan.col.linesBuy'), fmtNum(x.buy), true),
    cell('', urgentBadge(x.urgent > 0)))), 'plan-towns'));
}

// ---------------------------------------------------------------- a town

async function townPage(main, season, town) {
  const say = status(main);
  const title = h('h1', {}, t('plan.townTitle', { town, year: season }));
  add(main, title, h('div', { class: 'filters' }, seasonPicker(season, (y) => go('plans', String(y), town)),
    isCity(currentUser()) ? h('a', { class: 'btn btn-small', href: `#/plans/${season}` }, t('plan.backCity')) : null));
  const body = h('div', { 'data-testid': 'plan-town' }, t('plan.loading'));
  main.append(body);
  const r = await call('GET', `plans/${season}/towns/${encodeURIComponent(town)}`);
  clear(body);
  if (!r.ok) { say(errorText(r.error)); return; }
  const p = r.json;
  title.textContent = t('plan.townTitle', { town: pick(p.org_unit.name_zh, p.org_unit.name_en), year: season });
  const lines = [...p.lines].sort((a, b) => (b.urgent - a.urgent) || (b.shortfall - a.shortfall) ||
    a.item_code.localeCompare(b.item_code));
  add(body, head(p), exportLinks(`plans/${season}/towns/${encodeURIComponent(town)}`, ['lines', 'transfers', 'purchases']),
    table([
      { label: t('plan.col.item') }, { label: t('plan.col.required'), num: true }, { label: t('plan.col.onHand'), num: true },
      { label: t('plan.col.forecastUse'), num: true }, { label: t('plan.col.expiring'), num: true },
      { label: t('plan.col.incoming'), num: true }, { label: t('plan.col.projected'), num: true },
      { label: t('plan.col.safety'), num: true }, { label: t('plan.col.shortfall'), num: true },
      { label: t('plan.col.transferIn'), num: true }, { label: t('plan.col.purchase'), num: true },
      { label: t('plan.col.orderBy') }, { label: t('plan.col.method') }, { label: '' },
    ], lines.map((l) => h('tr', { 'data-testid': 'plan-line', 'data-item': l.item_code },
      cell(t('plan.col.item'), h('a', { href: `#/plans/${season}/${town}/${encodeURIComponent(l.item_code)}`,
        'data-testid': `plan-item-${l.item_code}` }, pick(l.item_name_zh, l.item_name_en))),
      cell(t('plan.col.required'), qty(l.required), true),
      cell(t('plan.col.onHand'), qty(l.on_hand), true),
      cell(t('plan.col.forecastUse'), qty(l.forecast_use), true),
      cell(t('plan.col.expiring'), qty(l.expiring), true),
      cell(t('plan.col.incoming'), qty(l.on_order + l.inbound), true),
      cell(t('plan.col.projected'), qty(l.projected), true),
      cell(t('plan.col.safety'), qty(l.safety_stock), true),
      cell(t('plan.col.shortfall'), l.shortfall > 0
        ? h('span', {}, qty(l.shortfall, l.unit), l.replacement > 0
          ? h('span', { class: 'sub' }, ` (${t('plan.ofWhichReplace', { n: fmtNum(l.replacement) })})`) : '')
        : '0', true),
      cell(t('plan.col.transferIn'), qty(l.transfer_in), true),
      cell(t('plan.col.purchase'), qty(l.purchase), true),
      cell(t('plan.col.orderBy'), l.order_by ? h('span', {}, fmtDate(l.order_by), ' ', urgentBadge(l.urgent)) : '—'),
      cell(t('plan.col.method'), l.forecast_method),
      cell('', lineActions(p, l)))), 'plan-lines'));
  if (p.transfers.length)
    add(body, h('h2', {}, t('plan.table.transfers')), table([
      { label: t('plan.col.item') }, { label: t('plan.col.from') }, { label: t('plan.col.to') },
      { label: t('plan.col.qty'), num: true }, { label: t('plan.col.km'), num: true },
    ], p.transfers.map((x) => h('tr', {},
      cell(t('plan.col.item'), pick(x.item_name_zh, x.item_name_en)),
      cell(t('plan.col.from'), x.from_town_name_zh || x.from_town_code),
      cell(t('plan.col.to'), x.to_town_name_zh || x.to_town_code),
      cell(t('plan.col.qty'), qty(x.qty, x.unit), true),
      cell(t('plan.col.km'), x.distance_km === null ? '—' : fmtNum(x.distance_km), true))), 'plan-town-transfers'));
}

// ---------------------------------------------------------------- one action per line

// The plan line's key, kept on what it becomes (supply_request.source_ref,
// the purchase order's note), so the city can see where a request came from.
const sourceRef = (p, l) => `plan:${p.season.year}:${l.town_code}:${l.item_code}`;

// A town official (or the admin) turns a line into a replenishment request
// for the transfers (the city then dispatches it from the suggested towns)
// or into a draft purchase order with the item's supplier.  Both go through
// the ordinary endpoints: their checks, their audit, an Idempotency-Key.
function lineActions(p, l) {
  const u = currentUser();
  if (!u || !(u.role === 'town_official' || u.role === 'admin')) return '';
  const out = [];
  const act = (key, testid, fn) => {
    const b = h('button', { type: 'button', class: 'btn btn-small', 'data-testid': testid }, t(key));
    b.addEventListener('click', async () => {
      b.disabled = true;
      const r = await fn();
      if (r.ok) { toast(t('plan.done', { id: r.json.code || r.json.id || '' }), 'sent'); b.textContent = t('plan.doneShort'); }
      else { toast(errorText(r.error), 'refused'); b.disabled = false; }
    });
    out.push(b);
  };
  const done = (key, n, testid) => out.push(h('span', { class: 'sub', 'data-testid': testid }, t(key, { n: fmtNum(n) })));
  if (l.requested > 0) done('plan.requested', l.requested, `plan-requested-${l.item_code}`);
  else if (l.transfer_in > 0)
    act('plan.requestTransfer', `plan-request-${l.item_code}`, () => call('POST', 'requests', {
      org_unit: l.town_code, to_depot: l.town_depot_code || undefined, purpose: 'replenishment',
      needed_by: p.season.start, source_ref: sourceRef(p, l),
      reason: t('plan.requestReason', { year: p.season.year }),
      lines: [{ item: l.item_code, qty: l.transfer_in }],
    }));
  if (l.po_drafted > 0) done('plan.poDrafted', l.po_drafted, `plan-podrafted-${l.item_code}`);
  else if (l.purchase > 0 && l.supplier_id && l.town_depot_id)
    act('plan.draftPo', `plan-po-${l.item_code}`, () => call('POST', 'purchase-orders', {
      supplier_id: l.supplier_id, depot_id: l.town_depot_id, expected_date: p.season.start,
      note: `${sourceRef(p, l)} ${t('plan.requestReason', { year: p.season.year })}`,
      lines: [{ item_id: l.item_id, qty: l.purchase }],
    }));
  return out.length ? h('span', { class: 'plan-actions' }, out) : '';
}

// ---------------------------------------------------------------- one item: the chart

// Presentation attributes rather than app.css rules: the chart is
// self-contained (it prints and exports as it is seen).
const STYLE = {
  'chart-title': { 'font-size': 12, 'font-weight': 'bold', fill: '#222' },
  'chart-tick': { 'font-size': 10, fill: '#444' },
  'chart-axis': { stroke: '#888', 'stroke-width': 1 },
  'chart-bar': { fill: '#4a78b0' },
  'chart-event': { fill: '#f3c76b', 'fill-opacity': 0.45 },
  'chart-forecast': { stroke: '#c0392b', 'stroke-width': 2, 'stroke-dasharray': '6 3' },
  'chart-standard': { stroke: '#2e7d32', 'stroke-width': 1.5 },
  'chart-target': { stroke: '#2e7d32', 'stroke-width': 1, 'stroke-dasharray': '4 3' },
  'chart-projected': { stroke: '#1f4e79', 'stroke-width': 2.5, fill: 'none' },
  'chart-point': { fill: '#1f4e79' },
};

function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  const all = { ...(STYLE[attrs.class] || {}), ...attrs };
  for (const [k, v] of Object.entries(all)) if (v !== null && v !== undefined) el.setAttribute(k, String(v));
  for (const c of children) if (c !== null && c !== undefined) el.append(typeof c === 'string' ? document.createTextNode(c) : c);
  return el;
}

// Two panels on one time axis (months): demand per month (history bars,
// events marked, the forecast rate carried on to the season start) and stock
// (today's on hand falling with the forecast use to the projected level at
// the season start, against the standard and standard + safety stock).
export function planChart(hist) {
  const L = hist.plan_line;
  const periods = hist.periods;
  const monthsAhead = Math.max(1, L ? Math.ceil((Date.parse(hist.season.start) - Date.now()) / (30.4375 * 86400000)) : 1);
  const n = periods.length + monthsAhead;
  const W = 760, H1 = 170, H2 = 170, padL = 56, padR = 12, top = 18, gap = 40;
  const x = (i) => padL + (i + 0.5) * ((W - padL - padR) / n);
  const bw = Math.max(2, (W - padL - padR) / n - 2);
  const rate = L ? Number(L.forecast_per_month) : 0;
  const dmax = Math.max(1, rate, ...periods.map((p) => Number(p.qty)));
  const y1 = (v) => top + H1 - (v / dmax) * H1;
  const stockTop = top + H1 + gap;
  const smax = Math.max(1, ...(L ? [L.on_hand, L.required + L.safety_stock, L.projected, L.required].map(Number) : [1])) * 1.1;
  const y2 = (v) => stockTop + H2 - (Math.max(0, v) / smax) * H2;
  const g = svg('svg', { viewBox: `0 0 ${W} ${stockTop + H2 + 30}`, role: 'img', class: 'plan-chart', width: '100%',
    'aria-label': t('plan.chartLabel'), 'data-testid': 'plan-chart' });
  g.append(svg('title', {}, t('plan.chartLabel')));
  // panel 1: demand
  g.append(svg('text', { x: padL, y: 12, class: 'chart-title' }, t('plan.chartDemand')));
  g.append(svg('line', { x1: padL, x2: W - padR, y1: y1(0), y2: y1(0), class: 'chart-axis' }));
  g.append(svg('text', { x: padL - 6, y: y1(dmax) + 4, 'text-anchor': 'end', class: 'chart-tick' }, fmtNum(Math.round(dmax * 10) / 10)));
  periods.forEach((p, i) => {
    const v = Number(p.qty);
    if (p.events.length)
      g.append(svg('rect', { x: x(i) - bw / 2 - 1, y: top, width: bw + 2, height: H1, class: 'chart-event',
        'data-testid': 'chart-event' }, svg('title', {}, `${p.period}: ${p.events.join(', ')}`)));
    if (v > 0)
      g.append(svg('rect', { x: x(i) - bw / 2, y: y1(v), width: bw, height: y1(0) - y1(v), class: 'chart-bar',
        'data-testid': 'chart-bar' }, svg('title', {}, `${p.period}: ${fmtNum(v)}`)));
    if (i % 6 === 0)
      g.append(svg('text', { x: x(i), y: y1(0) + 14, 'text-anchor': 'middle', class: 'chart-tick' }, p.period));
  });
  if (L) {
    g.append(svg('line', { x1: x(periods.length - 0.5), x2: x(n - 1), y1: y1(rate), y2: y1(rate), class: 'chart-forecast',
      'data-testid': 'chart-forecast' }, svg('title', {}, t('plan.chartForecast', { rate: fmtNum(rate), method: L.forecast_method }))));
    // panel 2: stock
    const now = periods.length - 0.5, start = n - 1;
    g.append(svg('text', { x: padL, y: stockTop - 8, class: 'chart-title' }, t('plan.chartStock')));
    g.append(svg('line', { x1: padL, x2: W - padR, y1: y2(0), y2: y2(0), class: 'chart-axis' }));
    g.append(svg('line', { x1: padL, x2: W - padR, y1: y2(L.required), y2: y2(L.required), class: 'chart-standard',
      'data-testid': 'chart-standard' }, svg('title', {}, `${t('plan.col.required')}: ${fmtNum(L.required)}`)));
    g.append(svg('line', { x1: padL, x2: W - padR, y1: y2(L.required + L.safety_stock), y2: y2(L.required + L.safety_stock),
      class: 'chart-target' }, svg('title', {}, `${t('plan.col.required')} + ${t('plan.col.safety')}`)));
    g.append(svg('text', { x: W - padR, y: y2(L.required) - 4, 'text-anchor': 'end', class: 'chart-tick' },
      `${t('plan.col.required')} ${fmtNum(L.required)}`));
    g.append(svg('polyline', { points: `${x(now)},${y2(L.on_hand)} ${x(start)},${y2(L.projected)}`, class: 'chart-projected',
      'data-testid': 'chart-projected' }, svg('title', {}, `${t('plan.col.projected')}: ${fmtNum(L.projected)}`)));
    g.append(svg('circle', { cx: x(now), cy: y2(L.on_hand), r: 4, class: 'chart-point' }, svg('title', {}, `${t('plan.col.onHand')}: ${fmtNum(L.on_hand)}`)));
    g.append(svg('circle', { cx: x(start), cy: y2(L.projected), r: 4, class: 'chart-point' }));
    g.append(svg('text', { x: x(start), y: y2(0) + 14, 'text-anchor': 'end', class: 'chart-tick' }, fmtDate(hist.season.start)));
    g.append(svg('text', { x: padL - 6, y: y2(smax / 1.1) + 4, 'text-anchor': 'end', class: 'chart-tick' }, fmtNum(Math.round(smax / 1.1))));
  }
  return g;
}

async function itemPage(main, season, town, itemCode) {
  const say = status(main);
  const title = h('h1', {}, t('plan.itemTitle', { item: itemCode, town }));
  add(main, title,
    h('a', { class: 'btn btn-small', href: `#/plans/${season}/${town}` }, t('plan.backTown')));
  const body = h('div', { 'data-testid': 'plan-item' }, t('plan.loading'));
  main.append(body);
  const base = `plans/${season}/towns/${encodeURIComponent(town)}/items/${encodeURIComponent(itemCode)}/history`;
  const r = await call('GET', base);
  clear(body);
  if (!r.ok) { say(errorText(r.error)); return; }
  const hist = r.json, L = hist.plan_line;
  if (L) title.textContent = t('plan.itemTitle', { item: pick(L.item_name_zh, L.item_name_en),
    town: pick(L.town_name_zh, L.town_name_en) });
  add(body, h('figure', { class: 'plan-figure' }, planChart(hist),
    h('figcaption', { class: 'sub' }, t('plan.chartCaption'))));
  if (L)
    add(body, h('dl', { class: 'plan-facts', 'data-testid': 'plan-facts' },
      [['plan.col.method', `${L.forecast_method} (${fmtNum(L.forecast_per_month)} / ${t('plan.month')})`],
        ['plan.col.required', qty(L.required, L.unit)], ['plan.col.onHand', qty(L.on_hand, L.unit)],
        ['plan.col.projected', qty(L.projected, L.unit)], ['plan.col.safety', qty(L.safety_stock, L.unit)],
        ['plan.col.shortfall', qty(L.shortfall, L.unit)], ['plan.col.purchase', qty(L.purchase, L.unit)],
        ['plan.col.orderBy', L.order_by ? fmtDate(L.order_by) : '—']]
        .flatMap(([k, v]) => [h('dt', {}, t(k)), h('dd', {}, v)])));
  add(body, h('div', { class: 'export-links' },
    ['csv', 'xlsx'].map((fmt) => h('a', { class: 'btn btn-small', href: `/api/v1/${base}?format=${fmt}`, download: '',
      'data-testid': `plan-history-${fmt}` }, t(`plan.export.${fmt}`, { table: t('plan.history') })))));
  if (hist.events.length)
    add(body, h('h2', {}, t('plan.events')), h('ul', {}, hist.events.map((e) =>
      h('li', {}, `${fmtDate(e.started_on)} – ${e.ended_on ? fmtDate(e.ended_on) : ''} ${pick(e.name_zh, e.name_en)} (${e.code})`))));
}

// ---------------------------------------------------------------- entry

export function mountPlans(main, params = []) {
  const user = currentUser();
  const season = Number(params[0]) >= 2000 ? Number(params[0]) : defaultSeason();
  const town = params[1] || (isCity(user) ? null : ownTown(user));
  if (params[1] && params[2]) itemPage(main, season, params[1], decodeURIComponent(params[2]));
  else if (town) townPage(main, season, town);
  else if (isCity(user)) cityPage(main, season);
  else main.append(h('p', { class: 'field-error', role: 'alert' }, t('plan.noTown')));
  return () => {};
}
