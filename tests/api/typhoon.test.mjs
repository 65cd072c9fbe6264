// typhoon.test.mjs -- a typhoon, end to end (docs/logistics.md): the city
// records the event; two towns ask; the city refuses one and approves the
// other in part; the suggestion allocates from two depots by the rules
// (surplus first, nearest first, never below a source's standard without an
// override); the sources pick by scanning (a quarantined lot and a wrong item
// refused, naming what the list wants), ship in parts; the destination
// receives in parts with one damaged carton and a short; the dispatch closes
// and the request is fulfilled.  After every step `reliefctl verify-ledger`
// passes and the quantity in transit equals shipped - received - written off,
// both from the API and from the transfer rows themselves.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import {
  useServer, expectStatus, expectError, item, depot, bin, receiveFresh, sql, verifyLedger,
  reliefctl, uniq, num, API, TOWN_A, TOWN_B, TENT,
} from './lib/harness.mjs';

const h = useServer();
const TOWN_S = '441900102'; // 石龙镇, the nearest neighbour of 石碣镇 (TOWN_A)

let admin, auditor, offA, offB, whA, whS, whB;
let ev, newItem, depA, depS, depC1, tent;
let lots = {}; // name -> {lotId, lotNo, label}
let reqA, reqB, dispatch;

function km(a, b) {
  const r = Math.PI / 180;
  const dl = (b.lat - a.lat) * r, dn = (b.lon - a.lon) * r;
  const x = Math.sin(dl / 2) ** 2 + Math.cos(a.lat * r) * Math.cos(b.lat * r) * Math.sin(dn / 2) ** 2;
  return 2 * 6371.0088 * Math.asin(Math.sqrt(x));
}

async function labelOf(client, binId, lotId) {
  const r = await client.post('/labels', { targets: [{ kind: 'lot', bin_id: binId, lot_id: lotId }] });
  expectStatus(r, [200, 201]);
  const l = (r.json.labels ?? r.json.items ?? r.json)[0];
  assert.ok(l?.code, `no label code in ${r.text.slice(0, 300)}`);
  return l.code;
}

// The invariants after a step: the ledger verifies, and per pick the
// transfer's in-transit quantity is shipped - received - lost (API and rows).
async function invariants(step) {
  const v = await verifyLedger();
  assert.equal(v.code, 0, `verify-ledger after ${step}:\n${v.stdout}\n${v.stderr}`);
  if (!dispatch) return;
  const r = await auditor.get(`/dispatches/${dispatch.id}`);
  expectStatus(r, 200);
  const d = r.json;
  assert.equal(num(d.qty_in_transit),
               num(d.qty_shipped) - num(d.qty_received) - num(d.qty_short),
               `${step}: in transit != shipped - received - short`);
  for (const p of d.picks) {
    assert.equal(num(p.qty_in_transit),
                 p.transfer_id ? num(p.qty_shipped) - num(p.qty_received) - num(p.qty_short) : 0,
                 `${step}: pick ${p.id}`);
  }
  const rows = await sql(
    'SELECT IFNULL(SUM(t.qty_shipped - t.qty_received - t.qty_lost), 0),' +
    ' IFNULL(SUM(t.qty_shipped), 0), IFNULL(SUM(t.qty_received), 0), IFNULL(SUM(t.qty_lost), 0)' +
    ` FROM dispatch_pick p JOIN transfer t ON t.id = p.transfer_id WHERE p.dispatch_id = ${Number(dispatch.id)}`);
  const [transit, shipped, received, lost] = rows[0].map(Number);
  assert.equal(transit, shipped - received - lost, `${step}: transfer rows`);
  assert.equal(transit, num(d.qty_in_transit), `${step}: API and rows agree`);
  return d;
}

test('setup: users, a fresh item held in known places', async () => {
  admin = await h.login('admin');
  auditor = await h.login('city-auditor');
  offA = await h.login(`town-${TOWN_A}`);
  offB = await h.login(`town-${TOWN_B}`);
  whA = await h.login(`wh-${TOWN_A}`);
  whS = await h.login(`wh-${TOWN_S}`);
  whB = await h.login(`wh-${TOWN_B}`);
  tent = await item(admin, TENT);
  // An item no standard names: every town's free stock of it is surplus,
  // so the allocation is known exactly from what the test puts where.
  const code = uniq('TY');
  const r = await admin.post('/items', { code: code.slice(0, 32), name_zh: '防汛沙袋（测试）',
                                         name_en: 'Test sandbag', unit: '个', integral: true,
                                         tracking: 'lot' });
  expectStatus(r, 201);
  newItem = r.json.item ?? r.json;
  depA = await depot(admin, `D-${TOWN_A}`);
  depS = await depot(admin, `D-${TOWN_S}`);
  depC1 = await depot(admin, 'D-441900-1');
  // Source S (nearest): lot S1 expires first, then S2; SQ expires earliest
  // but is quarantined, so it must never be on a pick list.
  lots.S1 = await receiveFresh(whS, { binId: bin(depS, 'A-01').id, itemId: newItem.id, qty: 20, expiry: '2027-03-31' });
  lots.S2 = await receiveFresh(whS, { binId: bin(depS, 'A-02').id, itemId: newItem.id, qty: 20, expiry: '2028-03-31' });
  lots.SQ = await receiveFresh(whS, { binId: bin(depS, 'A-03').id, itemId: newItem.id, qty: 10, expiry: '2026-12-31' });
  await sql(`UPDATE lot SET quarantined = 1 WHERE id = ${Number(lots.SQ.lotId)}`);
  // The city depot, farther away.
  lots.C1 = await receiveFresh(admin, { binId: bin(depC1, 'A-01').id, itemId: newItem.id, qty: 50, expiry: '2029-06-30' });
  for (const [name, l] of Object.entries(lots)) {
    const dep = name.startsWith('S') ? depS : depC1;
    const b = { S1: 'A-01', S2: 'A-02', SQ: 'A-03', C1: 'A-01' }[name];
    l.label = await labelOf(admin, bin(dep, b).id, l.lotId);
  }
  assert.ok(km(depA, depS) < km(depA, depC1), 'S is nearer to A than the city depot');
  await invariants('setup');
});

test('the city records a typhoon; bad input writes nothing', async () => {
  const code = uniq('TY').slice(0, 30);
  let r = await offA.post('/events', { code, name_zh: '台风', kind: 'typhoon', started_on: '2026-09-01' });
  expectError(r, 403);
  r = await auditor.post('/events', { code, name_zh: '台风', kind: 'hurricane', started_on: '2026-09-01' });
  expectError(r, 400, 'bad_value', 'kind');
  r = await auditor.post('/events', { code, name_zh: '台风', kind: 'typhoon', started_on: '2026-09-01',
                                      ended_on: '2026-08-01' });
  expectError(r, 422, 'rule_broken', 'ended_on');
  const n = await sql(`SELECT COUNT(*) FROM emergency_event WHERE code = '${code}'`);
  assert.equal(n[0][0], '0');
  r = await auditor.post('/events', { code, name_zh: '台风“山竹”', name_en: 'Typhoon Mangkhut',
                                      kind: 'typhoon', started_on: '2026-09-15',
                                      places: [TOWN_A, TOWN_B] });
  expectStatus(r, 201);
  ev = r.json;
  assert.equal(ev.status, 'active');
  assert.deepEqual(ev.places.map((p) => p.code).sort(), [TOWN_A, TOWN_B].sort());
  r = await auditor.post('/events', { code, name_zh: 'x', kind: 'flood', started_on: '2026-09-01' });
  expectError(r, 409);
  r = await offB.get(`/events/${code}`);
  expectStatus(r, 200);
  r = await offB.get('/events?status=active');
  expectStatus(r, 200);
  assert.ok(r.json.items.some((e) => e.code === code));
});

test('two towns ask; the city refuses one and approves the other in part', async () => {
  const before = await sql('SELECT COUNT(*) FROM supply_request');
  let r = await offA.post('/requests', { purpose: 'event', event: ev.code,
                                         lines: [{ item: 'NO-SUCH-ITEM', qty: 1 }] });
  expectError(r, 422, 'unknown_reference');
  r = await offA.post('/requests', { purpose: 'event', lines: [{ item: newItem.code, qty: 1 }] });
  expectError(r, 400, 'missing_field', 'event');
  r = await offA.post('/requests', { purpose: 'event', event: ev.code,
                                     lines: [{ item: newItem.code, qty: 1.5 }] });
  expectError(r, 400, 'bad_quantity');
  // A town asks only for itself.
  r = await offA.post('/requests', { org_unit: TOWN_B, purpose: 'event', event: ev.code,
                                     lines: [{ item: newItem.code, qty: 1 }] });
  expectError(r, 403);
  assert.deepEqual(await sql('SELECT COUNT(*) FROM supply_request'), before, 'nothing written');

  r = await offA.post('/requests', { purpose: 'event', event: ev.code, reason: '石碣镇内涝，安置点需要',
                                     lines: [{ item: newItem.code, qty: 70 }, { item: TENT, qty: 3 }] });
  expectStatus(r, 201);
  reqA = r.json;
  assert.equal(reqA.status, 'submitted');
  assert.equal(reqA.to_depot_code, `D-${TOWN_A}`);
  r = await offB.post('/requests', { purpose: 'event', event: ev.code, draft: true,
                                     lines: [{ item: newItem.code, qty: 30 }] });
  expectStatus(r, 201);
  reqB = r.json;
  assert.equal(reqB.status, 'draft');
  r = await auditor.post(`/requests/${reqB.id}/decide`, { decision: 'approve' });
  expectError(r, 409);
  r = await offB.post(`/requests/${reqB.id}/submit`);
  expectStatus(r, 200);
  assert.equal(r.json.status, 'submitted');
  expectError(await offB.post(`/requests/${reqB.id}/submit`), 409);
  r = await auditor.get(`/requests?event=${ev.code}&status=submitted`);
  expectStatus(r, 200);
  assert.deepEqual(r.json.items.map((x) => x.id).sort(), [reqA.id, reqB.id].sort());
  r = await offA.get(`/requests?event=${ev.code}`);
  assert.deepEqual(r.json.items.map((x) => x.id), [reqA.id], 'a town lists its own requests');
  r = await auditor.get(`/requests?event=${ev.code}&format=csv`);
  expectStatus(r, 200);
  assert.match(r.headers.get('content-type'), /text\/csv/);

  // Town A cannot decide, nor see B's request.
  r = await offA.post(`/requests/${reqA.id}/decide`, { decision: 'approve' });
  expectError(r, 403);
  r = await offA.get(`/requests/${reqB.id}`);
  expectError(r, 403);
  r = await auditor.post(`/requests/${reqB.id}/decide`, { decision: 'refuse' });
  expectError(r, 400, 'missing_field', 'reason');
  r = await auditor.post(`/requests/${reqB.id}/decide`, { decision: 'refuse', reason: '东城库存充足，自行调配' });
  expectStatus(r, 200);
  assert.equal(r.json.status, 'refused');
  r = await offB.post(`/requests/${reqB.id}/cancel`, {});
  expectError(r, 409);

  const lineNew = reqA.lines.find((l) => l.item_code === newItem.code);
  const lineTent = reqA.lines.find((l) => l.item_code === TENT);
  r = await auditor.post(`/requests/${reqA.id}/decide`, {
    decision: 'approve', reason: '先调拨60个',
    lines: [{ line_id: lineNew.id, qty_approved: 71 }] });
  expectError(r, 422, 'rule_broken');
  r = await auditor.post(`/requests/${reqA.id}/decide`, {
    decision: 'approve', reason: '先调拨60个',
    lines: [{ line_id: lineNew.id, qty_approved: 60 }, { line_id: lineTent.id, qty_approved: 2 }] });
  expectStatus(r, 200);
  reqA = r.json;
  assert.equal(reqA.status, 'partially_approved');
  assert.equal(num(reqA.lines.find((l) => l.item_code === newItem.code).qty_approved), 60);
  r = await auditor.post(`/requests/${reqA.id}/decide`, { decision: 'approve' });
  expectError(r, 409);
  await invariants('decide');
});

test('the suggestion: surplus first, nearest first, never below a standard', async () => {
  let r = await offA.get(`/requests/${reqA.id}/suggest`);
  expectError(r, 403);
  r = await auditor.get(`/requests/${reqA.id}/suggest`);
  expectStatus(r, 200);
  const lineNew = r.json.lines.find((l) => l.item_code === newItem.code);
  assert.equal(num(lineNew.qty_open), 60);
  // The fresh item is held only where the test put it: S (40 usable; the
  // quarantined lot does not count), then the city depot.
  assert.deepEqual(lineNew.suggested.map((s) => [s.depot_code, num(s.qty)]),
                   [[depS.code, 40], [depC1.code, 20]]);
  assert.equal(num(lineNew.shortfall), 0);
  const cS = lineNew.candidates.find((c) => c.depot_code === depS.code);
  assert.equal(num(cS.free), 40);
  assert.ok(Math.abs(num(cS.distance_km) - km(depA, depS)) < 0.05, 'haversine distance');

  // Tents are in the standard: for every candidate the suggestion never
  // takes more than its surplus, and surplus holders come first, nearest first.
  const lineTent = r.json.lines.find((l) => l.item_code === TENT);
  const cands = lineTent.candidates;
  for (const s of lineTent.suggested) {
    const c = cands.find((x) => x.depot_id === s.depot_id);
    assert.ok(num(s.qty) <= num(c.surplus), `${c.depot_code}: ${s.qty} > surplus ${c.surplus}`);
  }
  for (let i = 1; i < cands.length; i++) {
    const a = cands[i - 1], b = cands[i];
    const ra = num(a.surplus) > 0 ? 0 : 1, rb = num(b.surplus) > 0 ? 0 : 1;
    assert.ok(ra < rb || (ra === rb && num(a.distance_km) <= num(b.distance_km)),
              `order: ${a.depot_code} before ${b.depot_code}`);
  }
  for (const c of cands) {
    if (c.has_standard)
      assert.equal(num(c.surplus),
                   Math.max(0, Math.min(num(c.free), num(c.usable) - num(c.required) - num(c.reserved_in_town))),
                   `surplus of ${c.depot_code}`);
  }
  lineNew.tentCandidates = cands;
  h.suggest = r.json;
});

test('allocation: rules enforced, then a dispatch from two depots with FEFO pick lists', async () => {
  const s = h.suggest;
  const lineNew = s.lines.find((l) => l.item_code === newItem.code);
  const lineTent = s.lines.find((l) => l.item_code === TENT);
  const before = await sql('SELECT COUNT(*), (SELECT COUNT(*) FROM dispatch_pick) FROM dispatch');

  let r = await auditor.post('/dispatches', { request_id: reqA.id, lines: [
    { request_line_id: lineNew.line_id, depot_id: depS.id, qty: 41 }] });
  expectError(r, [409], 'insufficient_stock');
  r = await auditor.post('/dispatches', { request_id: reqA.id, lines: [
    { request_line_id: lineNew.line_id, depot_id: depC1.id, qty: 61 }] });
  expectError(r, 422, 'over_allocation');
  r = await auditor.post('/dispatches', { request_id: reqA.id, lines: [
    { request_line_id: lineNew.line_id, depot_id: depA.id, qty: 1 }] });
  expectError(r, 422, 'rule_broken');
  r = await whS.post('/dispatches', { request_id: reqA.id, lines: [
    { request_line_id: lineNew.line_id, depot_id: depS.id, qty: 1 }] });
  expectError(r, 403);
  // Tents from a town holding no surplus of them: refused without an override.
  const poor = lineTent.candidates.find((c) => c.has_standard && num(c.surplus) === 0 && num(c.free) >= 2);
  assert.ok(poor, 'the demo city has a town holding tents but none above its standard');
  if (poor) {
    const qty = num(poor.surplus) + 1;
    r = await auditor.post('/dispatches', { request_id: reqA.id, lines: [
      { request_line_id: lineTent.line_id, depot_id: poor.depot_id, qty }] });
    expectError(r, 422, 'below_standard');
  }
  assert.deepEqual(await sql('SELECT COUNT(*), (SELECT COUNT(*) FROM dispatch_pick) FROM dispatch'),
                   before, 'refused allocations write nothing');

  const lines = lineNew.suggested.map((x) => ({ request_line_id: x.request_line_id,
                                                 depot_id: x.depot_id, qty: num(x.qty) }));
  if (poor) lines.push({ request_line_id: lineTent.line_id, depot_id: poor.depot_id,
                         qty: 2, override_reason: '灾区急需，市级批准临时低于标准' });
  r = await auditor.post('/dispatches', { request_id: reqA.id, note: '台风调拨', lines });
  expectStatus(r, 201);
  dispatch = r.json;
  assert.equal(dispatch.status, 'allocated');
  assert.equal(dispatch.event_code, ev.code);
  if (poor) {
    const ov = dispatch.lines.find((l) => l.item_code === TENT);
    assert.equal(ov.below_standard_override, 1);
    assert.match(ov.override_reason, /低于标准/);
    assert.ok(ov.override_by_name);
  }
  const picksS = dispatch.picks.filter((p) => p.depot_code === depS.code);
  // FEFO: S1 (2027) before S2 (2028); the quarantined SQ never.
  assert.deepEqual(picksS.map((p) => [p.lot_no, p.bin_code, num(p.qty_to_pick)]),
                   [[lots.S1.lotNo, 'A-01', 20], [lots.S2.lotNo, 'A-02', 20]]);
  const picksC = dispatch.picks.filter((p) => p.depot_code === depC1.code);
  assert.deepEqual(picksC.map((p) => [p.lot_no, num(p.qty_to_pick)]), [[lots.C1.lotNo, 20]]);
  // What is allocated is reserved: the suggestion now has nothing left of S.
  r = await auditor.get(`/requests/${reqA.id}/suggest`);
  expectStatus(r, 200);
  const again = r.json.lines.find((l) => l.item_code === newItem.code);
  assert.equal(num(again.qty_open), 0);
  assert.ok(!again.candidates.some((c) => c.depot_code === depS.code), 'S has nothing free');
  // Both sides and the city see the dispatch.
  for (const c of [offA, whA, whS, auditor]) expectStatus(await c.get(`/dispatches/${dispatch.id}`), 200);
  expectError(await offB.get(`/dispatches/${dispatch.id}`), 403);
  r = await auditor.get(`/dispatches?depot=${depS.code}&status=allocated`);
  expectStatus(r, 200);
  assert.ok(r.json.items.some((x) => x.id === dispatch.id), 'found by its source depot');
  r = await auditor.get(`/dispatches?depot=${depA.code}&event=${ev.code}`);
  assert.ok(r.json.items.some((x) => x.id === dispatch.id), 'found by its destination');
  const used = new Set([depA.code, ...dispatch.lines.map((l) => l.depot_code)]);
  const unrelated = ['D-441900005', 'D-441900006', 'D-441900104', 'D-441900105'].find((c) => !used.has(c));
  r = await auditor.get(`/dispatches?depot=${unrelated}`);
  assert.ok(!r.json.items.some((x) => x.id === dispatch.id), 'not by an unrelated depot');
  r = await whS.get('/dispatches?open=true');
  expectStatus(r, 200);
  assert.ok(r.json.items.some((x) => x.id === dispatch.id));
  await invariants('allocate');
});

test('picking by scan: wrong lot and wrong item refused, other towns cannot pick', async () => {
  // The destination's warehouse sees the list but cannot pick the source's lines.
  let r = await whA.post(`/dispatches/${dispatch.id}/pick`, { code: lots.S1.label });
  expectError(r, 409, 'nothing_to_pick');
  // A town with no part in it cannot even see it.
  r = await whB.post(`/dispatches/${dispatch.id}/pick`, { code: lots.S1.label });
  expectError(r, 403);
  // The quarantined lot is not on the list: refused, naming the wanted lot and bin.
  r = await whS.post(`/dispatches/${dispatch.id}/pick`, { code: lots.SQ.label });
  const e = expectError(r, 409, 'wrong_lot', 'code');
  assert.ok(e.message.includes(lots.S1.lotNo) && e.message.includes('A-01') &&
            e.message.includes(newItem.code), e.message);
  // Another item entirely.
  const other = await receiveFresh(whS, { binId: bin(depS, 'B-01').id, itemId: tent.id, qty: 1 });
  const otherLabel = await labelOf(whS, bin(depS, 'B-01').id, other.lotId);
  r = await whS.post(`/dispatches/${dispatch.id}/pick`, { code: otherLabel });
  expectError(r, 409, 'wrong_item', 'code');
  // Garbage is a 400, nothing changes.
  r = await whS.post(`/dispatches/${dispatch.id}/pick`, { code: 'NOT-A-CODE' });
  expectError(r, 400, 'bad_code');
  r = await whS.post(`/dispatches/${dispatch.id}/pick`, { code: lots.S1.label, bin: 'A-01' });
  expectError(r, 400, 'unknown_field');
  r = await whS.post(`/dispatches/${dispatch.id}/pick`, { qty: 1 });
  expectError(r, 400, 'missing_field', 'code');
  r = await whS.post(`/dispatches/${dispatch.id}/pick`, { code: lots.S1.label }, { idemKey: null });
  expectError(r, 400);
  r = await whS.post('/dispatches/99999999/pick', { code: lots.S1.label });
  expectError(r, 404);
  r = await whS.post(`/dispatches/${dispatch.id}/pick`, { code: lots.S1.label, qty: 21 });
  expectError(r, 422, 'rule_broken', 'qty');
  let d = await invariants('refused picks');
  assert.equal(num(d.qty_picked), 0);

  // The right scans: S1 whole (typed as the URL a wedge scanner sends), S2 in part.
  r = await whS.post(`/dispatches/${dispatch.id}/pick`, { code: `https://relief.example/l/${lots.S1.label}` });
  expectStatus(r, 200);
  assert.equal(r.json.status, 'picking');
  r = await whS.post(`/dispatches/${dispatch.id}/pick`, { code: lots.S2.label, qty: 15 });
  expectStatus(r, 200);
  d = await invariants('picked at S');
  assert.equal(num(d.qty_picked), 35);
});

test('ship in parts: in transit is shipped minus received', async () => {
  // The destination is no source: nothing of its own to ship.
  let r = await whA.post(`/dispatches/${dispatch.id}/ship`, {});
  expectError(r, 409, 'nothing_to_ship');
  r = await admin.post(`/dispatches/${dispatch.id}/ship`, { depot_id: depC1.id });
  expectError(r, 409, 'nothing_to_ship');
  r = await whS.post(`/dispatches/${dispatch.id}/ship`, {});
  expectStatus(r, 200);
  assert.equal(r.json.shipped_picks, 2);
  assert.equal(r.json.status, 'in_transit');
  let d = await invariants('first shipment');
  assert.equal(num(d.qty_shipped), 35);
  assert.equal(num(d.qty_in_transit), 35);
  // The unpicked 5 of S2 stayed on the list as an open pick.
  const rest = d.picks.find((p) => p.lot_no === lots.S2.lotNo && p.status === 'open');
  assert.equal(num(rest.qty_to_pick), 5);
  r = await whS.post(`/dispatches/${dispatch.id}/pick`, { code: lots.S2.label });
  expectStatus(r, 200);
  r = await whS.post(`/dispatches/${dispatch.id}/ship`, {});
  expectStatus(r, 200);
  // The city depot: the admin picks and ships.
  r = await admin.post(`/dispatches/${dispatch.id}/pick`, { code: lots.C1.label });
  expectStatus(r, 200);
  r = await admin.post(`/dispatches/${dispatch.id}/ship`, { depot_id: depC1.id });
  expectStatus(r, 200);
  d = await invariants('all shipped');
  const tentShip = d.picks.filter((p) => p.item_code === TENT && p.status !== 'shipped');
  // Tent picks (the override line), if any: picked and shipped by their town's staff here.
  for (const p of tentShip) {
    const staff = await h.login(`wh-${p.depot_code.slice(2)}`);
    expectStatus(await staff.post(`/dispatches/${dispatch.id}/pick`, { code: await labelOf(admin, p.bin_id, p.lot_id), pick_id: p.id }), 200);
    expectStatus(await staff.post(`/dispatches/${dispatch.id}/ship`, {}), 200);
  }
  d = await invariants('tents shipped');
  assert.equal(num(d.qty_in_transit), num(d.qty_shipped));
  assert.equal(d.status, 'in_transit');
});

test('receive by scan in parts, one damaged carton, then close', async () => {
  const toBin = bin(depA, 'A-01');
  let r = await whS.post(`/dispatches/${dispatch.id}/receive`, { code: lots.S1.label, to_bin_id: toBin.id });
  expectError(r, 403);
  r = await whA.post(`/dispatches/${dispatch.id}/receive`, { code: lots.S1.label, to_bin_id: bin(depS, 'A-01').id });
  expectError(r, 422, 'rule_broken', 'to_bin_id');
  r = await whA.post(`/dispatches/${dispatch.id}/receive`, { code: lots.S1.label });
  expectError(r, 400, 'missing_field', 'to_bin_id');
  r = await whA.post(`/dispatches/${dispatch.id}/receive`, { code: lots.S1.label, to_bin_id: toBin.id, qty: -1 });
  expectError(r, 400, 'bad_quantity');
  r = await whA.post(`/dispatches/${dispatch.id}/receive`, { code: lots.SQ.label, to_bin_id: toBin.id });
  expectError(r, 409, 'wrong_lot');
  r = await whA.post(`/dispatches/${dispatch.id}/receive`, { code: lots.S1.label, to_bin_id: toBin.id, qty: 21 });
  expectError(r, 422, 'rule_broken', 'qty');

  // S1: 12 now, 8 later (partial receipt).
  r = await whA.post(`/dispatches/${dispatch.id}/receive`, { code: lots.S1.label, to_bin_id: toBin.id, qty: 12 });
  expectStatus(r, 200);
  assert.equal(r.json.status, 'partially_received');
  assert.ok(r.json.label_code, 'the goods get a label in their new bin');
  let d = await invariants('partial receipt');
  r = await whA.post(`/dispatches/${dispatch.id}/receive`, { code: lots.S1.label, to_bin_id: toBin.id, qty: 8 });
  expectStatus(r, 200);
  // S2 (two shipments): everything in transit of it, a scan each.
  for (let i = 0; i < 2; i++) {
    r = await whA.post(`/dispatches/${dispatch.id}/receive`, { code: lots.S2.label, to_bin_id: toBin.id });
    expectStatus(r, 200);
  }
  // C1: 15 good, one carton of 5 damaged (received, then disposed).
  const dispBefore = await sql(`SELECT COUNT(*) FROM movement WHERE kind = 'dispose' AND lot_id = ${Number(lots.C1.lotId)}`);
  r = await whA.post(`/dispatches/${dispatch.id}/receive`, { code: lots.C1.label, to_bin_id: toBin.id, qty: 15, qty_damaged: 5 });
  expectStatus(r, 200);
  const dispAfter = await sql(`SELECT COUNT(*), SUM(qty) FROM movement WHERE kind = 'dispose' AND lot_id = ${Number(lots.C1.lotId)}`);
  assert.equal(Number(dispAfter[0][0]), Number(dispBefore[0][0]) + 1);
  d = await invariants('damaged carton');
  const c1 = d.picks.find((p) => p.lot_no === lots.C1.lotNo);
  assert.equal(num(c1.qty_received), 20);
  assert.equal(num(c1.qty_damaged), 5);
  // Stock of C1 at A is the good 15 only.
  const st = await sql(`SELECT qty FROM stock WHERE bin_id = ${Number(toBin.id)} AND lot_id = ${Number(lots.C1.lotId)}`);
  assert.equal(Number(st[0][0]), 15);
  // Tents (override line) if any: one short, written off in transit.
  for (const p of d.picks.filter((x) => x.item_code === TENT && num(x.qty_in_transit) > 0)) {
    const short = num(p.qty_in_transit) >= 2 ? 1 : 0;
    r = await whA.post(`/dispatches/${dispatch.id}/receive`, {
      pick_id: p.id, to_bin_id: toBin.id, qty: num(p.qty_in_transit) - short, ...(short ? { qty_short: short } : {}) });
    expectStatus(r, 200);
  }
  d = await invariants('all received');
  assert.equal(d.status, 'closed');
  assert.equal(num(d.qty_in_transit), 0);
  r = await offA.get(`/requests/${reqA.id}`);
  expectStatus(r, 200);
  assert.equal(r.json.status, 'fulfilled');
  r = await whA.post(`/dispatches/${dispatch.id}/receive`, { code: lots.S1.label, to_bin_id: toBin.id });
  expectError(r, 409);
});

test('the event report: by day, place and item; CSV export; reliefctl', async () => {
  let r = await auditor.get(`/events/${ev.code}/report`);
  expectStatus(r, 200);
  const rows = r.json.rows.filter((x) => x.item_code === newItem.code);
  const sum = (kind, dep) => rows.filter((x) => x.kind === kind && (!dep || x.depot_code === dep))
    .reduce((a, x) => a + num(x.qty), 0);
  assert.equal(sum('transfer_out', depS.code), -40);
  assert.equal(sum('transfer_out', depC1.code), -20);
  assert.equal(sum('transfer_in', depA.code), 60);
  assert.equal(sum('dispose', depA.code), -5);
  assert.ok(rows.every((x) => /^\d{4}-\d\d-\d\d$/.test(x.day) && x.org_unit_code));
  // A town sees its own part only.
  r = await offA.get(`/events/${ev.code}/report`);
  expectStatus(r, 200);
  assert.ok(r.json.rows.every((x) => x.depot_code === depA.code));
  r = await auditor.get(`/events/${ev.code}/report?format=csv`);
  expectStatus(r, 200);
  assert.match(r.headers.get('content-type'), /text\/csv/);
  assert.ok(r.text.split('\n')[0].includes('item_code'));
  assert.ok(r.text.includes(newItem.code));
  r = await auditor.get(`/events/${ev.code}/report?format=xlsx`);
  expectStatus(r, 200);
  const cli = await reliefctl(['event-report', '--event', ev.code, '--format', 'csv']);
  assert.equal(cli.code, 0, cli.stderr);
  assert.ok(cli.stdout.includes(newItem.code));
  const cj = await reliefctl(['event-report', '--event', ev.code, '--format', 'json']);
  assert.equal(cj.code, 0, cj.stderr);
  assert.ok(JSON.parse(cj.stdout).rows.length > 0);
  const ls = await reliefctl(['dispatches', 'list', '--status', 'closed']);
  assert.equal(ls.code, 0, ls.stderr);
  assert.ok(ls.stdout.includes(String(dispatch.id)));
  const el = await reliefctl(['events', 'list']);
  assert.equal(el.code, 0, el.stderr);
  assert.ok(el.stdout.includes(ev.code));
  const bad = await reliefctl(['event-report', '--event', 'NO-SUCH-EVENT']);
  assert.notEqual(bad.code, 0, 'an unknown event is an error');
  // Close the event.
  r = await auditor.patch(`/events/${ev.code}`, { status: 'closed' });
  expectStatus(r, 200);
  assert.equal(r.json.status, 'closed');
  assert.ok(r.json.ended_on);
  r = await offA.post('/requests', { purpose: 'event', event: ev.code, lines: [{ item: newItem.code, qty: 1 }] });
  expectError(r, 422, 'rule_broken', 'event');
});
