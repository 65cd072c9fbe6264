// purchasing.test.mjs -- suppliers, purchase orders and receipts against them
// (docs/purchasing.md).
//
// Town A's official orders tents and water from a new supplier for depot
// D-<A>; the order is sent; town A's warehouse receives part of the tents as
// a new lot (a label comes with it, printable through /label-sheets), then
// water into an existing lot by scanning its label; an over-delivery beyond
// the tolerance is refused without the flag and accepted with it; the
// official closes the order short and the missing tents are recorded as
// under-delivery.  verify-ledger passes after every stock change.  Town B's
// warehouse can neither see nor receive against town A's order; bad input is
// a 4xx that writes nothing.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';

import {
  useServer, expectStatus, expectError, item, townBin, receiveFresh, stockQty, dbSnapshot,
  verifyLedger, reliefctl, sql, uniq, API, TOWN_A, TOWN_B, TENT, WATER,
} from './lib/harness.mjs';

const h = useServer();

let admin, offA, whA, whB, offB, auditor;
let tent, water, depA, binA, binA2, binB;
let supplier, po;

async function ledgerOk(step) {
  const v = await verifyLedger();
  assert.equal(v.code, 0, `verify-ledger after ${step}:\n${v.stdout}\n${v.stderr}`);
}

async function poSnapshot() {
  const rows = await sql('SELECT (SELECT COUNT(*) FROM purchase_order),' +
    ' (SELECT COUNT(*) FROM purchase_order_line), (SELECT COUNT(*) FROM po_receipt),' +
    ' (SELECT COALESCE(SUM(qty_received), 0) FROM purchase_order_line),' +
    ' (SELECT COUNT(*) FROM label), (SELECT COUNT(*) FROM supplier)');
  return { base: await dbSnapshot(), po: rows[0] };
}

const line = (o, code) => o.lines.find((l) => l.item_code === code);

before(async () => {
  admin = await h.login('admin');
  auditor = await h.login('city-auditor');
  offA = await h.login(`town-${TOWN_A}`);
  offB = await h.login(`town-${TOWN_B}`);
  whA = await h.login(`wh-${TOWN_A}`);
  whB = await h.login(`wh-${TOWN_B}`);
  tent = await item(admin, TENT);
  water = await item(admin, WATER);
  ({ depot: depA, bin: binA } = await townBin(whA, TOWN_A, 'A-01'));
  ({ bin: binA2 } = await townBin(whA, TOWN_A, 'A-02'));
  ({ bin: binB } = await townBin(whB, TOWN_B, 'A-01'));
});

test('suppliers: create, list, item lead time, roles', async () => {
  const code = uniq('SUP');
  let r = await offA.post('/suppliers', { code, name: '测试供应商 test supplier',
                                          contact: '0769-1234', lead_time_days: 10 });
  expectStatus(r, 201);
  supplier = r.json;
  assert.equal(supplier.code, code);
  assert.equal(supplier.lead_time_days, 10);

  expectError(await offA.post('/suppliers', { code, name: 'again' }), 409, 'conflict', 'code');
  expectError(await whA.post('/suppliers', { code: uniq('SUP'), name: 'x' }), 403);
  expectError(await offA.post('/suppliers', { code: uniq('SUP'), name: 'x', lead_time_days: -1 }),
              400, 'bad_value', 'lead_time_days');

  r = await offA.put(`/suppliers/${supplier.id}/items/${TENT}`, { lead_time_days: 25,
                                                                  unit_price: 880 });
  expectStatus(r, 200);
  const si = r.json.items.find((x) => x.item_code === TENT);
  assert.equal(si.effective_lead_time_days, 25);
  r = await offA.patch(`/suppliers/${code}`, { lead_time_days: 12 });
  expectStatus(r, 200);
  assert.equal(r.json.lead_time_days, 12);
  assert.equal(r.json.items.find((x) => x.item_code === TENT).effective_lead_time_days, 25);

  const all = await auditor.all(`/suppliers?q=${encodeURIComponent(code)}`);
  assert.equal(all.length, 1);
  const csv = await auditor.get(`/suppliers?format=csv&q=${encodeURIComponent(code)}`);
  expectStatus(csv, 200);
  assert.match(csv.text, new RegExp(`^id,code,name`));
  assert.ok(csv.text.includes(code));

  const cli = await reliefctl(['suppliers', 'list', '--format', 'csv']);
  assert.equal(cli.code, 0, cli.stderr);
  assert.ok(cli.stdout.includes(code), 'reliefctl suppliers list shows the new supplier');
});

test('purchase order: create as a draft, order with lead-time expected date', async () => {
  const before = await poSnapshot();
  // Bad input writes nothing: a line with a fractional tent, an unknown item, no lines.
  expectError(await offA.post('/purchase-orders', {
    supplier_id: supplier.id, depot_id: depA.id,
    lines: [{ item_id: water.id, qty: 100 }, { item_id: tent.id, qty: 2.5 }],
  }), 400, 'bad_quantity');
  expectError(await offA.post('/purchase-orders', {
    supplier_id: supplier.id, depot_id: depA.id, lines: [{ item_id: 99999999, qty: 1 }],
  }), 422, 'unknown_reference');
  expectError(await offA.post('/purchase-orders', {
    supplier_id: supplier.id, depot_id: depA.id, lines: [],
  }), 400, 'bad_value', 'lines');
  // Town B's official cannot order for town A's depot.
  expectError(await offB.post('/purchase-orders', {
    supplier_id: supplier.id, depot_id: depA.id, lines: [{ item_id: tent.id, qty: 1 }],
  }), 403);
  assert.deepEqual(await poSnapshot(), before, 'refused orders wrote nothing');

  const r = await offA.post('/purchase-orders', {
    supplier_id: supplier.id, depot_id: depA.id, over_tolerance_pct: 5, note: 'pre-season',
    lines: [{ item_id: tent.id, qty: 20 }, { item_id: water.id, qty: 500 }],
  });
  expectStatus(r, 201);
  po = r.json;
  assert.match(po.code, /^PO-\d{4}-\d{5}$/);
  assert.equal(po.status, 'draft');
  assert.equal(Number(line(po, TENT).unit_cost), 880, 'cost defaults to the supplier price');

  // Nothing can be received against a draft.
  expectError(await whA.post(`/purchase-orders/${po.id}/receipts`, {
    line_id: line(po, TENT).id, bin_id: binA.id, qty: 1, lot: { lot_no: uniq('L') },
  }), 409, 'conflict');

  const o = await offA.post(`/purchase-orders/${po.code}/order`);
  expectStatus(o, 200);
  assert.equal(o.json.status, 'ordered');
  // The longest lead time of its lines: the tent's own 25 days.
  const [[days]] = await sql(`SELECT DATEDIFF(expected_date, ordered_on) FROM purchase_order
                              WHERE id = ${po.id}`);
  assert.equal(Number(days), 25);
  expectError(await offA.post(`/purchase-orders/${po.id}/order`), 409, 'conflict');

  const open = await offA.all('/purchase-orders?open=true');
  assert.ok(open.some((x) => x.id === po.id));
  const cli = await reliefctl(['po', 'list', '--status', 'ordered']);
  assert.equal(cli.code, 0, cli.stderr);
  assert.ok(JSON.parse(cli.stdout).items.some((x) => x.code === po.code));
});

test('scope: another town cannot see or receive against the order', async () => {
  const before = await poSnapshot();
  expectError(await whB.get(`/purchase-orders/${po.id}`), 403);
  const listB = await whB.all('/purchase-orders');
  assert.ok(!listB.some((x) => x.id === po.id), "town B's list leaves town A's order out");
  expectError(await whB.post(`/purchase-orders/${po.id}/receipts`, {
    line_id: line(po, TENT).id, bin_id: binB.id, qty: 1, lot: { lot_no: uniq('L') },
  }), 403);
  // Town A's own warehouse, but into a bin of another depot.
  expectError(await whA.post(`/purchase-orders/${po.id}/receipts`, {
    line_id: line(po, TENT).id, bin_id: binB.id, qty: 1, lot: { lot_no: uniq('L') },
  }), 422, 'rule_broken', 'bin_id');
  expectError(await auditor.post(`/purchase-orders/${po.id}/receipts`, {
    line_id: line(po, TENT).id, bin_id: binA.id, qty: 1, lot: { lot_no: uniq('L') },
  }), 403);
  assert.deepEqual(await poSnapshot(), before, 'refused receipts wrote nothing');
});

test('receipts: a new lot with its label, a scanned lot label, over-delivery', async () => {
  const tentLine = line(po, TENT), waterLine = line(po, WATER);
  const lotNo = uniq('TENT');
  const before = await poSnapshot();
  // Bad input: wrong line, lot of another item, missing lot for a lot item,
  // expiry before production, no Idempotency-Key.
  expectError(await whA.post(`/purchase-orders/${po.id}/receipts`, {
    line_id: 99999999, bin_id: binA.id, qty: 1, lot: { lot_no: lotNo },
  }), 422, 'unknown_reference', 'line_id');
  expectError(await whA.post(`/purchase-orders/${po.id}/receipts`, {
    line_id: tentLine.id, bin_id: binA.id, qty: 1,
  }), 400, 'missing_field', 'lot');
  expectError(await whA.post(`/purchase-orders/${po.id}/receipts`, {
    line_id: tentLine.id, bin_id: binA.id, qty: 1,
    lot: { lot_no: lotNo, production_date: '2026-05-01', expiry_date: '2026-01-01' },
  }), 400, 'bad_date');
  expectError(await whA.post(`/purchase-orders/${po.id}/receipts`, {
    line_id: tentLine.id, bin_id: binA.id, qty: 1, lot: { lot_no: lotNo },
  }, { idemKey: null }), 400, 'missing_idempotency_key');
  expectError(await whA.post(`/purchase-orders/${po.id}/receipts`, {
    line_id: tentLine.id, bin_id: binA.id, qty: 0.5, lot: { lot_no: lotNo },
  }), 400, 'bad_quantity');
  assert.deepEqual(await poSnapshot(), before, 'refused receipts wrote nothing');

  // 12 of 20 tents as a new lot.
  const key = `po-receipt-${lotNo}`;
  const body = {
    line_id: tentLine.id, bin_id: binA.id, qty: 12,
    lot: { lot_no: lotNo, production_date: '2026-03-01', expiry_date: '2034-02-28' },
  };
  let r = await whA.post(`/purchase-orders/${po.id}/receipts`, body, { idemKey: key });
  expectStatus(r, 201);
  assert.equal(r.json.status, 'partially_received');
  assert.equal(Number(line(r.json, TENT).qty_received), 12);
  assert.equal(r.json.labels.length, 1);
  const label = r.json.labels[0];
  assert.equal(label.created, true, 'a label was made for the new lot');
  assert.deepEqual(r.json.print.body.codes, [label.code]);
  assert.equal(r.json.print.href, '/api/v1/label-sheets');
  const lotId = r.json.receipt.lot_id;
  const mv = r.json.receipt.movement_id;
  // The retry answers the same, and posts nothing more.
  const again = await whA.post(`/purchase-orders/${po.id}/receipts`, body, { idemKey: key });
  expectStatus(again, 201);
  assert.equal(again.json.receipt.movement_id, mv);
  assert.equal(await stockQty(whA, lotId, binA.id), 12);
  const m = await whA.get(`/movements/${mv}`);
  expectStatus(m, 200);
  assert.equal(m.json.kind, 'receive');
  assert.equal(m.json.reference, po.code);
  const [lotRow] = await sql(`SELECT production_date, expiry_date, supplier FROM lot
                               WHERE id = ${lotId}`);
  assert.deepEqual(lotRow, ['2026-03-01', '2034-02-28', supplier.name],
                   'the new lot has its dates, and the supplier by default');
  // The label is a real lot label of that bin and lot, and prints.
  const lg = await whA.get(`/labels/${label.code}`);
  expectStatus(lg, 200);
  const sheet = await fetch(`${whA.base}${API}/label-sheets`, {
    method: 'POST', headers: { ...whA.authHeaders(), 'Content-Type': 'application/json',
                               'X-Requested-With': 'ReliefStock' },
    body: JSON.stringify(r.json.print.body),
  });
  assert.equal(sheet.status, 200);
  assert.match(sheet.headers.get('content-type'), /pdf/);
  await sheet.arrayBuffer();
  await ledgerOk('the first receipt');

  // Water into an existing lot, by scanning that lot's label in another bin.
  const { lotId: wLot } = await receiveFresh(whA, { binId: binA2.id, itemId: water.id, qty: 10 });
  const wl = await whA.post('/labels', { targets: [{ kind: 'lot', bin_id: binA2.id,
                                                     lot_id: wLot }] });
  expectStatus(wl, [200, 201]);
  const wCode = (wl.json.labels ?? wl.json.items ?? wl.json)[0].code;
  // A tent lot label on the water line is refused.
  expectError(await whA.post(`/purchase-orders/${po.id}/receipts`, {
    line_id: waterLine.id, bin_id: binA2.id, qty: 100, label_code: label.code,
  }), 422, 'rule_broken', 'label_code');
  r = await whA.post(`/purchase-orders/${po.id}/receipts`, {
    line_id: waterLine.id, bin_id: binA2.id, qty: 500, label_code: wCode,
  });
  expectStatus(r, 201);
  assert.equal(r.json.receipt.lot_id, wLot);
  assert.equal(r.json.labels[0].code, wCode, 'the existing label of (bin, lot) is reused');
  assert.equal(r.json.labels[0].created, false);
  assert.equal(await stockQty(whA, wLot, binA2.id), 510);
  assert.equal(Number(line(r.json, WATER).closed), 1, 'water line fully received');

  // Over-delivery: the water line is complete; 25 L more (5 % tolerance) is
  // within it, but the line is closed, so the flag is needed.
  const snap = await poSnapshot();
  expectError(await whA.post(`/purchase-orders/${po.id}/receipts`, {
    line_id: waterLine.id, bin_id: binA2.id, qty: 20, lot_id: wLot,
  }), 409, 'line_closed');
  // Tents: 12 + 10 = 22 of 20 is beyond 5 % (21).
  const over = expectError(await whA.post(`/purchase-orders/${po.id}/receipts`, {
    line_id: tentLine.id, bin_id: binA.id, qty: 10, lot_id: lotId,
  }), 409, 'over_delivery', 'qty');
  assert.match(over.message, /22 of 20/);
  assert.deepEqual(await poSnapshot(), snap, 'a refused over-delivery wrote nothing');
  // 12 + 1 = 13: within the order, fine without the flag.
  r = await whA.post(`/purchase-orders/${po.id}/receipts`, {
    line_id: tentLine.id, bin_id: binA.id, qty: 1, lot_id: lotId,
  });
  expectStatus(r, 201);
  assert.equal(r.json.receipt.over_delivery, false);
  await ledgerOk('receipts');
});

test('over-delivery with the flag is recorded', async () => {
  // A separate small order: 2 tents, 3 delivered with the flag.
  let r = await offA.post('/purchase-orders', {
    supplier_id: supplier.id, depot_id: depA.id, lines: [{ item_id: tent.id, qty: 2 }],
  });
  expectStatus(r, 201);
  const small = r.json;
  expectStatus(await offA.post(`/purchase-orders/${small.id}/order`), 200);
  const body = { line_id: small.lines[0].id, bin_id: binA.id, qty: 3,
                 lot: { lot_no: uniq('OVER'), expiry_date: '2035-01-01' } };
  expectError(await whA.post(`/purchase-orders/${small.id}/receipts`, body), 409, 'over_delivery');
  r = await whA.post(`/purchase-orders/${small.id}/receipts`,
                     { ...body, accept_over_delivery: true });
  expectStatus(r, 201);
  assert.equal(r.json.status, 'received');
  assert.equal(r.json.receipt.over_delivery, true);
  assert.equal(r.json.receipts[0].over_delivery, 1);
  // Received orders close without a reason; cancelling is refused.
  expectError(await offA.post(`/purchase-orders/${small.id}/cancel`, { reason: 'x' }), 409);
  r = await offA.post(`/purchase-orders/${small.id}/close`);
  expectStatus(r, 200);
  assert.equal(r.json.status, 'closed');
  assert.equal(Number(r.json.lines[0].qty_short), 0);
  await ledgerOk('over-delivery');
});

test('close short records the under-delivery; a draft can be cancelled', async () => {
  expectError(await whA.post(`/purchase-orders/${po.id}/close`, { reason: 'x' }), 403);
  expectError(await offA.post(`/purchase-orders/${po.id}/close`), 400, 'missing_field', 'reason');
  let r = await offA.post(`/purchase-orders/${po.id}/close`,
                          { reason: 'supplier out of stock: 7 tents not coming' });
  expectStatus(r, 200);
  assert.equal(r.json.status, 'closed');
  const t = line(r.json, TENT);
  assert.equal(Number(t.qty_short), 7);
  assert.equal(Number(t.closed), 1);
  const tentReceipts = r.json.receipts.filter((x) => x.item_code === TENT);
  assert.equal(tentReceipts.at(-1).under_delivery, 1, 'the last tent receipt is marked short');
  assert.equal(tentReceipts[0].under_delivery, 0);
  // Nothing more can be received, and the order is no longer open.
  expectError(await whA.post(`/purchase-orders/${po.id}/receipts`, {
    line_id: t.id, bin_id: binA.id, qty: 1, lot: { lot_no: uniq('L') },
  }), 409, 'conflict');
  const open = await offA.all('/purchase-orders?open=true');
  assert.ok(!open.some((x) => x.id === po.id));
  const [[ev]] = await sql(`SELECT COUNT(*) FROM audit_event WHERE object_type = 'purchase_order'
                            AND object_id = '${po.id}'`);
  assert.ok(Number(ev) >= 5, 'create, order, receipts and close are audited');

  r = await offA.post('/purchase-orders', {
    supplier_id: supplier.id, depot_id: depA.id, lines: [{ item_id: water.id, qty: 5 }],
  });
  expectStatus(r, 201);
  expectError(await offA.post(`/purchase-orders/${r.json.id}/cancel`), 400, 'missing_field', 'reason');
  const c = await offA.post(`/purchase-orders/${r.json.id}/cancel`, { reason: 'duplicate' });
  expectStatus(c, 200);
  assert.equal(c.json.status, 'cancelled');

  // The list exports as CSV and XLSX.
  const csv = await offA.get(`/purchase-orders?format=csv&supplier=${supplier.code}`);
  expectStatus(csv, 200);
  assert.equal(csv.text.trim().split('\n').length, 4, 'header + 3 orders');
  const x = await fetch(`${offA.base}${API}/purchase-orders?format=xlsx`,
                        { headers: offA.authHeaders() });
  assert.equal(x.status, 200);
  const buf = Buffer.from(await x.arrayBuffer());
  assert.equal(buf.subarray(0, 2).toString(), 'PK');
  await ledgerOk('closing');
});

test('two receipts at once never take a line beyond its tolerance', async () => {
  // 10 ordered, no tolerance: two receipts of 6 at the same moment -- the
  // order row lock serialises them, the second finds 6 in and is refused.
  let r = await offA.post('/purchase-orders', {
    supplier_id: supplier.id, depot_id: depA.id, lines: [{ item_id: tent.id, qty: 10 }],
  });
  expectStatus(r, 201);
  const o = r.json;
  expectStatus(await offA.post(`/purchase-orders/${o.id}/order`), 200);
  const lotNo = uniq('RACE');
  const body = { line_id: o.lines[0].id, bin_id: binA.id, qty: 6,
                 lot: { lot_no: lotNo, expiry_date: '2035-06-30' } };
  const [a, b] = await Promise.all([
    whA.post(`/purchase-orders/${o.id}/receipts`, body),
    offA.post(`/purchase-orders/${o.id}/receipts`, body),
  ]);
  assert.deepEqual([a.status, b.status].sort(), [201, 409], `${a.text} / ${b.text}`);
  const [[received, receipts]] = await sql(`SELECT l.qty_received, (SELECT COUNT(*) FROM po_receipt
    WHERE po_line_id = l.id) FROM purchase_order_line l WHERE l.po_id = ${o.id}`);
  assert.equal(Number(received), 6);
  assert.equal(Number(receipts), 1);
  await ledgerOk('concurrent receipts');
});
