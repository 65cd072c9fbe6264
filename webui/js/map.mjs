// map.mjs -- the offline "one map" (应急一张图): the city outline, every town
// coloured by readiness, depots, teams and open dispatches, drawn as SVG with
// d3-geo; the same content as a sortable table.
//
// Offline by design: no tiles, no outside service.  The geometry comes from
// the API's GeoJSON layers (GET /api/v1/map/...), d3-geo and d3-array from
// webui/node_modules (npm), loaded as their UMD builds with <script src>:
// the ES module build of d3-geo imports the bare name "d3-array", which a
// browser cannot resolve without an import map, and an inline import map is
// an inline script the Content-Security-Policy refuses.
//
// Status is never colour alone: each town marker carries the symbol of its
// status (✔ ▲ ✖, as on the readiness pages), the table says it in words.

import { h, clear, append } from './dom.mjs';
import { t, pick, fmtNum, fmtQty, fmtDate, getLang } from './i18n.mjs';
import { call } from './api.mjs';
import { go } from './router.mjs';
import { errorText } from './views.mjs';
import { statusBadge } from './readiness.mjs';

const add = (el, ...children) => append(el, children);
const SVGNS = 'http://www.w3.org/2000/svg';
const SYM = { red: '✖', amber: '▲', green: '✔', none: '–' };
const STATES = ['allocated', 'picking', 'picked', 'in_transit', 'received'];
const W = 960;
const H = 720;

// Filters and view choices, kept while the user drills down and comes back.
const state = { asOf: '', season: '', item: '', status: '', size: 'population',
  depots: true, teams: false, dispatches: true, sort: 'status', dir: 1 };

// An SVG element (dom.mjs builds HTML elements only).
function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVGNS, tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

// ---------------------------------------------------------------- d3 from node_modules

const D3_FILES = ['/node_modules/d3-array/dist/d3-array.min.js', '/node_modules/d3-geo/dist/d3-geo.min.js'];
let d3P = null;

function script(src) {
  return new Promise((resolve, reject) => {
    const el = document.createElement('script');
    el.src = src;
    el.onload = () => resolve();
    el.onerror = () => reject(new Error(`${src} could not be loaded`));
    document.head.append(el);
  });
}

function loadD3() {
  if (window.d3 && window.d3.geoPath) return Promise.resolve(window.d3);
  if (!d3P) {
    d3P = D3_FILES.reduce((p, f) => p.then(() => script(f)), Promise.resolve())
      .then(() => window.d3)
      .catch((e) => { d3P = null; throw e; });
  }
  return d3P;
}

let cssLoaded = false;
function loadCss() {
  if (cssLoaded) return;
  cssLoaded = true;
  document.head.append(h('link', { rel: 'stylesheet', href: '/map.css' }));
}

// RFC 7946 rings run counter-clockwise around their area; d3-geo works on the
// sphere and reads such a ring as "everything but this area".  Reverse the
// rings of any polygon that comes out bigger than a hemisphere.
function rewind(d3, geom) {
  if (!geom) return geom;
  const fix = (rings) => {
    const area = d3.geoArea({ type: 'Polygon', coordinates: rings });
    return area > 2 * Math.PI ? rings.map((r) => r.slice().reverse()) : rings;
  };
  if (geom.type === 'Polygon') return { ...geom, coordinates: fix(geom.coordinates) };
  if (geom.type === 'MultiPolygon') return { ...geom, coordinates: geom.coordinates.map(fix) };
  return geom;
}

// ---------------------------------------------------------------- page

// A town's name on the map without its kind ("石碣镇" -> "石碣"): the
// suffixes are in the catalogue (map.nameSuffixes, "a|b|c"; empty in English).
function shortName(p) {
  const name = pick(p.name_zh, p.name_en);
  const suf = t('map.nameSuffixes').split('|').filter(Boolean);
  const hit = suf.find((x) => name.endsWith(x) && name.length > x.length + 1);
  return hit ? name.slice(0, -hit.length) : name;
}

function query(extra = {}) {
  const q = new URLSearchParams();
  if (state.asOf) q.set('as_of', state.asOf);
  if (state.season) q.set('season', state.season);
  for (const [k, v] of Object.entries(extra)) if (v) q.set(k, v);
  const str = q.toString();
  return str ? `?${str}` : '';
}

export function mountMap(main) {
  let alive = true;
  let seq = 0;
  let data = null;     // {towns, depots, teams, dispatches, outline, boundaries}
  let stdItems = null; // item codes with a line in the town standard
  loadCss();

  const asOf = h('input', { type: 'date', id: 'map-as-of', value: state.asOf, 'data-testid': 'map-as-of' });
  const season = h('input', { type: 'number', id: 'map-season', min: 2000, max: 2100, step: 1,
    inputmode: 'numeric', value: state.season, 'data-testid': 'map-season' });
  const item = h('select', { id: 'map-item', 'data-testid': 'map-item' }, h('option', { value: '' }, t('map.allItems')));
  const status = h('select', { id: 'map-status', 'data-testid': 'map-status' },
    h('option', { value: '' }, t('map.allStatus')),
    ['red', 'amber', 'green'].map((k) => h('option', { value: k, selected: state.status === k }, `${SYM[k]} ${t(`status.${k}`)}`)));
  const size = h('select', { id: 'map-size', 'data-testid': 'map-size' },
    ['population', 'shortfall'].map((k) => h('option', { value: k, selected: state.size === k }, t(`map.size.${k}`))));
  const toggle = (key, label) => {
    const box = h('input', { type: 'checkbox', id: `map-l-${key}`, checked: state[key], 'data-testid': `map-layer-${key}` });
    box.addEventListener('change', () => { state[key] = box.checked; draw(); });
    return h('label', { class: 'map-toggle', for: `map-l-${key}` }, box, ' ', label);
  };
  const pdf = h('a', { class: 'btn btn-small', href: '/api/v1/map.pdf', download: '', 'data-testid': 'map-pdf' }, t('map.pdf'));
  const printBtn = h('button', { type: 'button', class: 'btn btn-small', 'data-testid': 'map-print', onclick: () => window.print() }, t('map.print'));
  const field = (id, label, input) => h('span', { class: 'filter-field' }, h('label', { for: id, class: 'field-label' }, label), input);

  const toolbar = h('div', { class: 'filters no-print map-filters' },
    h('div', { class: 'filter' },
      field('map-as-of', t('ready.asOf'), asOf), field('map-season', t('ready.season'), season),
      field('map-item', t('map.item'), item), field('map-status', t('map.status'), status),
      field('map-size', t('map.sizeBy'), size)),
    h('div', { class: 'filter map-layers' }, toggle('depots', t('map.layer.depots')),
      toggle('teams', t('map.layer.teams')), toggle('dispatches', t('map.layer.dispatches'))),
    h('div', { class: 'filter-actions' }, pdf, printBtn));
  const about = h('p', { class: 'muted', 'data-testid': 'map-about', role: 'status' });
  const svgHost = h('div', { class: 'map-svg-host', 'data-testid': 'map-host' }, h('p', { class: 'muted' }, t('map.loading')));
  const tip = h('div', { class: 'map-tip', role: 'tooltip', hidden: true, 'data-testid': 'map-tip' });
  const legend = h('div', { class: 'map-legend', 'data-testid': 'map-legend' });
  const tables = h('div', { class: 'map-tables' });
  add(main, h('section', { class: 'map-page' },
    h('h1', { class: 'page-title' }, t('map.title')), toolbar, about,
    h('div', { class: 'map-wrap' }, h('div', { class: 'map-frame' }, svgHost, tip), legend),
    tables));

  const reload = () => {
    state.asOf = asOf.value || '';
    state.season = /^\d{4}$/.test(season.value) ? season.value : '';
    load();
  };
  asOf.addEventListener('change', reload);
  season.addEventListener('change', reload);
  item.addEventListener('change', () => { state.item = item.value; load(); });
  status.addEventListener('change', () => { state.status = status.value; draw(); });
  size.addEventListener('change', () => { state.size = size.value; draw(); });

  // Items: every catalogue item can be looked for in the depots; the towns
  // are coloured by it only when the town standard has a line for it.
  (async () => {
    const std = await call('GET', 'standards/town_reserve');
    const list = [];
    for (let cursor = '', pages = 0; pages < 20; pages++) {
      const r = await call('GET', `items?limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      if (!r.ok || !r.json) break;
      list.push(...(r.json.items || []));
      if (!r.json.next_cursor) break;
      cursor = r.json.next_cursor;
    }
    if (!alive) return;
    const lines = std.ok && std.json ? (std.json.lines || (std.json.standard && std.json.standard.lines) || []) : [];
    stdItems = new Set(lines.map((l) => l.item_code));
    const coll = new Intl.Collator(getLang());
    list.sort((a, b) => (stdItems.has(b.code) - stdItems.has(a.code)) || coll.compare(a.code, b.code));
    for (const it of list)
      add(item, h('option', { value: it.code, selected: state.item === it.code }, `${pick(it.name_zh, it.name_en)} (${it.code})`));
  })();

  async function load() {
    const mine = ++seq;
    svgHost.dataset.state = 'loading';
    const itemForTowns = state.item && (!stdItems || stdItems.has(state.item)) ? state.item : '';
    pdf.href = `/api/v1/map.pdf${query({ item: itemForTowns })}`;
    const [d3, outline, boundaries, towns, depots, teams, dispatches] = await Promise.all([
      loadD3().catch((e) => ({ error: e })),
      call('GET', 'map/outline'), call('GET', 'map/boundaries'),
      call('GET', `map/towns${query({ item: itemForTowns })}`),
      call('GET', `map/depots${state.item ? `?item=${encodeURIComponent(state.item)}` : ''}`),
      call('GET', 'map/teams'), call('GET', 'map/dispatches')]);
    if (!alive || mine !== seq) return;
    svgHost.dataset.state = 'done';
    const bad = [outline, towns, depots].find((r) => !r.ok);
    if (d3.error || bad) {
      data = null;
      add(clear(svgHost), h('p', { class: 'field-error', role: 'alert', 'data-testid': 'map-error' },
        d3.error ? t('map.noLibrary') : bad.status === 0 ? t('ready.offline') : errorText(bad.error)));
      return;
    }
    data = { d3, outline: outline.json, boundaries: boundaries.ok ? boundaries.json : null, towns: towns.json,
      depots: depots.json, teams: teams.ok ? teams.json : null, dispatches: dispatches.ok ? dispatches.json : null };
    if (data.towns.season && !season.value) season.placeholder = String(data.towns.season.year);
    draw();
  }

  // ---------------------------------------------------------------- drawing

  function radiusOf(towns) {
    const val = (p) => (state.size === 'population' ? p.population
      : p.item_shortfall !== undefined ? p.item_shortfall : p.shortfall_lines) || 0;
    const max = Math.max(1, ...towns.map((f) => val(f.properties)));
    return (p) => 6 + 16 * Math.sqrt(val(p) / max);
  }

  function showTip(evt, lines) {
    clear(tip);
    add(tip, lines.map((l, i) => h(i === 0 ? 'strong' : 'div', {}, l)));
    tip.hidden = false;
    const frame = tip.parentElement.getBoundingClientRect();
    const r = evt.target.getBoundingClientRect ? evt.target.getBoundingClientRect() : { left: evt.clientX, top: evt.clientY, width: 0 };
    tip.style.left = `${Math.min(frame.width - 220, Math.max(0, r.left - frame.left + r.width + 6))}px`;
    tip.style.top = `${Math.max(0, r.top - frame.top - 6)}px`;
  }
  const hideTip = () => { tip.hidden = true; };

  function townLines(p) {
    const out = [`${pick(p.name_zh, p.name_en)} (${p.code})`];
    out.push(p.status ? `${SYM[p.status]} ${t(`status.${p.status}`)}` : t('map.notInScope'));
    if (p.population !== null && p.population !== undefined) out.push(t('map.population', { n: fmtNum(p.population) }));
    if (p.min_coverage_pct !== undefined) out.push(t('map.minCoverage', { pct: p.min_coverage_pct === null ? '—' : fmtNum(p.min_coverage_pct) }));
    if (p.shortfall_lines !== undefined) out.push(t('map.shortLines', { n: fmtNum(p.shortfall_lines) }));
    if (p.item_shortfall !== undefined) out.push(t('map.itemShort', { q: fmtQty(p.item_shortfall, data.towns.item && data.towns.item.unit) }));
    return out;
  }

  function depotLines(p) {
    const out = [`${pick(p.name_zh, p.name_en)} (${p.code})`];
    if (!p.in_scope) out.push(t('map.notInScope'));
    if (p.stock) out.push(t('map.depotStock', { items: fmtNum(p.stock.items), holdings: fmtNum(p.stock.holdings) }));
    if (p.item_available !== undefined) out.push(t('map.available', { q: fmtQty(p.item_available, data.depots.item && data.depots.item.unit) }));
    return out;
  }

  function draw() {
    if (!data) return;
    hideTip();
    const { d3 } = data;
    const outlineFeats = (data.outline.features || []).map((f) => ({ ...f, geometry: rewind(d3, f.geometry) }));
    const towns = data.towns.features || [];
    const pointsFC = { type: 'FeatureCollection', features: towns.filter((f) => f.geometry) };
    const projection = d3.geoMercator().fitExtent([[16, 16], [W - 16, H - 16]],
      outlineFeats.length ? { type: 'FeatureCollection', features: outlineFeats } : pointsFC);
    const path = d3.geoPath(projection);
    const xy = (g) => projection(g.coordinates);
    const shown = (p) => !state.status || p.status === state.status;
    const r = radiusOf(towns);

    const gOutline = s('g', { class: 'map-outline-g' }, outlineFeats.map((f) => s('path', { class: 'map-outline', d: path(f) })));
    const gBound = s('g', { class: 'map-bounds-g' }, ((data.boundaries && data.boundaries.features) || []).map((f) => {
      const tp = towns.find((x) => x.properties.code === f.properties.code);
      const st = (tp && tp.properties.status) || 'none';
      return s('path', { class: `map-area area-${st}`, d: path({ ...f, geometry: rewind(d3, f.geometry) }) });
    }));

    const gDisp = s('g', { class: 'map-disp-g' });
    if (state.dispatches && data.dispatches) {
      for (const f of data.dispatches.features || []) {
        if (!f.geometry) continue;
        const [a, b] = f.geometry.coordinates.map((c) => projection(c));
        const p = f.properties;
        add(gDisp, s('line', { class: `map-disp disp-${p.state}`, x1: a[0], y1: a[1], x2: b[0], y2: b[1],
          'marker-end': 'url(#map-arrow)', 'data-testid': 'dispatch-line', 'data-state': p.state },
        s('title', {}, `${p.from_depot_name_zh} → ${p.to_depot_name_zh}: ${t(`map.state.${p.state}`)}`)));
      }
    }

    const gTeams = s('g', { class: 'map-teams-g' });
    if (state.teams && data.teams) {
      for (const f of data.teams.features || []) {
        if (!f.geometry) continue;
        const [x, y] = xy(f.geometry);
        add(gTeams, s('path', { class: 'map-team', d: `M${x},${y - 6}L${x + 6},${y + 5}L${x - 6},${y + 5}Z`, 'data-testid': 'team-marker' },
          s('title', {}, `${pick(f.properties.name_zh, f.properties.name_en)}${f.properties.headcount ? ` · ${t('map.headcount', { n: f.properties.headcount })}` : ''}`)));
      }
    }

    const gDepots = s('g', { class: 'map-depots-g' });
    if (state.depots) {
      const it = data.depots.item;
      const feats = (data.depots.features || []).filter((f) => f.geometry && (!it || f.properties.item_available > 0));
      const max = Math.max(1, ...feats.map((f) => f.properties.item_available || 0));
      for (const f of feats) {
        const p = f.properties;
        const [x, y] = xy(f.geometry);
        const half = it ? 4 + 8 * Math.sqrt((p.item_available || 0) / max) : 3.5;
        const g = s('g', { class: ['map-depot', `depot-${p.kind}`, it ? 'holding' : ''].join(' '), tabindex: 0,
          'data-testid': 'depot-marker', 'data-code': p.code, 'data-qty': p.item_available ?? '' ,
          'aria-label': depotLines(p).join(', ') },
        s('rect', { x: x - half, y: y - half, width: 2 * half, height: 2 * half }),
        it ? s('text', { class: 'map-qty', x: x + half + 2, y: y + 4 }, fmtNum(p.item_available)) : null);
        g.addEventListener('pointerenter', (e) => showTip(e, depotLines(p)));
        g.addEventListener('focus', (e) => showTip(e, depotLines(p)));
        g.addEventListener('pointerleave', hideTip);
        g.addEventListener('blur', hideTip);
        add(gDepots, g);
      }
    }

    const gTowns = s('g', { class: 'map-towns-g' });
    const order = towns.filter((f) => f.geometry).sort((a, b) => r(b.properties) - r(a.properties));
    for (const f of order) {
      const p = f.properties;
      const st = p.status || 'none';
      const [x, y] = xy(f.geometry);
      const rad = r(p);
      const g = s('g', { class: `map-town mk-${st}`, tabindex: 0, role: 'link', 'data-testid': 'town-marker',
        'data-code': p.code, 'data-status': st, 'aria-label': townLines(p).join(', ') },
      s('circle', { cx: x, cy: y, r: rad }),
      s('text', { class: 'map-sym', x, y: y + 4, 'aria-hidden': 'true' }, SYM[st]),
      s('text', { class: 'map-label', x, y: y + rad + 11 }, shortName(p)));
      if (!shown(p)) g.classList.add('filtered-out');
      // A touch shows the summary first; a second touch opens the town.
      let armed = false;
      g.addEventListener('pointerenter', (e) => { if (e.pointerType !== 'touch') showTip(e, townLines(p)); });
      g.addEventListener('pointerleave', () => { hideTip(); armed = false; });
      g.addEventListener('focus', (e) => showTip(e, townLines(p)));
      g.addEventListener('blur', hideTip);
      g.addEventListener('click', (e) => {
        if (e.pointerType === 'touch' && !armed) { armed = true; showTip(e, townLines(p)); return; }
        go('town', p.code);
      });
      g.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); go('town', p.code); } });
      add(gTowns, g);
    }

    const defs = s('defs', {}, s('marker', { id: 'map-arrow', viewBox: '0 0 10 10', refX: 9, refY: 5,
      markerWidth: 6, markerHeight: 6, orient: 'auto-start-reverse' }, s('path', { d: 'M0,0L10,5L0,10Z', class: 'map-arrow' })));
    const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'map-svg', role: 'img', 'data-testid': 'map-svg',
      'aria-label': t('map.svgLabel') }, defs, gOutline, gBound, gDisp, gTeams, gDepots, gTowns);
    add(clear(svgHost), svg);

    const sum = data.towns.summary || {};
    const it = data.towns.item || data.depots.item;
    add(clear(about),
      data.towns.season ? t('ready.seasonDates', { year: data.towns.season.year, start: fmtDate(data.towns.season.start), end: fmtDate(data.towns.season.end) }) : '',
      ' · ', t('ready.asOfShort', { date: fmtDate(data.towns.as_of) }),
      ' · ', ['red', 'amber', 'green'].map((k) => `${SYM[k]} ${t(`status.${k}`)} ${fmtNum(sum[k] || 0)}  `),
      it ? ` · ${t('map.itemShown', { item: pick(it.item_name_zh, it.item_name_en) })}` : '',
      data.depots.depots_holding !== undefined ? ` · ${t('map.holding', { n: fmtNum(data.depots.depots_holding) })}` : '');
    drawLegend();
    drawTables();
  }

  function drawLegend() {
    const sw = (cls, sym) => s('svg', { width: 22, height: 22, viewBox: '0 0 22 22', 'aria-hidden': 'true', class: 'legend-sw' },
      s('g', { class: cls }, s('circle', { cx: 11, cy: 11, r: 9 }), s('text', { class: 'map-sym', x: 11, y: 15 }, sym)));
    const row = (icon, text) => h('li', {}, icon, ' ', text);
    const disp = data.dispatches && (data.dispatches.features || []).length;
    add(clear(legend), h('h2', { class: 'legend-title' }, t('map.legend')), h('ul', { class: 'legend-list' },
      ['green', 'amber', 'red', 'none'].map((k) => row(sw(`map-town mk-${k}`, SYM[k]), k === 'none' ? t('map.notInScope') : `${t(`status.${k}`)}`)),
      row(h('span', { class: 'legend-size', 'aria-hidden': 'true' }, '○ ◯'), t(`map.sizeMeans.${state.size}`)),
      state.depots ? row(s('svg', { width: 22, height: 22, 'aria-hidden': 'true', class: 'legend-sw' }, s('g', { class: 'map-depot' }, s('rect', { x: 6, y: 6, width: 10, height: 10 }))),
        data.depots.item ? t('map.legendDepotItem') : t('map.layer.depots')) : null,
      state.teams ? row(s('svg', { width: 22, height: 22, 'aria-hidden': 'true', class: 'legend-sw' }, s('path', { class: 'map-team', d: 'M11,4L18,17L4,17Z' })), t('map.layer.teams')) : null,
      state.dispatches && disp ? STATES.map((k) => row(s('svg', { width: 34, height: 12, 'aria-hidden': 'true', class: 'legend-sw' },
        s('line', { class: `map-disp disp-${k}`, x1: 2, y1: 6, x2: 32, y2: 6 })), t(`map.state.${k}`))) : null),
    h('p', { class: 'muted legend-note' }, t('map.dataNote')));
  }

  // ---------------------------------------------------------------- the table

  function sortBtn(key, label, num) {
    const active = state.sort === key;
    return h('th', { scope: 'col', class: num ? 'num' : null, 'aria-sort': active ? (state.dir > 0 ? 'ascending' : 'descending') : 'none' },
      h('button', { type: 'button', class: 'sort', 'data-testid': `map-sort-${key}`, onclick: () => {
        if (state.sort === key) state.dir = -state.dir; else { state.sort = key; state.dir = 1; }
        drawTables();
      } }, label, h('span', { class: 'sort-sym', 'aria-hidden': 'true' }, active ? (state.dir > 0 ? ' ▲' : ' ▼') : ' ↕')));
  }

  function drawTables() {
    const it = data.towns.item;
    const coll = new Intl.Collator(getLang());
    const rank = { red: 0, amber: 1, green: 2 };
    const num = (v) => (v === null || v === undefined ? -Infinity : Number(v));
    const key = {
      name: (a, b) => coll.compare(pick(a.name_zh, a.name_en), pick(b.name_zh, b.name_en)),
      status: (a, b) => (rank[a.status] ?? 3) - (rank[b.status] ?? 3) || num(a.min_coverage_pct) - num(b.min_coverage_pct),
      population: (a, b) => num(b.population) - num(a.population),
      shortfall: (a, b) => num(b.item_shortfall ?? b.shortfall_lines) - num(a.item_shortfall ?? a.shortfall_lines),
      coverage: (a, b) => num(a.item_coverage_pct ?? a.min_coverage_pct) - num(b.item_coverage_pct ?? b.min_coverage_pct),
    }[state.sort];
    const rows = (data.towns.features || []).map((f) => f.properties)
      .filter((p) => !state.status || p.status === state.status)
      .sort((a, b) => state.dir * (key(a, b) || a.code.localeCompare(b.code)));
    const td = (label, v, cls) => h('td', { 'data-label': label, class: cls }, v);
    const townTable = h('div', { class: 'table-wrap' }, h('table', { class: 'data-table map-table', 'data-testid': 'map-table' },
      h('caption', {}, t('map.tableTowns')),
      h('thead', {}, h('tr', {}, sortBtn('name', t('city.town')), sortBtn('status', t('map.status')),
        sortBtn('population', t('map.populationCol'), true), sortBtn('coverage', it ? t('city.itemCoverage') : t('city.minCoverage'), true),
        sortBtn('shortfall', it ? t('map.itemShortCol') : t('city.shortLines'), true))),
      h('tbody', {}, rows.map((p) => h('tr', { 'data-testid': 'map-row', 'data-code': p.code, 'data-status': p.status || 'none' },
        td(t('city.town'), h('a', { href: `#/town/${encodeURIComponent(p.code)}` }, pick(p.name_zh, p.name_en))),
        td(t('map.status'), p.status ? statusBadge(p.status, 'map-row-status') : t('map.notInScope')),
        td(t('map.populationCol'), p.population === null ? '—' : fmtNum(p.population), 'num'),
        td(t('city.minCoverage'), (it ? p.item_coverage_pct : p.min_coverage_pct) ?? '—', 'num'),
        td(t('city.shortLines'), it ? (p.item_shortfall === undefined ? '—' : fmtQty(p.item_shortfall, it.unit)) : (p.shortfall_lines ?? '—'), 'num'))))));
    const di = data.depots.item;
    let depotTable = null;
    if (di) {
      const held = (data.depots.features || []).map((f) => f.properties).filter((p) => p.item_available > 0)
        .sort((a, b) => b.item_available - a.item_available);
      depotTable = h('div', { class: 'table-wrap' }, h('table', { class: 'data-table map-table', 'data-testid': 'map-depot-table' },
        h('caption', {}, t('map.tableDepots', { item: pick(di.item_name_zh, di.item_name_en) })),
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t('map.depot')), h('th', { scope: 'col' }, t('city.town')),
          h('th', { scope: 'col', class: 'num' }, t('map.availableCol')), h('th', { scope: 'col', class: 'num' }, t('map.reservedCol')))),
        h('tbody', {}, held.length ? held.map((p) => h('tr', { 'data-testid': 'map-depot-row', 'data-code': p.code },
          td(t('map.depot'), `${pick(p.name_zh, p.name_en)} (${p.code})`), td(t('city.town'), p.town_code || '—'),
          td(t('map.availableCol'), fmtQty(p.item_available, di.unit), 'num'), td(t('map.reservedCol'), fmtQty(p.item_reserved, di.unit), 'num')))
          : h('tr', {}, h('td', { colspan: 4 }, t('map.noneHolding'))))));
    }
    add(clear(tables), townTable, depotTable);
  }

  load();
  return () => { alive = false; };
}
