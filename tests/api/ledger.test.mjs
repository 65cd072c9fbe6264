// ledger.test.mjs -- every movement kind end to end (docs/api.md, "POST
// /movements bodies"), the stock each step leaves, the ledger listing with its
// filters, pagination and CSV export.
//
// Everything happens on lots this file creates, so demo quantities never matter.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';

import {
  useServer, expectStatus, expectError, unwrap, num, item, townBin, bin,
  move, moveOk, receiveFresh, stockQty, lotMovements, lotState, uniq,
  TOWN_A, TOWN_B, TENT,
} from './lib/harness.mjs';

const h = useServer();
let wh, admin, tent, a1, a2, depotA, depotB, b1;

before(async () => {
  wh = await h.login(`wh-${TOWN_A}`);
  admin = await h.login('admin');
  tent = await item(wh, TENT);
  ({ depot: depotA, bin: a1 } = await townBin(wh, TOWN_A, 'A-01'));
  a2 = bin(depotA, 'A-02');
  ({ depot: depotB, bin: b1 } = await townBin(admin, TOWN_B, 'B-01'));
});

// Movement quantities: the request takes them unsigned for issue/dispose;
// the ledger keeps them signed.  Accept either form in answers, but the sign
// must never contradict the direction.
function assertQty(m, expectedSigned) {
  const q = num(m.qty);
  assert.ok(q === expectedSigned || q === Math.abs(expectedSigned),
            `movement ${m.id} (${m.kind}): qty ${m.qty}, expected ${expectedSigned}`);
}

test('quantities in answers are JSON numbers', async () => {
  const { movement } = await receiveFresh(wh, { binId: a1.id, itemId: tent.id, qty: 3 });
  assert.equal(typeof movement.qty, 'number', `qty ${JSON.stringify(movement.qty)}`);
  assert.equal(typeof movement.balance_after, 'number',
               `balance_after ${JSON.stringify(movement.balance_after)}`);
  const rows = await wh.all(`/stock?lot=${movement.lot_id}`);
  assert.equal(rows.length, 1);
  assert.equal(typeof rows[0].qty, 'number', `stock qty ${JSON.stringify(rows[0].qty)}`);
});

test('every kind end to end, with stock and balance_after after each step', async () => {
  // receive with a new lot
  const lotNo = uniq('LEDGER');
  const rcv = await moveOk(wh, {
    kind: 'receive', bin_id: a1.id, item_id: tent.id, qty: 100,
    lot: { lot_no: lotNo, production_date: '2025-03-01', expiry_date: '2033-02-28',
           supplier: '东莞救灾物资有限公司', unit_cost: 1250.5 },
    reference: 'PO-2026-001', occurred_at: '2026-03-01T08:30:00Z',
  });
  const m0 = rcv.movement;
  const L = m0.lot_id;
  assert.equal(m0.kind, 'receive');
  assertQty(m0, 100);
  assert.equal(num(m0.balance_after), 100);
  assert.equal(m0.bin_id, a1.id);
  assert.equal(m0.item_id, tent.id);
  assert.equal(await stockQty(wh, L, a1.id), 100);

  // the lot was created with its fields
  const lr = await wh.get(`/lots/${L}`);
  expectStatus(lr, 200);
  const lot = unwrap(lr.json, 'lot');
  assert.equal(lot.lot_no, lotNo);
  assert.equal(lot.expiry_date, '2033-02-28');
  assert.equal(lot.item_id, tent.id);

  // a second receive into the same lot by lot_id, into another bin
  const rcv2 = await moveOk(wh, { kind: 'receive', bin_id: a2.id, item_id: tent.id,
                                  lot_id: L, qty: 10 });
  assert.equal(rcv2.movement.lot_id, L);
  assert.equal(num(rcv2.movement.balance_after), 10);
  assert.equal(await stockQty(wh, L, a2.id), 10);
  assert.equal(await stockQty(wh, L, a1.id), 100);

  // issue
  const iss = await moveOk(wh, { kind: 'issue', bin_id: a1.id, lot_id: L, qty: 30,
                                 recipient: '石碣镇 flood site 3', reason: 'typhoon' });
  assert.equal(iss.movement.kind, 'issue');
  assertQty(iss.movement, -30);
  assert.equal(num(iss.movement.balance_after), 70);
  assert.equal(await stockQty(wh, L, a1.id), 70);

  // return
  const ret = await moveOk(wh, { kind: 'return', bin_id: a1.id, lot_id: L, qty: 5 });
  assert.equal(ret.movement.kind, 'return');
  assertQty(ret.movement, 5);
  assert.equal(num(ret.movement.balance_after), 75);

  // dispose needs a reason
  const before1 = await lotState(wh, L);
  expectError(await move(wh, { kind: 'dispose', bin_id: a1.id, lot_id: L, qty: 2 }),
              400, 'missing_field', 'reason');
  assert.deepEqual(await lotState(wh, L), before1, 'a refused dispose wrote something');
  const dis = await moveOk(wh, { kind: 'dispose', bin_id: a1.id, lot_id: L, qty: 2,
                                 reason: 'water damage' });
  assert.equal(dis.movement.kind, 'dispose');
  assertQty(dis.movement, -2);
  assert.equal(num(dis.movement.balance_after), 73);

  // adjust, both signs; needs a reason; 0 is refused
  const adjUp = await moveOk(wh, { kind: 'adjust', bin_id: a1.id, lot_id: L, qty: 4,
                                   reason: 'found on wrong shelf' });
  assert.equal(num(adjUp.movement.qty), 4);
  assert.equal(num(adjUp.movement.balance_after), 77);
  const adjDown = await moveOk(wh, { kind: 'adjust', bin_id: a1.id, lot_id: L, qty: -7,
                                     reason: 'miscount at intake' });
  assert.equal(num(adjDown.movement.qty), -7);
  assert.equal(num(adjDown.movement.balance_after), 70);
  const before2 = await lotState(wh, L);
  expectError(await move(wh, { kind: 'adjust', bin_id: a1.id, lot_id: L, qty: 0, reason: 'x' }),
              400, 'bad_quantity', 'qty');
  expectError(await move(wh, { kind: 'adjust', bin_id: a1.id, lot_id: L, qty: 1 }),
              400, 'missing_field', 'reason');
  expectError(await move(wh, { kind: 'adjust', bin_id: a1.id, lot_id: L, qty: -71,
                               reason: 'too much' }),
              409, 'insufficient_stock');
  assert.deepEqual(await lotState(wh, L), before2, 'a refused adjust wrote something');
  assert.equal(await stockQty(wh, L, a1.id), 70);

  // transfer: out of A-01 into transit towards town B's depot (admin spans both towns)
  const tr = await moveOk(admin, { kind: 'transfer', from_bin_id: a1.id, lot_id: L, qty: 20,
                                   to_depot_id: depotB.id, reference: 'TR-test' });
  assert.equal(tr.movement.kind, 'transfer_out');
  assertQty(tr.movement, -20);
  assert.equal(num(tr.movement.balance_after), 50);
  const T = tr.transfer;
  assert.ok(T && T.id !== undefined, `no transfer in ${tr.res.text}`);
  assert.equal(T.status, 'in_transit');
  assert.equal(num(T.qty_shipped), 20);
  assert.equal(num(T.qty_received), 0);
  assert.equal(T.to_depot_id, depotB.id);
  assert.equal(await stockQty(wh, L, a1.id), 50);

  // a transfer cannot be reversed (docs: "not for transfers")
  const before3 = await lotState(admin, L);
  expectError(await move(admin, { kind: 'reversal', movement_id: tr.movement.id,
                                  reason: 'oops' }),
              422, 'rule_broken');
  assert.deepEqual(await lotState(admin, L), before3);

  // transfer_receive: 8 first, then the rest (12)
  const tin1 = await moveOk(admin, { kind: 'transfer_receive', transfer_id: T.id,
                                     to_bin_id: b1.id, qty: 8 });
  assert.equal(tin1.movement.kind, 'transfer_in');
  assertQty(tin1.movement, 8);
  assert.equal(num(tin1.movement.balance_after), 8);
  assert.equal(tin1.movement.bin_id, b1.id);
  assert.equal(tin1.transfer?.status, 'in_transit');
  assert.equal(num(tin1.transfer?.qty_received), 8);
  assert.equal(await stockQty(admin, L, b1.id), 8);

  // more than is still in transit is refused, and writes nothing
  const before4 = await lotState(admin, L);
  const over = await move(admin, { kind: 'transfer_receive', transfer_id: T.id,
                                   to_bin_id: b1.id, qty: 13 });
  expectError(over, [409, 422], ['insufficient_stock', 'rule_broken']);
  assert.deepEqual(await lotState(admin, L), before4);

  const tin2 = await moveOk(admin, { kind: 'transfer_receive', transfer_id: T.id,
                                     to_bin_id: b1.id, qty: 12 });
  assert.equal(num(tin2.movement.balance_after), 20);
  assert.equal(tin2.transfer?.status, 'received');
  assert.equal(num(tin2.transfer?.qty_received), 20);
  const tg = await admin.get(`/transfers/${T.id}`);
  expectStatus(tg, 200);
  const tget = unwrap(tg.json, 'transfer');
  assert.equal(tget.status, 'received');
  assert.equal(num(tget.qty_shipped), 20);
  assert.equal(num(tget.qty_received), 20);
  assert.equal(await stockQty(admin, L, b1.id), 20);
  // the transfer's own movements: out once, in twice
  const trMv = await admin.all(`/movements?transfer=${T.id}`);
  assert.deepEqual(trMv.map((m) => m.kind).sort(), ['transfer_in', 'transfer_in', 'transfer_out']);
  // nothing left in transit: one more unit is refused
  expectError(await move(admin, { kind: 'transfer_receive', transfer_id: T.id,
                                  to_bin_id: b1.id, qty: 1 }),
              [409, 422], ['insufficient_stock', 'rule_broken']);

  // reversal of the issue: +30 back, pointing at it
  const rev = await moveOk(wh, { kind: 'reversal', movement_id: iss.movement.id,
                                 reason: 'issued to the wrong site' });
  assert.equal(rev.movement.kind, 'reversal');
  assert.equal(num(rev.movement.qty), 30);
  assert.equal(num(rev.movement.balance_after), 80);
  assert.equal(rev.movement.reverses_id, iss.movement.id);
  assert.equal(rev.movement.bin_id, a1.id);
  assert.equal(await stockQty(wh, L, a1.id), 80);

  // ... once only
  const before5 = await lotState(wh, L);
  expectError(await move(wh, { kind: 'reversal', movement_id: iss.movement.id, reason: 'again' }),
              409, 'already_reversed');
  expectError(await move(wh, { kind: 'reversal', movement_id: iss.movement.id }),
              400, 'missing_field', 'reason');
  assert.deepEqual(await lotState(wh, L), before5);

  // a reversal cannot itself be reversed (docs: "nor for a reversal")
  const before6 = await lotState(wh, L);
  expectError(await move(wh, { kind: 'reversal', movement_id: rev.movement.id, reason: 'undo' }),
              422, 'rule_broken');
  assert.deepEqual(await lotState(wh, L), before6);

  // reversal of an adjust-down gives the units back
  const rev2 = await moveOk(wh, { kind: 'reversal', movement_id: adjDown.movement.id,
                                  reason: 'the count was right' });
  assert.equal(num(rev2.movement.qty), 7);
  assert.equal(num(rev2.movement.balance_after), 87);

  // the ledger agrees with the stock, row by row (admin: the lot is in two towns now)
  const mvs = await lotMovements(admin, L);
  const kinds = mvs.map((m) => m.kind);
  for (const k of ['receive', 'issue', 'return', 'dispose', 'adjust', 'transfer_out',
                   'transfer_in', 'reversal'])
    assert.ok(kinds.includes(k), `GET /movements?lot= lacks a ${k} row: ${kinds}`);
  assert.equal(mvs.length, 12);
  const perBin = new Map();
  for (const m of mvs) {
    const sign = ['issue', 'dispose', 'transfer_out'].includes(m.kind) ? -1 : 1;
    const q = ['adjust', 'reversal', 'count'].includes(m.kind) ? num(m.qty)
                                                             : sign * Math.abs(num(m.qty));
    const b = (perBin.get(m.bin_id) ?? 0) + q;
    perBin.set(m.bin_id, b);
    assert.equal(num(m.balance_after), b, `balance_after of movement ${m.id} (${m.kind})`);
  }
  assert.equal(perBin.get(a1.id), 87);
  assert.equal(perBin.get(a2.id), 10);
  assert.equal(perBin.get(b1.id), 20);
  assert.equal(await stockQty(admin, L), 117);

  // GET /movements/{id}
  const one = await wh.get(`/movements/${iss.movement.id}`);
  expectStatus(one, 200);
  const m1 = unwrap(one.json, 'movement');
  assert.equal(m1.id, iss.movement.id);
  assert.equal(m1.kind, 'issue');
  assert.equal(m1.recipient, '石碣镇 flood site 3');
  assert.equal(num(m1.balance_after), 70);
});

test('reversal of a receive whose stock is gone: 409 insufficient_stock, nothing written',
     async () => {
  const { lotId, movement } = await receiveFresh(wh, { binId: a1.id, itemId: tent.id, qty: 10 });
  await moveOk(wh, { kind: 'issue', bin_id: a1.id, lot_id: lotId, qty: 10 });
  assert.equal(await stockQty(wh, lotId, a1.id), 0);
  const before1 = await lotState(wh, lotId);
  expectError(await move(wh, { kind: 'reversal', movement_id: movement.id, reason: 'wrong lot' }),
              409, 'insufficient_stock');
  assert.deepEqual(await lotState(wh, lotId), before1);
  // After a return of 10 the same reversal goes through.
  await moveOk(wh, { kind: 'return', bin_id: a1.id, lot_id: lotId, qty: 10 });
  const rev = await moveOk(wh, { kind: 'reversal', movement_id: movement.id, reason: 'wrong lot' });
  assert.equal(num(rev.movement.qty), -10);
  assert.equal(num(rev.movement.balance_after), 0);
  assert.equal(await stockQty(wh, lotId, a1.id), 0);
});

test('issue more than on hand: 409 insufficient_stock and nothing written', async () => {
  const { lotId } = await receiveFresh(wh, { binId: a1.id, itemId: tent.id, qty: 5 });
  const before1 = await lotState(wh, lotId);
  expectError(await move(wh, { kind: 'issue', bin_id: a1.id, lot_id: lotId, qty: 6 }),
              409, 'insufficient_stock');
  expectError(await move(wh, { kind: 'dispose', bin_id: a1.id, lot_id: lotId, qty: 6,
                               reason: 'x' }),
              409, 'insufficient_stock');
  expectError(await move(admin, { kind: 'transfer', from_bin_id: a1.id, lot_id: lotId, qty: 6,
                                  to_depot_id: depotB.id }),
              409, 'insufficient_stock');
  // a bin that never held the lot has nothing to issue
  expectError(await move(wh, { kind: 'issue', bin_id: a2.id, lot_id: lotId, qty: 1 }),
              409, 'insufficient_stock');
  assert.deepEqual(await lotState(wh, lotId), before1);
  // exactly what is on hand is fine, down to zero
  const iss = await moveOk(wh, { kind: 'issue', bin_id: a1.id, lot_id: lotId, qty: 5 });
  assert.equal(num(iss.movement.balance_after), 0);
  expectError(await move(wh, { kind: 'issue', bin_id: a1.id, lot_id: lotId, qty: 1 }),
              409, 'insufficient_stock');
});

test('occurred_at: back to 2000-01-01, up to 5 minutes ahead; a bare date is midnight UTC',
     async () => {
  const { lotId } = await receiveFresh(wh, { binId: a1.id, itemId: tent.id, qty: 5 });
  const late = await moveOk(wh, { kind: 'issue', bin_id: a1.id, lot_id: lotId, qty: 1,
                                  occurred_at: '2024-07-01T03:00:00Z' });
  assert.equal(late.movement.occurred_at, '2024-07-01T03:00:00Z');
  const offset = await moveOk(wh, { kind: 'issue', bin_id: a1.id, lot_id: lotId, qty: 1,
                                    occurred_at: '2024-07-01T11:00:00+08:00' });
  assert.equal(offset.movement.occurred_at, '2024-07-01T03:00:00Z');
  const bare = await moveOk(wh, { kind: 'return', bin_id: a1.id, lot_id: lotId, qty: 1,
                                  occurred_at: '2000-01-01' });
  assert.equal(bare.movement.occurred_at, '2000-01-01T00:00:00Z');
  const soon = new Date(Date.now() + 60_000).toISOString();
  await moveOk(wh, { kind: 'issue', bin_id: a1.id, lot_id: lotId, qty: 1, occurred_at: soon });
  const before1 = await lotState(wh, lotId);
  const future = new Date(Date.now() + 3600_000).toISOString();
  expectError(await move(wh, { kind: 'issue', bin_id: a1.id, lot_id: lotId, qty: 1,
                               occurred_at: future }),
              400, ['bad_value', 'bad_date'], 'occurred_at');
  expectError(await move(wh, { kind: 'issue', bin_id: a1.id, lot_id: lotId, qty: 1,
                               occurred_at: '1999-12-31T23:59:59Z' }),
              400, ['bad_value', 'bad_date'], 'occurred_at');
  assert.deepEqual(await lotState(wh, lotId), before1);
});

test('GET /movements from/to are dates, inclusive, on occurred_at', async () => {
  const { lotId } = await receiveFresh(wh, { binId: a1.id, itemId: tent.id, qty: 10 });
  const mk = (t) => moveOk(wh, { kind: 'issue', bin_id: a1.id, lot_id: lotId, qty: 1,
                                 occurred_at: t });
  const m1 = (await mk('2024-07-01T00:00:00Z')).movement.id;
  const m2 = (await mk('2024-07-01T23:59:59Z')).movement.id;
  const m3 = (await mk('2024-07-02T00:00:00Z')).movement.id;
  const ids = async (q) => (await wh.all(`/movements?lot=${lotId}&kind=issue${q}`))
    .map((m) => m.id).sort((a, b) => a - b);
  assert.deepEqual(await ids('&from=2024-07-01&to=2024-07-01'), [m1, m2]);
  assert.deepEqual(await ids('&from=2024-07-02&to=2024-07-02'), [m3]);
  assert.deepEqual(await ids('&to=2024-06-30'), []);
  assert.deepEqual(await ids('&from=2024-07-01&to=2024-07-02'), [m1, m2, m3]);
});

test('GET /movements: filters, pagination with limit/cursor', async () => {
  const { lotId } = await receiveFresh(wh, { binId: a1.id, itemId: tent.id, qty: 50 });
  await moveOk(wh, { kind: 'receive', bin_id: a2.id, item_id: tent.id, lot_id: lotId, qty: 5 });
  for (let i = 0; i < 5; i++)
    await moveOk(wh, { kind: 'issue', bin_id: a1.id, lot_id: lotId, qty: 1 + i });
  await moveOk(wh, { kind: 'return', bin_id: a1.id, lot_id: lotId, qty: 2 });
  const all = await lotMovements(wh, lotId);
  assert.equal(all.length, 8);
  assert.ok(all.every((m) => m.lot_id === lotId));

  // newest first (docs: "the ledger in scope, newest first")
  const firstPage = await wh.get(`/movements?lot=${lotId}&limit=500`);
  const order = firstPage.json.items.map((m) => m.id);
  assert.deepEqual(order, [...order].sort((a, b) => b - a), `not newest first: ${order}`);

  // kind filter
  const issues = await wh.all(`/movements?lot=${lotId}&kind=issue`);
  assert.equal(issues.length, 5);
  assert.ok(issues.every((m) => m.kind === 'issue'));
  // bin filter
  const inA2 = await wh.all(`/movements?lot=${lotId}&bin=${a2.id}`);
  assert.equal(inA2.length, 1);
  assert.equal(inA2[0].bin_id, a2.id);
  // depot and item filters keep the lot's rows
  const byDepot = await wh.all(`/movements?lot=${lotId}&depot=${depotA.id}`);
  assert.equal(byDepot.length, 8);
  const byItem = await wh.all(`/movements?lot=${lotId}&item=${tent.id}`);
  assert.equal(byItem.length, 8);
  // depot and item filters take codes too
  assert.equal((await wh.all(`/movements?lot=${lotId}&depot=${depotA.code}`)).length, 8);
  assert.equal((await wh.all(`/movements?lot=${lotId}&item=${TENT}`)).length, 8);
  // time window
  // pages of 3: 3 + 3 + 2, no duplicates, no gaps, the last next_cursor null
  const seen = [];
  let cursor = null;
  let pages = 0;
  do {
    const r = await wh.get(`/movements?lot=${lotId}&limit=3` +
                           (cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''));
    expectStatus(r, 200);
    assert.ok(r.json.items.length <= 3, `page of ${r.json.items.length} with limit=3`);
    assert.ok('next_cursor' in r.json, 'no next_cursor key');
    seen.push(...r.json.items.map((m) => m.id));
    cursor = r.json.next_cursor;
    pages++;
    assert.ok(pages <= 4, 'too many pages');
  } while (cursor !== null);
  assert.equal(pages, 3);
  assert.equal(new Set(seen).size, seen.length, `duplicate ids across pages: ${seen}`);
  assert.deepEqual([...seen].sort(), all.map((m) => m.id).sort());

  // limit bounds
  expectError(await wh.get(`/movements?lot=${lotId}&limit=0`), 400, 'bad_query');
  expectError(await wh.get(`/movements?lot=${lotId}&limit=501`), 400, 'bad_query');
  expectError(await wh.get(`/movements?lot=${lotId}&limit=ten`), 400, 'bad_query');
  expectStatus(await wh.get(`/movements?lot=${lotId}&limit=500`), 200);
  expectError(await wh.get(`/movements?lot=${lotId}&cursor=not-a-cursor`), 400, 'bad_query');
  expectError(await wh.get(`/movements?lot=${lotId}&from=yesterday`), 400, 'bad_date', 'from');
  expectError(await wh.get(`/movements?lot=${lotId}&to=2026-02-30`), 400, 'bad_date', 'to');
});

test('POST /lots: a new lot; the same number with the same dates is the same lot', async () => {
  const lotNo = uniq('LOTS');
  const body = { item_id: tent.id, lot_no: lotNo, production_date: '2025-05-01',
                 expiry_date: '2033-04-30' };
  const r1 = await wh.post('/lots', body);
  expectStatus(r1, 201);
  const lot = unwrap(r1.json, 'lot');
  assert.equal(lot.lot_no, lotNo);
  const r2 = await wh.post('/lots', body);
  expectStatus(r2, 201);
  assert.equal(unwrap(r2.json, 'lot').id, lot.id);
  const r3 = await wh.post('/lots', { ...body, expiry_date: '2034-04-30' });
  expectError(r3, [409, 422], ['conflict', 'rule_broken']);
  // and a receipt by lot_id puts stock on it
  const m = await moveOk(wh, { kind: 'receive', bin_id: a1.id, item_id: tent.id,
                               lot_id: lot.id, qty: 2 });
  assert.equal(m.movement.lot_id, lot.id);
  // the same lot number in a receipt's lot object finds the same lot
  const m2 = await moveOk(wh, { kind: 'receive', bin_id: a1.id, item_id: tent.id, qty: 1,
                                lot: { lot_no: lotNo, production_date: '2025-05-01',
                                       expiry_date: '2033-04-30' } });
  assert.equal(m2.movement.lot_id, lot.id);
  assert.equal(await stockQty(wh, lot.id, a1.id), 3);
});

test('a filter word that does not exist is 400 bad_query, not an empty list', async () => {
  // docs/api.md: bad_query = "a query parameter is malformed"; a kind or
  // status outside the allowed words is one (the body's twin is bad_value).
  expectError(await wh.get('/movements?kind=steal'), 400, 'bad_query');
  expectError(await wh.get('/transfers?status=lost'), 400, 'bad_query');
  expectError(await wh.get('/stocktakes?status=lost'), 400, 'bad_query');
  expectError(await wh.get('/stock?format=xml'), 400, 'bad_query');
});

function parseCsv(text) {
  // Enough CSV for the test: quoted fields with "" escapes, CRLF or LF rows.
  const rows = [];
  let row = [];
  let f = '';
  let q = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (q) {
      if (c === '"' && text[i + 1] === '"') { f += '"'; i++; }
      else if (c === '"') q = false;
      else f += c;
    } else if (c === '"') q = true;
    else if (c === ',') { row.push(f); f = ''; }
    else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(f); rows.push(row); row = []; f = '';
    } else f += c;
  }
  if (f.length || row.length) { row.push(f); rows.push(row); }
  return rows;
}

test('CSV export of /movements and /stock', async () => {
  const { lotId } = await receiveFresh(wh, { binId: a1.id, itemId: tent.id, qty: 9,
                                             lotNo: uniq('CSV,"Q"') });
  await moveOk(wh, { kind: 'issue', bin_id: a1.id, lot_id: lotId, qty: 4,
                     recipient: 'site "north", gate 2' });
  const r = await wh.get(`/movements?lot=${lotId}&format=csv`);
  expectStatus(r, 200);
  assert.match(r.headers.get('content-type') || '', /^text\/csv/);
  const rows = parseCsv(r.text);
  const head = rows[0];
  for (const col of ['id', 'kind', 'qty', 'balance_after'])
    assert.ok(head.includes(col), `CSV header lacks ${col}: ${head}`);
  assert.equal(rows.length, 3, `expected header + 2 rows:\n${r.text}`);
  const ki = head.indexOf('kind');
  const bi = head.indexOf('balance_after');
  assert.deepEqual(rows.slice(1).map((x) => x[ki]).sort(), ['issue', 'receive']);
  assert.deepEqual(rows.slice(1).map((x) => Number(x[bi])).sort(), [5, 9]);
  const ri = head.indexOf('recipient');
  if (ri >= 0)
    assert.ok(rows.slice(1).some((x) => x[ri] === 'site "north", gate 2'),
              'recipient with a comma and quotes did not survive CSV quoting');

  const s = await wh.get(`/stock?lot=${lotId}&format=csv`);
  expectStatus(s, 200);
  assert.match(s.headers.get('content-type') || '', /^text\/csv/);
  const srows = parseCsv(s.text);
  assert.ok(srows[0].includes('qty'), `stock CSV header: ${srows[0]}`);
  assert.equal(srows.length, 2, `expected header + 1 row:\n${s.text}`);
  assert.equal(Number(srows[1][srows[0].indexOf('qty')]), 5);

  // Every list is exportable: the same rows as XLSX (a zip whose shared
  // strings hold the lot number), and an unknown format is refused.
  const x = await fetch(`${wh.base}/api/v1/stock?lot=${lotId}&format=xlsx`,
                        { headers: wh.authHeaders() });
  assert.equal(x.status, 200);
  assert.match(x.headers.get('content-type') || '', /spreadsheetml/);
  const buf = Buffer.from(await x.arrayBuffer());
  assert.equal(buf.subarray(0, 2).toString('latin1'), 'PK');
  const bad = await wh.get(`/stock?lot=${lotId}&format=xml`);
  expectStatus(bad, 400);
});

test('GET /stock filters', async () => {
  const { lotId } = await receiveFresh(wh, { binId: a1.id, itemId: tent.id, qty: 6 });
  await moveOk(wh, { kind: 'receive', bin_id: a2.id, item_id: tent.id, lot_id: lotId, qty: 4 });
  const rows = await wh.all(`/stock?lot=${lotId}`);
  assert.equal(rows.length, 2);
  assert.deepEqual(rows.map((x) => [x.bin_id, num(x.qty)]).sort((a, b) => a[0] - b[0]),
                   [[a1.id, 6], [a2.id, 4]].sort((a, b) => a[0] - b[0]));
  const one = await wh.all(`/stock?lot=${lotId}&bin=${a2.id}`);
  assert.equal(one.length, 1);
  assert.equal(num(one[0].qty), 4);
  assert.equal((await wh.all(`/stock?lot=${lotId}&depot=${depotA.id}`)).length, 2);
  assert.equal((await wh.all(`/stock?lot=${lotId}&item=${tent.id}`)).length, 2);
  assert.equal((await wh.all(`/stock?lot=${lotId}&expires_before=2031-06-29`)).length, 0);
  assert.equal((await wh.all(`/stock?lot=${lotId}&expires_after=2031-07-01`)).length, 0);
  assert.equal((await wh.all(`/stock?lot=${lotId}&expires_before=2031-07-01`)).length, 2);
  // emptied rows disappear unless include_zero
  await moveOk(wh, { kind: 'issue', bin_id: a2.id, lot_id: lotId, qty: 4 });
  assert.equal((await wh.all(`/stock?lot=${lotId}`)).length, 1);
  const withZero = await wh.all(`/stock?lot=${lotId}&include_zero=true`);
  assert.equal(withZero.length, 2);
  expectError(await wh.get(`/stock?expires_before=2026-02-30`), 400, 'bad_date',
              'expires_before');
  // references by code
  assert.equal((await wh.all(`/stock?lot=${lotId}&depot=${depotA.code}`)).length, 1);
  assert.equal((await wh.all(`/stock?lot=${lotId}&item=${TENT}`)).length, 1);
});
