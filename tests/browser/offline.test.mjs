// Working without network: the scan page resolves codes from what it last
// loaded, queues actions in IndexedDB with their Idempotency-Keys, shows the
// queue, and sends it when the network is back -- each action applied exactly
// once.  A refused action is shown with the server's reason and kept until
// the user resolves it.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  requireBrowser, launch, useServer, freshLot, standInLabels, loginThroughForm, scan, onHand,
  textOf, until, watch, movementsOf,
} from './lib/browser.mjs';
import { stockQty, moveOk } from '../api/lib/harness.mjs';

const pw = await requireBrowser();
const h = useServer();
let B;
before(async () => { B = await launch(pw); });
after(async () => { if (B) await B.close(); });

async function open(fx) {
  const context = await B.browser.newContext({ viewport: { width: 390, height: 844 } });
  await standInLabels(context, fx);
  const page = await context.newPage();
  const log = watch(page);
  // Every POST the page sends, with its Idempotency-Key.
  const posts = [];
  page.on('request', (r) => {
    if (r.method() === 'POST' && /\/api\/v1\/(movements|stocktakes)$/.test(r.url()))
      posts.push({ url: r.url(), key: r.headers()['idempotency-key'], body: r.postDataJSON() });
  });
  return { context, page, log, posts };
}

async function issue(page, qty) {
  await page.locator('[data-action="issue"]').click();
  await page.getByTestId('qty-input').fill(String(qty));
  await page.getByTestId('submit-action').click();
}

test('offline: scan and issue twice, restore the network, exactly two movements reach the server', async () => {
  const fx = await freshLot(h, { qty: 20 });
  const { context, page, posts } = await open(fx);
  try {
    await loginThroughForm(page, h.base);
    await scan(page, fx.code); // online: the answer is kept for later
    await textOf(page, 'onhand', '20 顶');

    await context.setOffline(true);
    await textOf(page, 'net-badge', /离线/);
    await scan(page, fx.code);
    await textOf(page, 'offline-banner', /离线/);
    assert.equal(await onHand(page), '20 顶');
    await issue(page, 2);
    await textOf(page, 'outcome', /连不上服务器/);
    await textOf(page, 'onhand', '18 顶');
    await textOf(page, 'pending-note', /1 项待发送/);
    await textOf(page, 'queue-badge', '待发送 1');

    await scan(page, fx.code);
    await issue(page, 3);
    await textOf(page, 'queue-badge', '待发送 2');
    await textOf(page, 'onhand', '15 顶');
    await textOf(page, 'pending-note', /2 项待发送（−5 顶）/);

    await page.getByTestId('nav-queue').click();
    await until(async () => (await page.getByTestId('queue-item').count()) === 2, { what: 'two queue items' });
    assert.deepEqual(await page.getByTestId('queue-item').evaluateAll((els) => els.map((e) => e.dataset.status)),
                     ['queued', 'queued']);
    assert.equal((await movementsOf(fx.wh, fx.lotId, 'issue')).length, 0, 'nothing sent while offline');
    assert.equal(posts.length, 0, 'no request left the page while offline');

    await context.setOffline(false);
    await textOf(page, 'queue-badge', '待发送 0', { timeoutMs: 20000 });
    await textOf(page, 'net-badge', /在线/);
    const issues = await movementsOf(fx.wh, fx.lotId, 'issue');
    assert.equal(issues.length, 2, `exactly two issue movements: ${JSON.stringify(issues)}`);
    assert.deepEqual(issues.map((m) => Math.abs(Number(m.qty))).sort(), [2, 3]);
    assert.equal(await stockQty(fx.wh, fx.lotId, fx.bin.id), 15);
    assert.equal(new Set(posts.map((p) => p.key)).size, 2, 'two actions, two keys');

    // Nothing more arrives later (no duplicate from a timer).
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal((await movementsOf(fx.wh, fx.lotId, 'issue')).length, 2);

    await page.getByTestId('nav-scan').click();
    await scan(page, fx.code);
    await textOf(page, 'onhand', '15 顶');
    assert.equal(await page.getByTestId('offline-banner').count(), 0);
  } finally {
    await context.close();
  }
});

test('a refused action shows the server\'s reason and stays in the queue until discarded', async () => {
  const fx = await freshLot(h, { qty: 5 });
  const { context, page } = await open(fx);
  try {
    await loginThroughForm(page, h.base);
    await scan(page, fx.code);
    await textOf(page, 'onhand', '5 顶');
    await issue(page, 9);
    const reason = await textOf(page, 'refusal-reason', /库存不足/);
    assert.match(reason, /服务器说明: .+/, `the server's own message is shown: ${reason}`);
    await textOf(page, 'queue-badge', /待发送 1 · ✖ 1/);
    assert.equal(await stockQty(fx.wh, fx.lotId, fx.bin.id), 5);

    // Still there after a reload, until the user discards it.
    await page.reload();
    await textOf(page, 'queue-badge', /待发送 1 · ✖ 1/);
    await page.getByTestId('nav-queue').click();
    await textOf(page, 'queue-reason', /库存不足/);
    assert.equal(await page.getByTestId('queue-item').getAttribute('data-status'), 'refused');
    await page.getByTestId('queue-retry').click(); // refused again: still 5 on hand
    await textOf(page, 'queue-reason', /库存不足/);
    await page.getByTestId('queue-discard').click();
    await textOf(page, 'queue-summary', '没有待发送的操作。');
    await textOf(page, 'queue-badge', '待发送 0');
    assert.equal((await movementsOf(fx.wh, fx.lotId, 'issue')).length, 0);
  } finally {
    await context.close();
  }
});

test('stock issued elsewhere while offline: the queued issue is refused, kept, and sent after a fix', async () => {
  const fx = await freshLot(h, { qty: 5 });
  const { context, page } = await open(fx);
  try {
    await loginThroughForm(page, h.base);
    await scan(page, fx.code);
    await textOf(page, 'onhand', '5 顶');
    await context.setOffline(true);
    await textOf(page, 'net-badge', /离线/);
    await issue(page, 4);
    await textOf(page, 'queue-badge', '待发送 1');
    // Meanwhile someone else issues 3 of the 5.
    await moveOk(fx.wh, { kind: 'issue', bin_id: fx.bin.id, lot_id: fx.lotId, qty: 3 });
    await context.setOffline(false);
    await textOf(page, 'queue-badge', /✖ 1/, { timeoutMs: 20000 });
    await page.getByTestId('nav-queue').click();
    await textOf(page, 'queue-reason', /库存不足/);
    // A delivery arrives; retrying the same action (same key) now works.
    await moveOk(fx.wh, { kind: 'receive', bin_id: fx.bin.id, item_id: fx.tent.id, lot_id: fx.lotId, qty: 10 });
    await page.getByTestId('queue-retry').click();
    await textOf(page, 'queue-summary', '没有待发送的操作。');
    const issues = await movementsOf(fx.wh, fx.lotId, 'issue');
    assert.equal(issues.length, 2);
    assert.equal(await stockQty(fx.wh, fx.lotId, fx.bin.id), 8);
  } finally {
    await context.close();
  }
});

test('an answer lost on the way back: the action is sent again with the same key and applied once', async () => {
  const fx = await freshLot(h, { qty: 10 });
  const { context, page, posts } = await open(fx);
  let lost = 0;
  await page.route(/\/api\/v1\/movements$/, async (route) => {
    if (route.request().method() === 'POST' && lost === 0) {
      lost++;
      await route.fetch(); // the server applies it ...
      return route.abort('connectionreset'); // ... and the answer never arrives
    }
    return route.continue();
  });
  try {
    await loginThroughForm(page, h.base);
    await scan(page, fx.code);
    await textOf(page, 'onhand', '10 顶');
    await issue(page, 4);
    await textOf(page, 'outcome', /连不上服务器/); // to the page, it looked like no network
    await textOf(page, 'queue-badge', '待发送 1');
    assert.equal((await movementsOf(fx.wh, fx.lotId, 'issue')).length, 1, 'the server did apply it');
    await page.getByTestId('nav-queue').click();
    await page.getByTestId('queue-send').click();
    await textOf(page, 'queue-summary', '没有待发送的操作。', { timeoutMs: 15000 });
    assert.equal(posts.length, 2);
    assert.equal(posts[0].key, posts[1].key, 'the retry carries the same Idempotency-Key');
    assert.deepEqual(posts[0].body, posts[1].body);
    assert.equal((await movementsOf(fx.wh, fx.lotId, 'issue')).length, 1, 'applied once');
    assert.equal(await stockQty(fx.wh, fx.lotId, fx.bin.id), 6);
  } finally {
    await context.close();
  }
});

test('a session that ended while offline: log in again, then the queue is sent', async () => {
  const fx = await freshLot(h, { qty: 8 });
  const { context, page } = await open(fx);
  try {
    await loginThroughForm(page, h.base);
    await scan(page, fx.code);
    await textOf(page, 'onhand', '8 顶');
    await context.setOffline(true);
    await textOf(page, 'net-badge', /离线/);
    await issue(page, 1);
    await textOf(page, 'queue-badge', '待发送 1');
    // The session is revoked on the server meanwhile (expired, logged out elsewhere).
    const cookie = (await context.cookies()).find((c) => c.name === 'rs_session');
    assert.ok(cookie, 'the session cookie');
    const out = await fx.wh.anonymous().post('/auth/logout', {}, { headers: { Cookie: `rs_session=${cookie.value}` } });
    assert.equal(out.status, 204);
    await context.setOffline(false);
    await page.getByTestId('login-username').waitFor({ timeout: 20000 });
    await textOf(page, 'login-notice', /登录已过期/);
    await textOf(page, 'queue-badge', '待发送 1');
    assert.equal((await movementsOf(fx.wh, fx.lotId, 'issue')).length, 0);
    await page.getByTestId('login-username').fill('wh-441900003');
    await page.getByTestId('login-password').fill('reliefstock-demo');
    await page.getByTestId('login-submit').click();
    await textOf(page, 'queue-badge', '待发送 0', { timeoutMs: 20000 });
    assert.equal((await movementsOf(fx.wh, fx.lotId, 'issue')).length, 1);
    assert.equal(await stockQty(fx.wh, fx.lotId, fx.bin.id), 7);
  } finally {
    await context.close();
  }
});

test('the app opens without network once it has been loaded (service worker)', async () => {
  const fx = await freshLot(h, { qty: 3 });
  const { context, page } = await open(fx);
  try {
    await loginThroughForm(page, h.base);
    await scan(page, fx.code);
    await textOf(page, 'onhand', '3 顶');
    await page.evaluate(async () => {
      await navigator.serviceWorker.ready;
      if (!navigator.serviceWorker.controller)
        await new Promise((r) => navigator.serviceWorker.addEventListener('controllerchange', r, { once: true }));
    });
    await context.setOffline(true);
    const res = await page.goto(`${h.base}/L/${fx.code}`);
    assert.ok(res.fromServiceWorker(), 'the page came from the service worker');
    await textOf(page, 'offline-banner', /离线/);
    assert.equal(await textOf(page, 'lot-no'), fx.lotNo);
    assert.equal(await onHand(page), '3 顶');
    await textOf(page, 'net-badge', /离线/);
    await context.setOffline(false);
  } finally {
    await context.close();
  }
});
