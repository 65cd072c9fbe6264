// Equipment check-out and check-in on a phone-sized page (Debian's chromium,
// headless): the warehouse of 东城街道 scans a megaphone's label (the URL its
// QR code carries), checks it out to a person, is refused a check-out that
// someone else made meanwhile (the page says why), checks it in as "fair",
// and sees an asset under repair offered no check-out at all.  Every step is
// checked against the server.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  requireBrowser, launch, useServer, loginThroughForm, textOf, until, watch, WH_USER, DEPOT,
} from './lib/browser.mjs';
import { expectStatus, sql } from '../api/lib/harness.mjs';

const pw = await requireBrowser();
const h = useServer();
let B, wh, assets;

before(async () => {
  B = await launch(pw);
  wh = await h.login(WH_USER);
  const rows = await sql(`SELECT a.id FROM asset a JOIN depot d ON d.id = a.depot_id
    JOIN item i ON i.id = a.item_id WHERE d.code = '${DEPOT}' AND i.code = 'DG-CM-01'
    AND a.status = 'in_service' AND NOT EXISTS (SELECT 1 FROM asset_checkout c
    WHERE c.open_asset_id = a.id) ORDER BY a.id DESC LIMIT 3`);
  assert.equal(rows.length, 3, `three free megaphones in ${DEPOT} (demo data)`);
  assets = rows.map((r) => Number(r[0]));
});
after(async () => { if (B) await B.close(); });

async function labelOf(assetId) {
  const r = await wh.post('/labels', { targets: [{ kind: 'asset', asset_id: assetId }] });
  expectStatus(r, [200, 201]);
  return r.json.labels[0];
}

// Scan `text` on the asset page and wait for asset `id` to be shown.
async function openAsset(page, text, id) {
  await page.goto(`${h.base}/#/asset`);
  const input = page.getByTestId('asset-scan');
  await input.waitFor();
  await input.fill(text);
  await input.press('Enter');
  await page.locator(`[data-testid="asset-status"][data-asset="${id}"]`).waitFor();
}

const openCheckouts = async (id) => wh.all(`/asset-checkouts?open=true&asset=${id}`);

test('check an asset out and in by scanning its label on a phone', async () => {
  const [a1, a2, a3] = assets;
  const l1 = await labelOf(a1);
  const l2 = await labelOf(a2);
  expectStatus(await wh.post(`/assets/${a3}/repair`, { note: 'browser test' }), 200);
  const l3 = await labelOf(a3);

  const context = await B.browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const page = await context.newPage();
  const log = watch(page);
  try {
    await loginThroughForm(page, h.base);
    assert.ok(await page.getByTestId('nav-asset').count(), 'the nav offers the equipment page');

    // Scan the URL the QR code carries.
    await openAsset(page, l1.url || `${h.base}/L/${l1.code}`, a1);
    assert.equal(await page.getByTestId('asset-status').getAttribute('data-status'), 'in_service');
    assert.equal(await page.getByTestId('asset-out').getAttribute('data-out'), '0');
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 390, `the page fits a phone (scroll width ${width})`);
    await page.getByTestId('asset-person').fill('陈志强');
    await page.getByTestId('asset-checkout').click();
    await until(async () => (await page.getByTestId('asset-out').getAttribute('data-out')) === '1',
                { what: 'the page to show the asset out' });
    assert.match(await textOf(page, 'asset-out'), /陈志强/);
    const out = await openCheckouts(a1);
    assert.equal(out.length, 1);
    assert.equal(out[0].person_name, '陈志强');
    assert.equal(out[0].checked_out_by_name.length > 0, true);
    assert.equal(await page.getByTestId('asset-checkout').count(), 0, 'no second check-out offered');

    // Someone checks a2 out while the page shows it in the depot: refused, with the reason.
    await openAsset(page, l2.code, a2);
    expectStatus(await wh.post(`/assets/${a2}/checkout`, { person_name: '另一位同事' }), 200);
    await page.getByTestId('asset-person').fill('陈志强');
    await page.getByTestId('asset-checkout').click();
    const msg = await textOf(page, 'asset-error', /已借出|already checked out/);
    assert.match(msg, /另一位同事/, 'the message says who has it');
    assert.equal((await openCheckouts(a2))[0].person_name, '另一位同事', 'nothing changed');
    const queued = await page.evaluate(async () => {
      const q = await import('/js/queue.mjs');
      return (await q.items()).length;
    });
    assert.equal(queued, 0, 'a refusal shown at once is not left in the queue');
    expectStatus(await wh.post(`/assets/${a2}/checkin`, { condition: 'good' }), 200);

    // Back in, as fair.
    await openAsset(page, l1.code, a1);
    assert.equal(await page.getByTestId('asset-out').getAttribute('data-out'), '1');
    await page.getByTestId('asset-condition').selectOption('fair');
    await page.getByTestId('asset-note').fill('外壳有划痕');
    await page.getByTestId('asset-checkin').click();
    await until(async () => (await page.getByTestId('asset-out').getAttribute('data-out')) === '0',
                { what: 'the page to show the asset back in' });
    assert.equal((await openCheckouts(a1)).length, 0);
    const all = await wh.all(`/asset-checkouts?asset=${a1}`);
    assert.equal(all[0].condition_in, 'fair');

    // Under repair: shown as such, no check-out form.
    await openAsset(page, l3.code, a3);
    assert.equal(await page.getByTestId('asset-status').getAttribute('data-status'), 'under_repair');
    assert.equal(await page.getByTestId('asset-checkout').count(), 0);
    await page.getByTestId('asset-repair-done').click();
    await until(async () => (await page.getByTestId('asset-status').getAttribute('data-status')) === 'in_service',
                { what: 'the asset back in service' });
    assert.deepEqual(log.filter((l) => l.startsWith('pageerror')), [], `no page errors:\n${log.join('\n')}`);
  } finally {
    await context.close();
  }
});

// The phone receive page of a purchase order: a new lot with its dates is
// received into a bin, the page offers the new label for printing, and the
// server has the receipt, the movement and the label.
test('receive a purchase order line as a new lot on a phone', async () => {
  const admin = await h.login('admin');
  const code = `SUP-UI-${Date.now().toString(36).toUpperCase()}`;
  const s = await admin.post('/suppliers', { code, name: 'browser test supplier' });
  expectStatus(s, 201);
  const dep = await wh.get(`/depots/${DEPOT}`);
  expectStatus(dep, 200);
  const depot = dep.json.depot ?? dep.json;
  const bins = depot.bins ?? dep.json.bins;
  const tent = await wh.get('/items/DG-SH-01');
  const p = await admin.post('/purchase-orders', { supplier_id: s.json.id, depot_id: depot.id,
                                                   lines: [{ item_id: tent.json.id, qty: 10 }] });
  expectStatus(p, 201);
  expectStatus(await admin.post(`/purchase-orders/${p.json.id}/order`), 200);

  const context = await B.browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const page = await context.newPage();
  const log = watch(page);
  try {
    await loginThroughForm(page, h.base);
    await page.goto(`${h.base}/#/purchase-orders/${p.json.id}`);
    await page.getByTestId('po-receive').click();
    await page.getByTestId('receive-line').waitFor();
    const lotNo = `UI-${Date.now().toString(36).toUpperCase()}`;
    await page.getByTestId('receive-bin').selectOption(String(bins.find((b) => b.code === 'A-02').id));
    await page.getByTestId('receive-qty').fill('4');
    await page.getByTestId('receive-lot-no').fill(lotNo);
    await page.getByTestId('receive-prod').fill('2026-01-10');
    await page.getByTestId('receive-exp').fill('2034-01-09');
    await page.getByTestId('receive-submit').click();
    await page.getByTestId('receive-print').waitFor();
    const shown = await textOf(page, 'receive-result', /[0-9A-Z]{27}/);
    const po = await wh.get(`/purchase-orders/${p.json.id}`);
    expectStatus(po, 200);
    assert.equal(po.json.status, 'partially_received');
    assert.equal(po.json.receipts.length, 1);
    const r = po.json.receipts[0];
    assert.equal(r.lot_no, lotNo);
    assert.equal(r.expiry_date, '2034-01-09');
    assert.equal(Number(r.qty), 4);
    assert.ok(r.label_code && shown.includes(r.label_code), 'the page shows the new label code');

    // More than is open, without the box ticked: refused with the reason, nothing posted.
    await page.getByTestId('receive-qty').fill('7');
    await page.getByTestId('receive-lot-no').fill(lotNo);
    await page.getByTestId('receive-submit').click();
    await textOf(page, 'po-error', /超出订单数量|More than ordered/);
    assert.equal((await wh.get(`/purchase-orders/${p.json.id}`)).json.receipts.length, 1);
    assert.deepEqual(log.filter((l) => l.startsWith('pageerror')), [], `no page errors:\n${log.join('\n')}`);
  } finally {
    await context.close();
  }
});
