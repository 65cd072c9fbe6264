// The offline map (webui/js/map.mjs) in a real browser, with every request
// to anything but 127.0.0.1 refused: the map must be drawn from reliefd
// alone (no tiles, no CDN; d3-geo comes from webui/node_modules).
//
// The city auditor opens #/map on the demo city: every town with a point is
// a marker carrying the status the API gives it (and its symbol), the table
// holds the same towns; "where are the life jackets?" (item DG-FR-01) shows
// exactly the depots the API says hold some available, with quantities; a
// click on a town opens its readiness page.  A screenshot is kept as an
// artefact: $RELIEF_ARTEFACT_DIR, else ./artefacts under ctest's working
// directory (the build tree); its path is printed.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { requireBrowser, launch, useServer, loginThroughForm, until, watch } from './lib/browser.mjs';
import { expectStatus, sql } from '../api/lib/harness.mjs';

const pw = await requireBrowser();
const h = useServer();
const LIFE_JACKET = 'DG-FR-01';
const SYM = { red: '✖', amber: '▲', green: '✔', none: '–' };
const ARTEFACTS = resolve(process.env.RELIEF_ARTEFACT_DIR || join(process.cwd(), 'artefacts'));

let B;
let auditor;
before(async () => {
  B = await launch(pw);
  auditor = await h.login('city-auditor');
});
after(async () => { if (B) await B.close(); });

// A page whose every request off 127.0.0.1 is aborted and recorded.
async function offlinePage() {
  const context = await B.browser.newContext({ viewport: { width: 1400, height: 1000 } });
  const blocked = [];
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (url.hostname === '127.0.0.1') return route.continue();
    blocked.push(url.href);
    return route.abort('blockedbyclient');
  });
  const page = await context.newPage();
  const log = watch(page);
  return { context, page, blocked, log };
}


const markers = (page) => page.getByTestId('town-marker').evaluateAll((gs) => gs.map((g) => ({
  code: g.dataset.code, status: g.dataset.status, sym: g.querySelector('.map-sym').textContent,
  r: Number(g.querySelector('circle').getAttribute('r')),
})));

// Town markers nothing else covers at their centre (safe to hover and click
// with the real mouse), with a status other than `none`.
const clickable = (page) => page.getByTestId('town-marker').evaluateAll((gs) => gs.filter((g) => {
  const b = g.querySelector('circle').getBoundingClientRect();
  const top = document.elementFromPoint(b.left + b.width / 2, b.top + b.height / 2);
  return g.dataset.status !== 'none' && top && g.contains(top);
}).map((g) => g.dataset.code));

test('the city map: every town drawn with its status, the item filter, drill-down, offline', async () => {
  const towns = await auditor.get('/map/towns');
  expectStatus(towns, 200);
  const withPoint = towns.json.features.filter((f) => f.geometry);
  assert.ok(withPoint.length >= 33, `the demo city has ${withPoint.length} towns with a point`);
  const want = new Map(withPoint.map((f) => [f.properties.code, f.properties.status || 'none']));

  const { context, page, blocked, log } = await offlinePage();
  try {
    await loginThroughForm(page, h.base, 'city-auditor', { landing: 'nav-map' });
    await page.getByTestId('nav-map').click();
    const got = await until(async () => {
      const m = await markers(page);
      return m.length >= want.size ? m : null;
    }, { what: 'town markers', timeoutMs: 20000 });

    // Every town with a point, once, with the API's status and its symbol.
    assert.equal(got.length, want.size, 'one marker per town with a point');
    assert.ok(got.length >= 33);
    for (const m of got) {
      assert.equal(m.status, want.get(m.code), `status of ${m.code}`);
      assert.equal(m.sym, SYM[m.status], `symbol of ${m.code}`);
      assert.ok(m.r >= 6, `radius of ${m.code}`);
    }
    const statuses = new Set(got.map((m) => m.status));
    assert.ok([...statuses].every((s) => ['red', 'amber', 'green'].includes(s)), [...statuses].join());
    // Markers are inside the drawing (a projection fitted to the outline).
    const inside = await page.getByTestId('town-marker').evaluateAll((gs) => {
      const svg = gs[0].ownerSVGElement.getBoundingClientRect();
      return gs.every((g) => {
        const b = g.querySelector('circle').getBoundingClientRect();
        return b.left >= svg.left && b.right <= svg.right && b.top >= svg.top && b.bottom <= svg.bottom;
      });
    });
    assert.ok(inside, 'every marker lies inside the map');
    // The outline is drawn as a path of the city's shape, not the world.
    const outline = await page.locator('path.map-outline').first().getAttribute('d');
    assert.ok(outline && outline.length > 1000, 'the outline is drawn');

    // Sized by shortfall: a town short of nothing gets the smallest circle,
    // the one short of most the largest.
    await page.getByTestId('map-size').selectOption('shortfall');
    const short = new Map(withPoint.map((f) => [f.properties.code, f.properties.shortfall_lines]));
    const most = Math.max(...short.values());
    await until(async () => {
      const m = await markers(page);
      return m.every((x) => (short.get(x.code) === 0 ? x.r === 6 : x.r > 6) &&
                            (short.get(x.code) !== most || Math.abs(x.r - 22) < 0.01));
    }, { what: 'circles sized by shortfall' });
    await page.getByTestId('map-size').selectOption('population');

    // The table holds the same towns and statuses (accessibility).
    const rows = await page.getByTestId('map-row').evaluateAll((trs) => trs.map((tr) => [tr.dataset.code, tr.dataset.status]));
    assert.equal(rows.length, towns.json.features.length);
    for (const [code, st] of rows) if (want.has(code)) assert.equal(st, want.get(code), `table status of ${code}`);
    // Sorting by population puts the biggest town first.
    await page.getByTestId('map-sort-population').click();
    const first = await page.getByTestId('map-row').first().getAttribute('data-code');
    const biggest = towns.json.features.reduce((a, f) => ((f.properties.population || 0) > (a.properties.population || 0) ? f : a));
    assert.equal(first, biggest.properties.code);

    // Hover shows a summary.
    const [some] = await clickable(page);
    assert.ok(some, 'some marker is not covered by another');
    await page.locator(`[data-testid="town-marker"][data-code="${some}"]`).hover();
    const tip = page.getByTestId('map-tip');
    await tip.waitFor({ state: 'visible' });
    assert.match(await tip.textContent(), new RegExp(some));

    // "Where are the life jackets?": the depots the API lists as holding some.
    const dep = await auditor.get(`/map/depots?item=${LIFE_JACKET}`);
    expectStatus(dep, 200);
    const holding = dep.json.features.filter((f) => f.properties.item_available > 0 && f.geometry);
    assert.ok(holding.length > 0, 'the demo city holds life jackets somewhere');
    await page.getByTestId('map-item').selectOption(LIFE_JACKET);
    const shown = await until(async () => {
      const d = await page.locator('[data-testid="depot-marker"].holding').evaluateAll((gs) => gs.map((g) => [g.dataset.code, Number(g.dataset.qty)]));
      return d.length === holding.length ? d : null;
    }, { what: 'depots holding life jackets', timeoutMs: 20000 });
    const wantQty = new Map(holding.map((f) => [f.properties.code, f.properties.item_available]));
    for (const [code, qty] of shown) assert.equal(qty, wantQty.get(code), `life jackets at ${code}`);
    const drows = await page.getByTestId('map-depot-row').count();
    assert.equal(drows, dep.json.features.filter((f) => f.properties.item_available > 0).length);
    // Towns are now coloured by the life-jacket line.
    const byItem = await auditor.get(`/map/towns?item=${LIFE_JACKET}`);
    expectStatus(byItem, 200);
    const itemStatus = new Map(byItem.json.features.map((f) => [f.properties.code, f.properties.status || 'none']));
    await until(async () => {
      const m = await markers(page);
      return m.every((x) => x.status === itemStatus.get(x.code)) ? m : null;
    }, { what: 'towns coloured by the item' });

    // The status filter: only that status in the table.
    const anyStatus = [...itemStatus.values()].find((s) => s !== 'none');
    await page.getByTestId('map-status').selectOption(anyStatus);
    await until(async () => {
      const st = await page.getByTestId('map-row').evaluateAll((trs) => trs.map((tr) => tr.dataset.status));
      return st.length > 0 && st.every((s) => s === anyStatus);
    }, { what: `only ${anyStatus} rows` });
    await page.getByTestId('map-status').selectOption('');

    mkdirSync(ARTEFACTS, { recursive: true });
    const png = join(ARTEFACTS, 'map.png');
    await page.screenshot({ path: png, fullPage: true });
    console.log(`# screenshot: ${png}`);

    // Click a town: its readiness page.
    const [target] = await clickable(page);
    await page.locator(`[data-testid="town-marker"][data-code="${target}"]`).click();
    await until(async () => page.url().endsWith(`#/town/${target}`), { what: 'the town page address' });
    await page.getByTestId('r-as-of').waitFor();

    assert.deepEqual(blocked, [], 'no request left 127.0.0.1');
    assert.deepEqual(log.filter((l) => /pageerror|error:/.test(l) && !/status of 401/.test(l)), [], log.join('\n'));
  } finally {
    await context.close();
  }
});

test('an open dispatch is drawn as a line from source to destination, styled by state', async () => {
  const [[admId]] = await sql("SELECT id FROM app_user WHERE username = 'admin'");
  await sql(`INSERT INTO dispatch (to_depot_id, status, note, created_by)
             SELECT id, 'allocated', 'map.browser', ${admId} FROM depot WHERE code = 'D-441900101'`);
  const [[did]] = await sql("SELECT MAX(id) FROM dispatch WHERE note = 'map.browser'");
  const { context, page, blocked } = await offlinePage();
  try {
    await sql(`INSERT INTO dispatch_line (dispatch_id, depot_id, item_id, qty_allocated)
               SELECT ${did}, d.id, i.id, 30 FROM depot d, item i WHERE d.code = 'D-441900-1' AND i.code = '${LIFE_JACKET}'`);
    await loginThroughForm(page, h.base, 'city-auditor', { landing: 'nav-map' });
    await page.getByTestId('nav-map').click();
    const line = page.locator('[data-testid="dispatch-line"][data-state="allocated"]');
    await line.first().waitFor({ state: 'attached', timeout: 20000 });
    const geo = await line.first().evaluate((l) => ({ len: Math.hypot(l.x2.baseVal.value - l.x1.baseVal.value, l.y2.baseVal.value - l.y1.baseVal.value),
      dash: getComputedStyle(l).strokeDasharray, marker: l.getAttribute('marker-end') }));
    assert.ok(geo.len > 10, 'the line has a length on the map');
    assert.notEqual(geo.dash, 'none', 'allocated is dashed: the state reads without colour');
    assert.match(geo.marker, /map-arrow/);
    assert.match(await page.getByTestId('map-legend').textContent(), /已分配|Allocated/);
    // Switching the layer off removes it.
    await page.getByTestId('map-layer-dispatches').uncheck();
    await until(async () => (await page.getByTestId('dispatch-line').count()) === 0, { what: 'dispatch layer off' });
    assert.deepEqual(blocked, []);
  } finally {
    await context.close();
    await sql(`DELETE FROM dispatch_line WHERE dispatch_id = ${did}`);
    await sql(`DELETE FROM dispatch WHERE id = ${did}`);
  }
});

test('a town official sees the map with only their own town in detail', async () => {
  const { context, page, blocked } = await offlinePage();
  try {
    await loginThroughForm(page, h.base, 'town-441900101', { landing: 'nav-map' });
    await page.getByTestId('nav-map').click();
    const got = await until(async () => {
      const m = await markers(page);
      return m.length >= 33 ? m : null;
    }, { what: 'town markers', timeoutMs: 20000 });
    const detailed = got.filter((m) => m.status !== 'none');
    assert.deepEqual(detailed.map((m) => m.code), ['441900101']);
    assert.deepEqual(blocked, []);
  } finally {
    await context.close();
  }
});
