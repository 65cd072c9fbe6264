// The readiness pages in a real browser (Debian's chromium, headless): the
// city auditor's city page (every town, red first, sort, filter, drill-down
// to a town and its shortfalls, CSV export), and a town official who sees
// only their own town.  Expected figures come from the same API the page
// uses, so the test holds on any state of the test database.
//
// RELIEF_SCREENSHOT_DIR=/tmp keeps screenshots of the city and town pages at
// 1280 px and 360 px (for looking at them; not compared).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { requireBrowser, launch, useServer, loginThroughForm, textOf, until, watch } from './lib/browser.mjs';
import { expectStatus } from '../api/lib/harness.mjs';

const pw = await requireBrowser();
const h = useServer();
let B;
let city; // GET /readiness/city as the city auditor
let auditor;
before(async () => {
  B = await launch(pw);
  auditor = await h.login('city-auditor');
  const r = await auditor.get('/readiness/city');
  expectStatus(r, 200);
  city = r.json;
});
after(async () => { if (B) await B.close(); });

const SHOTS = process.env.RELIEF_SCREENSHOT_DIR || '';
const RANK = { red: 0, amber: 1, green: 2 };

async function open(viewport = { width: 1280, height: 900 }) {
  const context = await B.browser.newContext({ viewport, acceptDownloads: true });
  const page = await context.newPage();
  const log = watch(page);
  return { context, page, log };
}


async function shot(page, name) {
  if (!SHOTS) return;
  await page.screenshot({ path: join(SHOTS, `readiness-${name}.png`), fullPage: true });
}

const rowsOf = (page) => page.getByTestId('town-row').evaluateAll((trs) => trs.map((tr) => ({
  code: tr.dataset.code, status: tr.dataset.status,
  name: tr.querySelector('[data-testid="town-link"]').textContent.trim(),
})));

// Wait for the city table to show n rows (after a filter or a sort).
async function cityRows(page, n, what) {
  return until(async () => {
    const rows = await rowsOf(page);
    return rows.length === n ? rows : null;
  }, { what });
}

// RFC 4180 fields (quotes doubled) of a CSV text.
function parseCsv(text) {
  const rows = [];
  let row = [];
  let f = '';
  let q = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (q) {
      if (c === '"' && text[i + 1] === '"') { f += '"'; i++; } else if (c === '"') q = false; else f += c;
    } else if (c === '"') q = true;
    else if (c === ',') { row.push(f); f = ''; } else if (c === '\n') { row.push(f.replace(/\r$/, '')); rows.push(row); row = []; f = ''; } else f += c;
  }
  if (f || row.length) { row.push(f); rows.push(row); }
  return rows;
}

test('city page: every town, red first; sort by name and back by status; filter; export CSV', async () => {
  const { context, page, log } = await open();
  try {
    await loginThroughForm(page, h.base, 'city-auditor', { landing: 'city-table', route: '#/city' });
    assert.equal(await textOf(page, 'nav-city', '全市'), '全市');
    const n = city.items.length;
    assert.ok(n > 0, 'the API lists towns');
    let rows = await cityRows(page, n, `${n} town rows`);
    // the server's order: red first, then amber, then green
    assert.deepEqual(rows.map((r) => r.code), city.items.map((r) => r.code), 'rows in the API order');
    for (let i = 1; i < rows.length; i++)
      assert.ok(RANK[rows[i - 1].status] <= RANK[rows[i].status], `red first: ${rows[i - 1].status} before ${rows[i].status}`);
    const firstRed = rows.find((r) => r.status === 'red');
    if (firstRed) {
      const badge = (await page.locator(`[data-testid="town-row"][data-code="${firstRed.code}"] [data-testid="town-status"]`).textContent()).trim();
      assert.match(badge, /✖\s*不足/, 'status with a symbol and a word');
    }
    await shot(page, 'city-1280');

    // sort by name (the page's collation), then back by status
    await page.getByTestId('sort-name').click();
    const byName = await until(async () => {
      const r = await rowsOf(page);
      const names = r.map((x) => x.name);
      const want = await page.evaluate((ns) => [...ns].sort(new Intl.Collator('zh-CN').compare), names);
      return JSON.stringify(names) === JSON.stringify(want) ? r : null;
    }, { what: 'rows sorted by name' });
    assert.equal(byName.length, n);
    assert.equal(await page.locator('th[aria-sort="ascending"] [data-testid="sort-name"]').count(), 1);
    await page.getByTestId('sort-status').click();
    rows = await until(async () => {
      const r = await rowsOf(page);
      return JSON.stringify(r.map((x) => x.code)) === JSON.stringify(city.items.map((x) => x.code)) ? r : null;
    }, { what: 'rows back in status order' });

    // filter: red only
    const red = city.items.filter((r) => r.status === 'red');
    await page.getByTestId('filter-status').selectOption('red');
    rows = await cityRows(page, red.length, `${red.length} red rows`);
    assert.ok(rows.every((r) => r.status === 'red'), 'only red towns');
    assert.deepEqual(rows.map((r) => r.code), red.map((r) => r.code));

    // towns short of an item: status amber of the tent line, as the API says
    const itemCode = 'DG-SH-01';
    const rItem = await auditor.get(`/readiness/city?item=${itemCode}&status=amber`);
    expectStatus(rItem, 200);
    await page.getByTestId('filter-item').selectOption(itemCode);
    await page.getByTestId('filter-status').selectOption('amber');
    const want = rItem.json.items.length;
    if (want) {
      rows = await cityRows(page, want, `${want} rows amber on ${itemCode}`);
      assert.ok(rows.every((r) => r.status === 'amber'));
    } else {
      await page.getByTestId('city-empty').waitFor();
    }
    const csvHref = await page.getByTestId('export-csv').getAttribute('href');
    assert.match(csvHref, /item=DG-SH-01/, 'the export is of what is shown');
    assert.match(csvHref, /status=amber/);

    // back to all towns, then export
    await page.getByTestId('filter-item').selectOption('');
    await page.getByTestId('filter-status').selectOption('');
    await cityRows(page, n, 'all towns again');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('export-csv').click(),
    ]);
    assert.equal(download.suggestedFilename(), 'readiness-city.csv');
    const text = readFileSync(await download.path(), 'utf8').replace(/^\uFEFF/, '');
    const csv = parseCsv(text).filter((r) => r.length > 1);
    const head = csv[0];
    const nameCol = head.indexOf('name_zh');
    const codeCol = head.indexOf('code');
    assert.ok(nameCol >= 0 && codeCol >= 0, `CSV header: ${head.join(',')}`);
    assert.equal(csv.length - 1, n, 'one CSV row per town');
    const t0 = city.items[0];
    const row = csv.find((r) => r[codeCol] === t0.code);
    assert.ok(row, `${t0.code} in the CSV`);
    assert.equal(row[nameCol], t0.name_zh, 'the Chinese name of the town');
    assert.deepEqual(log.filter((l) => l.startsWith('pageerror')), []);
  } finally {
    await context.close();
  }
});

test('drill-down: a red town shows its shortfall lines with the API\'s numbers, and an item\'s lots', async () => {
  const red = city.items.find((r) => r.status === 'red');
  assert.ok(red, 'the demo data has a red town');
  const r = await auditor.get(`/readiness/towns/${red.code}`);
  expectStatus(r, 200);
  const town = r.json;
  const short = town.lines.filter((l) => l.status === 'red');
  assert.ok(short.length, 'a red town has a red line');

  const { context, page, log } = await open();
  try {
    await loginThroughForm(page, h.base, 'city-auditor', { landing: 'city-table', route: '#/city' });
    await page.locator(`[data-testid="town-row"][data-code="${red.code}"] [data-testid="town-link"]`).click();
    assert.equal(await textOf(page, 'town-name', new RegExp(red.name_zh)), red.name_zh);
    assert.match(await textOf(page, 'town-overall'), /✖\s*不足/);
    assert.equal(await textOf(page, 'r-standard', new RegExp(`${town.standard.version}`)).then(() => true), true);
    assert.match(await textOf(page, 'r-season'), new RegExp(town.season.start));

    // red first: the first rows are the red lines
    const lines = await page.getByTestId('line').evaluateAll((trs) => trs.map((tr) => ({
      item: tr.dataset.item, status: tr.dataset.status, required: Number(tr.dataset.required),
      usable: Number(tr.dataset.usable), text: tr.textContent,
    })));
    assert.equal(lines.length, town.lines.length);
    for (let i = 0; i < short.length; i++) assert.equal(lines[i].status, 'red', `line ${i} is red`);
    for (const l of short) {
      const shown = lines.find((x) => x.item === l.item_code);
      assert.ok(shown, l.item_code);
      assert.equal(shown.required, Number(l.required));
      assert.equal(shown.usable, Number(l.usable));
      assert.ok(shown.usable < shown.required, 'usable < required');
      assert.match(shown.text, /不足/);
      const req = new Intl.NumberFormat('zh-CN', { maximumFractionDigits: 3 }).format(Number(l.required));
      assert.ok(shown.text.includes(`${req} ${l.unit}`), `required ${req} ${l.unit} shown in "${shown.text}"`);
    }
    const sf = await page.getByTestId('shortfall').count();
    assert.equal(sf, town.findings.shortfall.length, 'the shortfall list');
    await page.getByTestId('teams').waitFor();
    // the pre-season check panel: there when GET /checks answers, else not
    const chk = await auditor.get(`/checks?season=${town.season.year}`);
    await page.getByTestId('village-link').first().waitFor();
    if (chk.status === 200) await page.getByTestId('check-panel').waitFor();
    else assert.equal(await page.getByTestId('check-panel').count(), 0, `no check panel (GET /checks: ${chk.status})`);
    await shot(page, 'town-1280');

    // an item's lots (GET /stock?org_unit=&item=)
    const line = short[0];
    const stock = await auditor.get(`/stock?org_unit=${red.code}&item=${line.item_code}&limit=50`);
    expectStatus(stock, 200);
    await page.locator(`[data-testid="line"][data-item="${line.item_code}"] [data-testid="line-item"]`).click();
    await page.locator(`[data-testid="lots-panel"][data-item="${line.item_code}"]`).waitFor();
    await until(async () => (await page.getByTestId('lot-row').count()) === stock.json.items.length,
      { what: `${stock.json.items.length} lot rows` });

    // a team page and a village page open from the town
    if (await page.getByTestId('team-link').count()) {
      await page.getByTestId('team-link').first().click();
      await textOf(page, 'team-name');
      await page.getByTestId('lines').waitFor();
      await page.goBack();
      await textOf(page, 'town-name', red.name_zh);
    }
    await page.getByTestId('village-link').first().waitFor();
    await page.getByTestId('village-link').first().click();
    await textOf(page, 'village-name');
    assert.ok(await page.getByTestId('ten-have').count() > 0, 'the ten-haves checklist');
    assert.deepEqual(log.filter((l) => l.startsWith('pageerror')), []);
  } finally {
    await context.close();
  }
});

test('a town official sees only their own town', async () => {
  const red = city.items.find((r) => r.status === 'red') || city.items[0];
  const other = city.items.find((r) => r.code !== red.code);
  const { context, page, log } = await open({ width: 360, height: 800 });
  try {
    await loginThroughForm(page, h.base, `town-${red.code}`, { landing: 'town-name' });
    assert.equal(await textOf(page, 'town-name', red.name_zh), red.name_zh);
    assert.equal(await page.getByTestId('nav-city').count(), 0, 'no city entry in the navigation');
    assert.equal(await textOf(page, 'nav-town', '本镇'), '本镇');
    assert.ok(await page.locator('[data-testid="line"][data-status="red"]').count() > 0, 'their shortfalls');
    await shot(page, 'town-360');

    // the city page leads back to the own town
    await page.goto(`${h.base}/#/city`);
    await until(async () => (await page.evaluate(() => location.hash)) === `#/town/${red.code}`, { what: 'redirected to own town' });
    await textOf(page, 'town-name', red.name_zh);

    // another town: the server's refusal, in words
    if (other) {
      await page.goto(`${h.base}/#/town/${other.code}`);
      assert.match(await textOf(page, 'ready-error'), /无权|范围|权限|forbidden|scope/i);
    }
    assert.deepEqual(log.filter((l) => l.startsWith('pageerror')), []);
  } finally {
    await context.close();
  }
});

test('the city page on a phone (360 px) is a list, not a wide table', async () => {
  const { context, page } = await open({ width: 360, height: 800 });
  try {
    await loginThroughForm(page, h.base, 'city-auditor', { landing: 'city-table', route: '#/city' });
    await cityRows(page, city.items.length, 'town rows');
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 360, `no sideways scrolling (page ${width} px wide)`);
    const head = await page.locator('.city-table thead').evaluate((e) => getComputedStyle(e).display);
    assert.equal(head, 'none', 'the table header is hidden: rows read as cards');
    await shot(page, 'city-360');
  } finally {
    await context.close();
  }
});
