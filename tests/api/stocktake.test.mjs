// stocktake.test.mjs -- blind counts and the second count (docs/api.md,
// "Stocktake").  The server runs with RELIEF_COUNT_RECOUNT_PCT=5 and
// RELIEF_COUNT_RECOUNT_ABS=10, and every case is chosen far from both
// limits, so it holds whether the rule combines them with "or" or "and".
import { test, before } from 'node:test';
import assert from 'node:assert/strict';

import {
  useServer, expectStatus, expectError, num, item, townBin, receiveFresh,
  stockQty, lotState, reliefctl, PASSWORD, TOWN_A, TOWN_B, TENT,
} from './lib/harness.mjs';

const h = useServer({ env: { RELIEF_COUNT_RECOUNT_PCT: '5', RELIEF_COUNT_RECOUNT_ABS: '10' } });
const WH2 = `wh2-${TOWN_A}`;
let wh, wh2, official, auditor, whB, tent, a1;

// A second warehouse user of town A (the demo city has one per town), made
// with `reliefctl user-add` unless an earlier run made it already.
async function ensureSecondWarehouseUser() {
  try {
    await h.login(WH2);
    return;
  } catch { /* not there yet */ }
  const r = await reliefctl(['user-add', '--username', WH2, '--role', 'warehouse',
                             '--org', TOWN_A, '--display-name', 'Second counter (api test)'],
                            { input: `${PASSWORD}\n` });
  assert.equal(r.code, 0, `reliefctl user-add failed (${r.code}): ${r.stderr}`);
}

before(async () => {
  await ensureSecondWarehouseUser();
  wh = await h.login(`wh-${TOWN_A}`);
  wh2 = await h.login(WH2);
  official = await h.login(`town-${TOWN_A}`);
  auditor = await h.login('city-auditor');
  whB = await h.login(`wh-${TOWN_B}`);
  tent = await item(wh, TENT);
  ({ bin: a1 } = await townBin(wh, TOWN_A, 'A-03'));
});

const count = (client, binId, lotId, counted, opts) =>
  client.post('/stocktakes', { bin_id: binId, lot_id: lotId, counted_qty: counted }, opts);

// Every value in a JSON tree whose key does not look like an id.
function values(j, key = '', out = []) {
  if (Array.isArray(j)) j.forEach((v) => values(v, key, out));
  else if (j && typeof j === 'object')
    for (const [k, v] of Object.entries(j)) values(v, k, out);
  else if (!/(^|_)id$/.test(key)) out.push([key, j]);
  return out;
}

function assertBlind(r, ...hidden) {
  for (const [k, v] of values(r.json)) {
    assert.ok(v === null || !/expected|balance|system|difference|diff|book/i.test(k),
              `the answer to a blind count has a key "${k}": ${r.text}`);
    for (const x of hidden)
      assert.ok(Number(v) !== x || v === null || v === '' || typeof v === 'boolean',
                `the answer to a blind count reveals ${x} (key "${k}"): ${r.text}`);
  }
}

test('count equal to the balance: posted, no movement', async () => {
  const { lotId } = await receiveFresh(wh, { binId: a1.id, itemId: tent.id, qty: 1237 });
  const before1 = await lotState(wh, lotId);
  const r = await count(wh, a1.id, lotId, 1237);
  expectStatus(r, 201);
  assert.equal(r.json.stocktake?.status, 'posted');
  assert.ok('movement' in r.json, `no "movement" key: ${r.text}`);
  assert.equal(r.json.movement, null);
  assert.deepEqual(await lotState(wh, lotId), before1, 'an equal count wrote a movement');
});

test('small difference: posted at once with a count movement', async () => {
  const { lotId } = await receiveFresh(wh, { binId: a1.id, itemId: tent.id, qty: 1237 });
  const r = await count(wh, a1.id, lotId, 1234);
  expectStatus(r, 201);
  const st = r.json.stocktake;
  assert.equal(st?.status, 'posted');
  const m = r.json.movement;
  assert.ok(m, `no movement: ${r.text}`);
  assert.equal(m.kind, 'count');
  assert.equal(num(m.qty), -3);
  assert.equal(num(m.balance_after), 1234);
  assert.equal(m.bin_id, a1.id);
  assert.equal(m.lot_id, lotId);
  if (m.stocktake_id !== undefined) assert.equal(m.stocktake_id, st.id);
  assert.equal(await stockQty(wh, lotId, a1.id), 1234);
  // upwards as well
  const up = await count(wh, a1.id, lotId, 1236);
  expectStatus(up, 201);
  assert.equal(num(up.json.movement?.qty), 2);
  assert.equal(await stockQty(wh, lotId, a1.id), 1236);
  const counts = await wh.all(`/movements?lot=${lotId}&kind=count`);
  assert.equal(counts.length, 2);
});

test('big difference: 202 recount_required, nothing posted, expected quantity not shown; ' +
     'the same user may not recount; another warehouse user posts it', async () => {
  const { lotId } = await receiveFresh(wh, { binId: a1.id, itemId: tent.id, qty: 1237 });
  const before1 = await lotState(wh, lotId);
  const r = await count(wh, a1.id, lotId, 600);
  expectStatus(r, 202);
  const st = r.json.stocktake;
  assert.equal(st?.status, 'recount_required');
  assert.ok(Number.isInteger(Number(st.id)), `no stocktake id: ${r.text}`);
  assert.ok('movement' in r.json && r.json.movement === null,
            `a 202 answer should have "movement": null: ${r.text}`);
  assertBlind(r, 1237, 637);
  assert.deepEqual(await lotState(wh, lotId), before1, 'a count needing a recount moved stock');

  // while the recount is pending, another first count of the same bin and lot is 409
  expectError(await count(wh2, a1.id, lotId, 1237), 409, 'conflict');
  expectError(await count(wh, a1.id, lotId, 600), 409, 'conflict');
  assert.deepEqual(await lotState(wh, lotId), before1);

  // the pending count is listed, still blind
  const pending = await wh.all('/stocktakes?status=recount_required');
  const mine = pending.find((x) => x.id === st.id);
  assert.ok(mine, `stocktake ${st.id} not in GET /stocktakes?status=recount_required`);
  assert.equal(mine.status, 'recount_required');
  assertBlind({ json: mine, text: JSON.stringify(mine) }, 1237, 637);

  // the first counter may not recount
  expectError(await wh.post(`/stocktakes/${st.id}/recount`, { counted_qty: 600 }),
              422, 'rule_broken');
  // neither may someone from another town, nor the auditor
  expectError(await whB.post(`/stocktakes/${st.id}/recount`, { counted_qty: 600 }),
              403, 'forbidden');
  expectError(await auditor.post(`/stocktakes/${st.id}/recount`, { counted_qty: 600 }),
              403, 'forbidden');
  // bad second counts
  expectError(await wh2.post(`/stocktakes/${st.id}/recount`, { counted_qty: -1 }),
              400, 'bad_quantity');
  expectError(await wh2.post(`/stocktakes/${st.id}/recount`, { counted_qty: 600.5 }),
              400, 'bad_quantity');
  expectError(await wh2.post(`/stocktakes/${st.id}/recount`, {}), 400, 'missing_field',
              'counted_qty');
  assert.deepEqual(await lotState(wh, lotId), before1);

  // a second warehouse user of the same town: posted whatever it shows
  const rc = await wh2.post(`/stocktakes/${st.id}/recount`, { counted_qty: 605 });
  expectStatus(rc, 201);
  assert.equal(rc.json.stocktake?.status, 'posted');
  const m = rc.json.movement;
  assert.ok(m, `no movement: ${rc.text}`);
  assert.equal(m.kind, 'count');
  assert.equal(num(m.qty), 605 - 1237);
  assert.equal(num(m.balance_after), 605);
  assert.equal(await stockQty(wh, lotId, a1.id), 605);

  // a posted stocktake cannot be recounted again
  const before2 = await lotState(wh, lotId);
  expectError(await official.post(`/stocktakes/${st.id}/recount`, { counted_qty: 1 }),
              [409, 422]);
  assert.deepEqual(await lotState(wh, lotId), before2);
  const posted = await wh.all('/stocktakes?status=posted');
  assert.ok(posted.some((x) => x.id === st.id), 'posted stocktake not listed as posted');
  // with nothing pending, a new first count is accepted again
  const again = await count(wh, a1.id, lotId, 605);
  expectStatus(again, 201);
  assert.equal(again.json.movement, null);
});

test('the town official may do the second count', async () => {
  const { lotId } = await receiveFresh(wh, { binId: a1.id, itemId: tent.id, qty: 300 });
  const r = await count(wh, a1.id, lotId, 900);
  expectStatus(r, 202);
  assertBlind(r, 300, 600);
  const rc = await official.post(`/stocktakes/${r.json.stocktake.id}/recount`,
                                 { counted_qty: 310 });
  expectStatus(rc, 201);
  assert.equal(rc.json.stocktake?.status, 'posted');
  assert.equal(num(rc.json.movement?.qty), 10);
  assert.equal(await stockQty(wh, lotId, a1.id), 310);
});

test('a recount that agrees with the balance posts no movement', async () => {
  const { lotId } = await receiveFresh(wh, { binId: a1.id, itemId: tent.id, qty: 400 });
  const r = await count(wh, a1.id, lotId, 0);
  expectStatus(r, 202);
  const before1 = await lotState(wh, lotId);
  const rc = await wh2.post(`/stocktakes/${r.json.stocktake.id}/recount`, { counted_qty: 400 });
  expectStatus(rc, 201);
  assert.equal(rc.json.stocktake?.status, 'posted');
  assert.equal(rc.json.movement, null);
  assert.deepEqual(await lotState(wh, lotId), before1);
});

test('stocktake input is checked and nothing is written', async () => {
  const { lotId } = await receiveFresh(wh, { binId: a1.id, itemId: tent.id, qty: 50 });
  const before1 = await lotState(wh, lotId);
  expectError(await count(wh, a1.id, lotId, -1), 400, 'bad_quantity');
  expectError(await count(wh, a1.id, lotId, 49.5), 400, 'bad_quantity');
  expectError(await count(wh, a1.id, lotId, '50'), 400, 'bad_type', 'counted_qty');
  expectError(await wh.post('/stocktakes', { bin_id: a1.id, lot_id: lotId }),
              400, 'missing_field', 'counted_qty');
  expectError(await wh.post('/stocktakes', { bin_id: a1.id, lot_id: lotId, counted_qty: 50,
                                             expected_qty: 50 }),
              400, 'unknown_field', 'expected_qty');
  expectError(await count(wh, 999999999, lotId, 50), 422, 'unknown_reference', 'bin_id');
  expectError(await count(wh, a1.id, 999999999, 50), 422, 'unknown_reference', 'lot_id');
  expectError(await count(auditor, a1.id, lotId, 50), 403, 'forbidden');
  expectError(await count(official, a1.id, lotId, 50), 403, 'forbidden');
  expectError(await count(whB, a1.id, lotId, 50), 403, 'forbidden');
  expectError(await wh.post('/stocktakes/999999999/recount', { counted_qty: 1 }),
              404, 'not_found');
  assert.deepEqual(await lotState(wh, lotId), before1);
});
