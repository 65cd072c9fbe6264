// dispatch_race.test.mjs -- what happens when the city clicks twice, or two
// offices act on the same thing at once (docs/logistics.md, "Concurrency").
//
//  - Dispatches allocating from the same depot at the same time never
//    allocate more than it holds: the depot row lock orders them, and the
//    second sees the first's picks as reserved.
//  - Approving and cancelling one request at once: exactly one wins.
//  - Two phones confirming the same pick at once: it is picked once.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import {
  useServer, expectStatus, expectError, depot, bin, receiveFresh, sql, uniq, num,
  TOWN_A, TOWN_B, TOWN_C,
} from './lib/harness.mjs';

const h = useServer();
const TOWNS = [TOWN_A, TOWN_B, TOWN_C, '441900005', '441900006', '441900102'];

let admin, auditor, item, src, ev;

async function approvedRequest(town, qty) {
  const off = await h.login(`town-${town}`);
  let r = await off.post('/requests', { purpose: 'event', event: ev.code, lines: [{ item: item.code, qty }] });
  expectStatus(r, 201);
  const req = r.json;
  r = await auditor.post(`/requests/${req.id}/decide`, { decision: 'approve' });
  expectStatus(r, 200);
  return r.json;
}

test('setup: an item only the city depot D-441900-2 holds (30)', async () => {
  admin = await h.login('admin');
  auditor = await h.login('city-auditor');
  const r = await admin.post('/items', { code: uniq('RC').slice(0, 32), name_zh: '竞态测试物资',
                                         name_en: 'Race item', unit: '件', integral: true, tracking: 'lot' });
  expectStatus(r, 201);
  item = r.json.item ?? r.json;
  src = await depot(admin, 'D-441900-2');
  await receiveFresh(admin, { binId: bin(src, 'A-01').id, itemId: item.id, qty: 18, expiry: '2030-01-31' });
  await receiveFresh(admin, { binId: bin(src, 'A-02').id, itemId: item.id, qty: 12, expiry: '2029-01-31' });
  const e = await auditor.post('/events', { code: uniq('EV').slice(0, 30), name_zh: '竞态', kind: 'flood',
                                           started_on: '2026-06-01' });
  expectStatus(e, 201);
  ev = e.json;
});

test('concurrent dispatches from one depot never allocate more than it holds', async () => {
  // Six towns each approved for 10; the depot holds 30: exactly three win.
  const reqs = [];
  for (const town of TOWNS) reqs.push(await approvedRequest(town, 10));
  const results = await Promise.all(reqs.map((q) => auditor.post('/dispatches', {
    request_id: q.id, lines: [{ request_line_id: q.lines[0].id, depot_id: src.id, qty: 10 }] })));
  const won = results.filter((r) => r.status === 201);
  const lost = results.filter((r) => r.status !== 201);
  for (const r of lost) expectError(r, 409, 'insufficient_stock');
  assert.equal(won.length, 3, `exactly three allocations fit: ${results.map((r) => r.status)}`);
  const [[reserved]] = await sql(
    `SELECT IFNULL(SUM(qty_to_pick), 0) FROM dispatch_pick WHERE item_id = ${Number(item.id)}` +
    " AND status IN ('open', 'picked')");
  assert.equal(Number(reserved), 30);
  // Each winner's pick list: FEFO over the two lots (A-02 expires first).
  const all = won.flatMap((r) => r.json.picks);
  assert.equal(all.reduce((a, p) => a + num(p.qty_to_pick), 0), 30);
  const byBin = {};
  for (const p of all) byBin[p.bin_code] = (byBin[p.bin_code] || 0) + num(p.qty_to_pick);
  assert.deepEqual(byBin, { 'A-02': 12, 'A-01': 18 });
  // A second round with uneven sizes against what is left (nothing).
  const again = await approvedRequest(TOWN_A, 1);
  const r = await auditor.post('/dispatches', { request_id: again.id, lines: [
    { request_line_id: again.lines[0].id, depot_id: src.id, qty: 1 }] });
  expectError(r, 409, 'insufficient_stock');
  // Cancelling a dispatch releases its reservation: one more fits again.
  const victim = won[0].json;
  expectStatus(await auditor.post(`/dispatches/${victim.id}/cancel`, { reason: '改由就近调拨' }), 200);
  const after = await auditor.get(`/dispatches/${victim.id}`);
  assert.equal(after.json.status, 'cancelled');
  expectStatus(await auditor.post('/dispatches', { request_id: again.id, lines: [
    { request_line_id: again.lines[0].id, depot_id: src.id, qty: 1 }] }), 201);
  h.won = won.slice(1).map((x) => x.json);
});

test('approve and cancel at once: exactly one wins', async () => {
  const off = await h.login(`town-${TOWN_B}`);
  for (let i = 0; i < 8; i++) {
    let r = await off.post('/requests', { purpose: 'replenishment', lines: [{ item: item.code, qty: 2 }] });
    expectStatus(r, 201);
    const id = r.json.id;
    const [a, c] = await Promise.all([
      auditor.post(`/requests/${id}/decide`, { decision: 'approve' }),
      off.post(`/requests/${id}/cancel`, { reason: '不再需要' })]);
    const codes = [a.status, c.status].sort();
    assert.deepEqual(codes, [200, 409], `round ${i}: approve ${a.status}, cancel ${c.status}`);
    r = await off.get(`/requests/${id}`);
    assert.equal(r.json.status, a.status === 200 ? 'approved' : 'cancelled');
  }
});

test('two phones confirm the same pick at once: it is picked once', async () => {
  const d = h.won[0];
  const p = d.picks[0];
  const lab = await admin.post('/labels', { targets: [{ kind: 'lot', bin_id: p.bin_id, lot_id: p.lot_id }] });
  expectStatus(lab, [200, 201]);
  const code = (lab.json.labels ?? lab.json.items ?? lab.json)[0].code;
  const rs = await Promise.all([1, 2, 3].map(() =>
    admin.post(`/dispatches/${d.id}/pick`, { code, pick_id: p.id, qty: num(p.qty_to_pick) })));
  assert.equal(rs.filter((r) => r.status === 200).length, 1, rs.map((r) => `${r.status} ${r.text.slice(0, 120)}`).join('\n'));
  for (const r of rs.filter((x) => x.status !== 200)) expectError(r, [409]);
  const [[picked]] = await sql(`SELECT qty_picked FROM dispatch_pick WHERE id = ${Number(p.id)}`);
  assert.equal(Number(picked), num(p.qty_to_pick));
  // A replay of the same Idempotency-Key is applied once too.
  const key = `pick-${p.id}-replay`;
  const p2 = d.picks[1] ?? null;
  if (p2) {
    const lab2 = await admin.post('/labels', { targets: [{ kind: 'lot', bin_id: p2.bin_id, lot_id: p2.lot_id }] });
    const code2 = (lab2.json.labels ?? lab2.json.items ?? lab2.json)[0].code;
    const first = await admin.post(`/dispatches/${d.id}/pick`, { code: code2, pick_id: p2.id, qty: 1 }, { idemKey: key });
    expectStatus(first, 200);
    const second = await admin.post(`/dispatches/${d.id}/pick`, { code: code2, pick_id: p2.id, qty: 1 }, { idemKey: key });
    expectStatus(second, 200);
    const [[q2]] = await sql(`SELECT qty_picked FROM dispatch_pick WHERE id = ${Number(p2.id)}`);
    assert.equal(Number(q2), 1);
  }
});
