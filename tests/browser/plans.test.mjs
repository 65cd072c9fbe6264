// plans.test.mjs -- the season plan pages (webui/js/plans.mjs) in chromium:
// the city plan as the city auditor (procurement list and transfers as the
// API answers them, export links that download), a town's lines, and one
// item's chart (history bars with an event, forecast, projected stock and the
// standard line); a town official lands on their own town's plan.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { requireBrowser, launch, useServer, loginThroughForm, watch } from './lib/browser.mjs';
import { expectStatus, sql, uniq, TOWN_A, TENT } from '../api/lib/harness.mjs';

const pw = await requireBrowser();
const h = useServer();
const SEASON = 2027;
let B;
let plan; // GET /plans/2027 as the city auditor

before(async () => {
  B = await launch(pw);
  const auditor = await h.login('city-auditor');
  const r = await auditor.get(`/plans/${SEASON}`);
  expectStatus(r, 200);
  plan = r.json;
});
after(async () => { if (B) await B.close(); });

async function open() {
  const context = await B.browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  const page = await context.newPage();
  return { context, page, log: watch(page) };
}


test('city plan: procurement, transfers, towns, exports', async () => {
  const { context, page, log } = await open();
  try {
    await loginThroughForm(page, h.base, 'city-auditor', { landing: 'nav-plans' });
    await page.getByTestId('nav-plans').click();
    await page.goto(`${h.base}/#/plans/${SEASON}`);
    await page.getByTestId('plan-summary').waitFor();
    assert.equal(await page.getByTestId('plan-proc-row').count(), plan.procurement.length);
    const trs = await page.getByTestId('plan-transfers').locator('tbody tr').count();
    assert.equal(trs, Math.max(1, plan.transfers.length));
    const towns = new Set(plan.lines.map((l) => l.town_code));
    assert.equal(await page.getByTestId('plan-town-row').count(), towns.size);
    if (process.env.RELIEF_SCREENSHOT_DIR)
      await page.screenshot({ path: `${process.env.RELIEF_SCREENSHOT_DIR}/plans-city.png`, fullPage: false });
    const [dl] = await Promise.all([page.waitForEvent('download'),
      page.getByTestId('plan-export-procurement-csv').click()]);
    assert.match(dl.suggestedFilename(), /plan-2027-procurement\.csv/);
    assert.deepEqual(log.filter((l) => l.startsWith('pageerror')), []);
  } finally {
    await context.close();
  }
});

test('town plan and the chart of one item', async () => {
  const code = uniq('EVB');
  await sql(`INSERT INTO emergency_event (code, name_zh, name_en, kind, started_on, created_by)
             SELECT '${code}', '图表测试', 'Chart test', 'flood', CURDATE(), id FROM app_user WHERE username = 'admin'`);
  const { context, page, log } = await open();
  try {
    await loginThroughForm(page, h.base, `town-${TOWN_A}`, { landing: 'nav-plans' });
    await page.getByTestId('nav-plans').click();
    await page.getByTestId('plan-lines').waitFor();
    const mine = plan.lines.filter((l) => l.town_code === TOWN_A);
    assert.equal(await page.getByTestId('plan-line').count(), mine.length);
    await page.getByTestId(`plan-item-${TENT}`).click();
    await page.getByTestId('plan-chart').waitFor();
    assert.equal(await page.getByTestId('chart-standard').count(), 1);
    assert.equal(await page.getByTestId('chart-projected').count(), 1);
    assert.equal(await page.getByTestId('chart-forecast').count(), 1);
    assert.ok(await page.getByTestId('chart-event').count() >= 1, 'the current month carries the event');
    if (process.env.RELIEF_SCREENSHOT_DIR)
      await page.screenshot({ path: `${process.env.RELIEF_SCREENSHOT_DIR}/plans-item.png`, fullPage: true });
    const facts = await page.getByTestId('plan-facts').textContent();
    const line = mine.find((l) => l.item_code === TENT);
    assert.ok(facts.includes(line.forecast_method), facts);
    assert.deepEqual(log.filter((l) => l.startsWith('pageerror')), []);
  } finally {
    await context.close();
    await sql(`DELETE FROM emergency_event WHERE code = '${code}'`);
  }
});

test('one action: a plan line becomes a supply request or a draft purchase order', async () => {
  const mine = plan.lines.filter((l) => l.town_code === TOWN_A);
  // lines nothing was made of yet (api/plans.test.mjs may have asked for one)
  const tr = mine.find((l) => l.transfer_in > 0 && l.requested === 0);
  const buy = mine.find((l) => l.purchase > 0 && l.supplier_id && l.po_drafted === 0);
  assert.ok(tr && buy, 'the demo plan of 石碣镇 has a transfer and a purchase to act on');
  const { context, page, log } = await open();
  try {
    await loginThroughForm(page, h.base, `town-${TOWN_A}`, { landing: 'nav-plans' });
    await page.getByTestId('nav-plans').click();
    await page.getByTestId('plan-lines').waitFor();
    const ref = (l) => `plan:${SEASON}:${TOWN_A}:${l.item_code}`;
    await page.getByTestId(`plan-request-${tr.item_code}`).click();
    await page.waitForFunction((id) => document.querySelector(`[data-testid="${id}"]`).disabled,
      `plan-request-${tr.item_code}`);
    let rows = [];
    for (let i = 0; i < 50 && !rows.length; i++) {
      rows = await sql(`SELECT r.purpose, r.status, l.qty_requested, r.needed_by FROM supply_request r
                        JOIN supply_request_line l ON l.request_id = r.id WHERE r.source_ref = '${ref(tr)}'`);
      if (!rows.length) await new Promise((res) => setTimeout(res, 100));
    }
    assert.equal(rows.length, 1, 'one request for the line');
    assert.equal(rows[0][0], 'replenishment');
    assert.equal(Number(rows[0][2]), Number(tr.transfer_in));
    assert.equal(rows[0][3], plan.season.start);
    await page.getByTestId(`plan-po-${buy.item_code}`).click();
    await page.waitForFunction((id) => document.querySelector(`[data-testid="${id}"]`).disabled,
      `plan-po-${buy.item_code}`);
    rows = [];
    for (let i = 0; i < 50 && !rows.length; i++) {
      rows = await sql(`SELECT p.status, l.qty_ordered, p.supplier_id FROM purchase_order p
                        JOIN purchase_order_line l ON l.po_id = p.id WHERE p.note LIKE '${ref(buy)} %'`);
      if (!rows.length) await new Promise((res) => setTimeout(res, 100));
    }
    assert.equal(rows.length, 1, 'one draft order for the line');
    assert.equal(rows[0][0], 'draft');
    assert.equal(Number(rows[0][1]), Number(buy.purchase));
    assert.equal(Number(rows[0][2]), buy.supplier_id);
    // the plan now shows both as done, with no button to do them twice
    await page.reload();
    await page.getByTestId('plan-lines').waitFor();
    await page.getByTestId(`plan-requested-${tr.item_code}`).waitFor();
    await page.getByTestId(`plan-podrafted-${buy.item_code}`).waitFor();
    assert.equal(await page.getByTestId(`plan-request-${tr.item_code}`).count(), 0);
    assert.equal(await page.getByTestId(`plan-po-${buy.item_code}`).count(), 0);
    assert.deepEqual(log.filter((l) => l.startsWith('pageerror')), []);
  } finally {
    await context.close();
  }
});
