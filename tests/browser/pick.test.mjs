// pick.test.mjs -- a dispatch's pick list scanned to completion on a
// phone-sized page (docs/logistics.md): a wrong lot is refused naming the
// lot and bin the list wants, the right labels are confirmed (one of them
// while offline, through the offline queue, sent when the network is back),
// then everything picked ships and the server shows it in transit.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  requireBrowser, launch, useServer, loginThroughForm, textOf, until, watch, uniq, WH_USER, DEPOT,
} from './lib/browser.mjs';
import { expectStatus, depot, bin, receiveFresh, TOWN_A } from '../api/lib/harness.mjs';

const pw = await requireBrowser();
const h = useServer();
let B;
before(async () => { B = await launch(pw); });
after(async () => { if (B) await B.close(); });

async function label(client, binId, lotId) {
  const r = await client.post('/labels', { targets: [{ kind: 'lot', bin_id: binId, lot_id: lotId }] });
  expectStatus(r, [200, 201]);
  return r.json.labels[0].code;
}

// A dispatch of 10 from DEPOT (FEFO: lot L1 4, then L2 6) to town A; lot L3
// of the same item is in the depot too but expires last, so it is not picked.
async function fixture() {
  const admin = await h.login('admin');
  const auditor = await h.login('city-auditor');
  const wh = await h.login(WH_USER);
  const off = await h.login(`town-${TOWN_A}`);
  let r = await admin.post('/items', { code: uniq('PK').slice(0, 32), name_zh: '折叠床（拣货测试）',
                                       name_en: 'Pick test cot', unit: '张', integral: true, tracking: 'lot' });
  expectStatus(r, 201);
  const it = r.json.item ?? r.json;
  const dep = await depot(wh, DEPOT);
  const lots = {};
  for (const [name, b, qty, expiry] of [['L1', 'A-01', 4, '2027-05-31'], ['L2', 'A-02', 6, '2028-05-31'],
                                          ['L3', 'A-03', 5, '2031-05-31']]) {
    const l = await receiveFresh(wh, { binId: bin(dep, b).id, itemId: it.id, qty, expiry });
    lots[name] = { ...l, bin: b, code: await label(wh, bin(dep, b).id, l.lotId) };
  }
  r = await off.post('/requests', { purpose: 'replenishment', lines: [{ item: it.code, qty: 10 }] });
  expectStatus(r, 201);
  const req = r.json;
  expectStatus(await auditor.post(`/requests/${req.id}/decide`, { decision: 'approve' }), 200);
  r = await auditor.post('/dispatches', { request_id: req.id, lines: [
    { request_line_id: req.lines[0].id, depot_id: dep.id, qty: 10 }] });
  expectStatus(r, 201);
  assert.deepEqual(r.json.picks.map((p) => p.lot_no), [lots.L1.lotNo, lots.L2.lotNo]);
  return { wh, dispatch: r.json, lots };
}

test('a pick list scanned to completion on a phone, one scan offline, then shipped', async () => {
  const fx = await fixture();
  const context = await B.browser.newContext({ viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true });
  const page = await context.newPage();
  const log = watch(page);
  try {
    await loginThroughForm(page, h.base);
    await page.goto(`${h.base}/#/pick/${fx.dispatch.id}`);
    await page.getByTestId('pick-scan').waitFor();
    await until(async () => (await page.getByTestId('pick-line').count()) === 2, { what: 'two pick lines' });
    assert.equal(await page.evaluate(() => document.activeElement && document.activeElement.id), 'lg-scan',
                 'the scanner field has the focus');
    // Nothing wider than the phone.
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 390 + 1), 'no sideways scrolling');

    // The wrong lot: refused at once, naming the first lot and bin the list wants.
    const scan = async (text) => {
      const input = page.getByTestId('pick-scan');
      await input.fill(text);
      await input.press('Enter');
    };
    await scan(fx.lots.L3.code);
    const refusal = await textOf(page, 'pick-refused', new RegExp(fx.lots.L1.lotNo));
    assert.match(refusal, /A-01/);

    // The first lot, typed as the URL a wedge scanner sends.
    await scan(`${h.base}/L/${fx.lots.L1.code}`);
    await textOf(page, 'pick-sent', new RegExp(fx.lots.L1.lotNo));
    let d = (await fx.wh.get(`/dispatches/${fx.dispatch.id}`)).json;
    assert.equal(d.status, 'picking');

    // The second one offline: kept in the queue, sent when the network is back.
    await context.setOffline(true);
    await scan(fx.lots.L2.code);
    await textOf(page, 'pick-queued');
    await until(async () => (await page.locator('[data-testid="pick-line"][data-state="queued"]').count()) === 1,
                { what: 'the line marked as waiting' });
    d = (await fx.wh.get(`/dispatches/${fx.dispatch.id}`)).json;
    assert.equal(Number(d.qty_picked), 4, 'nothing sent while offline');
    await context.setOffline(false);
    await until(async () => (await fx.wh.get(`/dispatches/${fx.dispatch.id}`)).json.status === 'picked',
                { what: 'the queued pick to reach the server', timeoutMs: 20000 });
    await until(async () => (await page.locator('[data-testid="pick-line"][data-state="picked"]').count()) === 2,
                { what: 'both lines picked on the page', timeoutMs: 20000 });

    // Ship.
    await page.getByTestId('pick-ship').click();
    await textOf(page, 'pick-sent', /2/);
    d = (await fx.wh.get(`/dispatches/${fx.dispatch.id}`)).json;
    assert.equal(d.status, 'in_transit');
    assert.equal(Number(d.qty_in_transit), 10);
    assert.deepEqual(d.picks.map((p) => p.status), ['shipped', 'shipped']);
    assert.deepEqual(log.filter((l) => l.startsWith('pageerror')), []);
  } finally {
    await context.close();
  }

  // The destination receives on its own phone: L1 with one damaged, then L2 whole.
  const ctx2 = await B.browser.newContext({ viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true });
  const phone = await ctx2.newPage();
  const log2 = watch(phone);
  try {
    await loginThroughForm(phone, h.base, `wh-${TOWN_A}`);
    await phone.goto(`${h.base}/#/dreceive/${fx.dispatch.id}`);
    await until(async () => (await phone.getByTestId('receive-line').count()) === 2, { what: 'two lines in transit' });
    await phone.getByTestId('receive-bin').selectOption({ label: 'A-02' });
    await phone.getByTestId('receive-qty').fill('3');
    await phone.getByTestId('receive-damaged').fill('1');
    const input = phone.getByTestId('receive-scan');
    await input.fill(fx.lots.L1.code);
    await input.press('Enter');
    await textOf(phone, 'receive-sent');
    await input.fill(fx.lots.L3.code);
    await input.press('Enter');
    await textOf(phone, 'receive-refused', new RegExp(fx.lots.L2.lotNo));
    await input.fill(fx.lots.L2.code);
    await input.press('Enter');
    await until(async () => (await fx.wh.get(`/dispatches/${fx.dispatch.id}`)).json.status === 'closed',
                { what: 'the dispatch to close' });
    const d = (await fx.wh.get(`/dispatches/${fx.dispatch.id}`)).json;
    assert.equal(Number(d.qty_received), 10);
    assert.equal(Number(d.qty_damaged), 1);
    assert.equal(Number(d.qty_in_transit), 0);
    assert.deepEqual(log2.filter((l) => l.startsWith('pageerror')), []);
  } finally {
    await ctx2.close();
  }
});

async function loginDesk(page, username) {
  await page.goto(`${h.base}/`);
  await page.getByTestId('login-username').fill(username);
  await page.getByTestId('login-password').fill('reliefstock-demo');
  await page.getByTestId('login-submit').click();
  await page.getByTestId('nav-requests').waitFor();
}

test('desktop: a town asks, the city approves in part and allocates from the suggestion', async () => {
  const admin = await h.login('admin');
  let r = await admin.post('/items', { code: uniq('DK').slice(0, 32), name_zh: '应急灯（桌面测试）',
                                       name_en: 'Desk test lamp', unit: '盏', integral: true, tracking: 'lot' });
  expectStatus(r, 201);
  const it = r.json.item ?? r.json;
  const city = await depot(admin, 'D-441900-1');
  await receiveFresh(admin, { binId: bin(city, 'A-04').id, itemId: it.id, qty: 30, expiry: '2030-12-31' });

  const ctxTown = await B.browser.newContext({ viewport: { width: 1280, height: 900 } });
  const ctxCity = await B.browser.newContext({ viewport: { width: 1280, height: 900 } });
  try {
    const town = await ctxTown.newPage();
    const logT = watch(town);
    await loginDesk(town, `town-${TOWN_A}`);
    await town.getByTestId('nav-requests').click();
    await town.getByTestId('lg-tab-events').waitFor();
    await town.getByTestId('request-form').waitFor();
    await town.getByTestId('request-item').fill(it.code);
    await town.getByTestId('request-qty').fill('12');
    await town.getByTestId('request-reason').fill('replenish after the flood');
    await town.getByTestId('request-submit').click();
    await textOf(town, 'request-status', /待审批/);
    const id = Number(/#\/requests\/(\d+)/.exec(town.url())[1]);
    assert.ok(id > 0);

    const desk = await ctxCity.newPage();
    const logC = watch(desk);
    await loginDesk(desk, 'city-auditor');
    await desk.goto(`${h.base}/#/requests/${id}`);
    await desk.getByTestId(`approve-qty-${it.code}`).fill('10');
    await desk.getByTestId('request-approve').click();
    await textOf(desk, 'request-status', /部分批准/);
    const alloc = desk.getByTestId(`alloc-${it.code}-D-441900-1`);
    await alloc.waitFor();
    assert.equal(await alloc.inputValue(), '10', 'the suggestion fills the city depot');
    await desk.getByTestId('dispatch-create').click();
    await textOf(desk, 'dispatch-status', /已分配/);
    const did = Number(/#\/dispatches\/(\d+)/.exec(desk.url())[1]);
    const d = (await admin.get(`/dispatches/${did}`)).json;
    assert.equal(d.request_id, id);
    assert.deepEqual(d.lines.map((l) => [l.depot_code, Number(l.qty_allocated)]), [['D-441900-1', 10]]);
    // The town sees the dispatch on its own list.
    await town.goto(`${h.base}/#/dispatches`);
    await until(async () => (await town.getByTestId('dispatch-link').allTextContents()).includes(String(did)),
                { what: 'the dispatch on the town\'s list' });
    assert.deepEqual([...logT, ...logC].filter((l) => l.startsWith('pageerror')), []);
  } finally {
    await ctxTown.close();
    await ctxCity.close();
  }
});
