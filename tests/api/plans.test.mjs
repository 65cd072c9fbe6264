// plans.test.mjs -- GET /plans/{season}, /plans/{season}/towns/{code} and the
// demand history, against the demo city (docs/forecasting.md).
//
// The plan's own arithmetic is checked on every line of the city answer
// (projection, shortfall split, transfers never taking a source below its
// standard plus safety stock, purchases = what transfers leave, order-by =
// season start - lead time, the procurement list = the purchases summed);
// then what the ledger changes: an issue shows in the demand history (a
// transfer does not), a lot expiring inside the season is counted as a
// certain replacement, and scope, exports and the command line.

import { test } from 'node:test';
import assert from 'node:assert/strict';

import {
  useServer, expectStatus, expectError, item, townBin, depot, moveOk, receiveFresh, sql,
  reliefctl, uniq, TOWN_A, TOWN_B, TOWN_C, TENT,
} from './lib/harness.mjs';

const h = useServer();
const SEASON = 2027;
const M = 1000; // quantities compared in milli, as the server computes them
const milli = (v) => Math.round(Number(v) * M);

function dayNum(s) {
  return Math.round(Date.parse(`${s}T00:00:00Z`) / 86400000);
}

async function cityPlan(client) {
  const r = await client.get(`/plans/${SEASON}`);
  expectStatus(r, 200);
  return r.json;
}

async function townPlan(client, code) {
  const r = await client.get(`/plans/${SEASON}/towns/${code}`);
  expectStatus(r, 200);
  return r.json;
}

test('the city plan adds up, line by line', async () => {
  const auditor = await h.login('city-auditor');
  const p = await cityPlan(auditor);
  assert.equal(p.season.year, SEASON);
  assert.ok(p.lines.length > 0);
  const start = dayNum(p.season.start), today = dayNum(p.today);
  const byKey = new Map();
  for (const l of p.lines) {
    byKey.set(`${l.town_code}/${l.item_code}`, l);
    const projected = milli(l.on_hand) - milli(l.forecast_use) - milli(l.expiring) +
      milli(l.on_order) + milli(l.inbound);
    assert.equal(milli(l.projected), projected, `${l.town_code} ${l.item_code} projected`);
    const gap = milli(l.required) + milli(l.safety_stock) - projected;
    if (gap <= 0) assert.equal(milli(l.shortfall), 0);
    else assert.ok(milli(l.shortfall) >= gap && milli(l.shortfall) - gap < M,
                   `${l.town_code} ${l.item_code}: shortfall ${l.shortfall} for gap ${gap / M}`);
    assert.equal(milli(l.replacement) + milli(l.forecast_need), milli(l.shortfall));
    assert.ok(milli(l.replacement) <= milli(l.expiring));
    assert.equal(milli(l.purchase), Math.max(0, milli(l.shortfall) - milli(l.transfer_in)));
    // never below its own standard (plus safety stock) by giving
    assert.ok(milli(l.transfer_out) <= milli(l.surplus));
    assert.ok(projected - milli(l.transfer_out) >= milli(l.required) + milli(l.safety_stock) ||
              milli(l.transfer_out) === 0, `${l.town_code} ${l.item_code} gives below standard`);
    assert.ok(milli(l.transfer_in) <= milli(l.shortfall));
    assert.ok(milli(l.safety_stock) >= 0);
    if (milli(l.purchase) > 0) {
      assert.equal(dayNum(l.order_by), start - l.lead_days);
      assert.equal(l.urgent, dayNum(l.order_by) < today);
    } else {
      assert.equal(l.order_by, null);
    }
    assert.ok(['naive', 'ma', 'ses', 'croston', 'sba', 'tsb'].includes(l.forecast_method));
  }
  // transfers match the lines, same item, other town
  const out = new Map(), inn = new Map();
  for (const t of p.transfers) {
    assert.notEqual(t.from_town_code, t.to_town_code);
    assert.ok(milli(t.qty) > 0);
    const kf = `${t.from_town_code}/${t.item_code}`, kt = `${t.to_town_code}/${t.item_code}`;
    out.set(kf, (out.get(kf) ?? 0) + milli(t.qty));
    inn.set(kt, (inn.get(kt) ?? 0) + milli(t.qty));
  }
  for (const [k, l] of byKey) {
    assert.equal(out.get(k) ?? 0, milli(l.transfer_out), `${k} transfer_out`);
    assert.equal(inn.get(k) ?? 0, milli(l.transfer_in), `${k} transfer_in`);
  }
  // purchases and the procurement list
  const buy = new Map();
  for (const x of p.purchases) buy.set(x.item_code, (buy.get(x.item_code) ?? 0) + milli(x.qty));
  assert.equal(p.purchases.length, p.lines.filter((l) => milli(l.purchase) > 0).length);
  assert.equal(p.procurement.length, buy.size);
  for (const row of p.procurement) {
    assert.equal(milli(row.qty), buy.get(row.item_code), `procurement ${row.item_code}`);
    assert.equal(dayNum(row.order_by), start - row.lead_days);
  }
  assert.equal(p.summary.purchases, p.purchases.length);
  assert.equal(p.summary.transfers, p.transfers.length);
});

test('scope: a town official sees their town, not another, not the city', async () => {
  const offA = await h.login(`town-${TOWN_A}`);
  const p = await townPlan(offA, TOWN_A);
  assert.equal(p.org_unit.code, TOWN_A);
  assert.ok(p.lines.length > 0);
  assert.ok(p.lines.every((l) => l.town_code === TOWN_A));
  assert.ok(p.transfers.every((t) => t.from_town_code === TOWN_A || t.to_town_code === TOWN_A));
  assert.equal(p.procurement, undefined);
  expectStatus(await offA.get(`/plans/${SEASON}/towns/${TOWN_B}`), 403);
  expectStatus(await offA.get(`/plans/${SEASON}`), 403);
  expectStatus(await offA.get(`/plans/${SEASON}/towns/${TOWN_B}/items/${TENT}/history`), 403);
  expectStatus(await h.anon().get(`/plans/${SEASON}`), 401);
  // the town's lines are the city's lines of that town
  const auditor = await h.login('city-auditor');
  const city = await cityPlan(auditor);
  assert.deepEqual(p.lines, city.lines.filter((l) => l.town_code === TOWN_A));
});

test('bad requests: season, town, item, format', async () => {
  const admin = await h.login('admin');
  expectError(await admin.get('/plans/1999'), 400, 'bad_query');
  expectError(await admin.get('/plans/20x7'), 400, 'bad_query');
  expectError(await admin.get('/plans/2020'), 400, 'bad_query', 'season'); // over
  expectStatus(await admin.get(`/plans/${SEASON}/towns/NO-SUCH-TOWN`), 404);
  expectStatus(await admin.get(`/plans/${SEASON}/towns/${TOWN_A}/items/NO-SUCH/history`), 404);
  expectError(await admin.get(`/plans/${SEASON}?format=pdf`), 400, 'bad_query');
  expectError(await admin.get(`/plans/${SEASON}?format=csv&table=nope`), 400, 'bad_query');
  expectError(await admin.get(`/plans/${SEASON}/towns/${TOWN_A}?format=csv&table=procurement`),
              400, 'bad_query');
});

test('exports: CSV and XLSX of each table', async () => {
  const auditor = await h.login('city-auditor');
  const p = await cityPlan(auditor);
  const r = await auditor.get(`/plans/${SEASON}?format=csv`);
  expectStatus(r, 200);
  assert.match(r.headers.get('content-type'), /text\/csv/);
  const rows = r.text.trim().split(/\r?\n/);
  assert.match(rows[0], /town_code/);
  assert.match(rows[0], /projected/);
  assert.equal(rows.length, 1 + p.lines.length);
  const pr = await auditor.get(`/plans/${SEASON}?format=csv&table=procurement`);
  expectStatus(pr, 200);
  assert.equal(pr.text.trim().split(/\r?\n/).length, 1 + p.procurement.length);
  const x = await auditor.get(`/plans/${SEASON}/towns/${TOWN_A}?format=xlsx&table=lines`);
  expectStatus(x, 200);
  assert.match(x.headers.get('content-type'), /spreadsheetml/);
  assert.match(x.headers.get('content-disposition'), /plan-2027-441900101-lines\.xlsx/);
});

test('demand history: issues count, transfers do not; events marked', async () => {
  const admin = await h.login('admin');
  const wh = await h.login(`wh-${TOWN_C}`);
  const tent = await item(admin, TENT);
  const { bin } = await townBin(admin, TOWN_C);
  const depB = await depot(admin, `D-${TOWN_B}`);
  const path = `/plans/${SEASON}/towns/${TOWN_C}/items/${TENT}/history`;
  const before = await admin.get(path);
  expectStatus(before, 200);
  assert.equal(before.json.bucket, 'month');
  assert.equal(before.json.periods.length, 36);
  const last = () => before.json.periods.length - 1;
  const q0 = milli(before.json.periods[last()].qty);

  const { lotId } = await receiveFresh(wh, { binId: bin.id, itemId: tent.id, qty: 10 });
  await moveOk(wh, { kind: 'issue', bin_id: bin.id, lot_id: lotId, qty: 3,
                     recipient: 'plans test' });
  await moveOk(admin, { kind: 'transfer', from_bin_id: bin.id, lot_id: lotId, qty: 2,
                        to_depot_id: depB.id, reference: 'plans test' });
  const code = uniq('EV');
  await sql(`INSERT INTO emergency_event (code, name_zh, name_en, kind, started_on, created_by)
             SELECT '${code}', '测试台风', 'Test typhoon', 'typhoon', CURDATE(), id
             FROM app_user WHERE username = 'admin'`);
  await sql(`INSERT INTO emergency_event_place (event_id, org_unit_id)
             SELECT e.id, o.id FROM emergency_event e, org_unit o
             WHERE e.code = '${code}' AND o.code = '${TOWN_C}'`);
  const after = await admin.get(path);
  expectStatus(after, 200);
  const cur = after.json.periods[last()];
  assert.equal(milli(cur.qty) - q0, 3 * M, 'the issue of 3 counts, the transfer of 2 does not');
  assert.ok(cur.events.includes(code), JSON.stringify(cur));
  assert.ok(after.json.events.some((e) => e.code === code));
  assert.equal(after.json.plan_line.item_code, TENT);
  assert.equal(after.json.plan_line.town_code, TOWN_C);
  // weekly: the current week holds the same issue
  const wk = await admin.get(`${path}?weekly=1`);
  expectStatus(wk, 200);
  assert.equal(wk.json.bucket, 'week');
  assert.equal(wk.json.periods.length, 52);
  assert.ok(milli(wk.json.periods[51].qty) >= 3 * M);
  // CSV of the buckets
  const c = await admin.get(`${path}?format=csv`);
  expectStatus(c, 200);
  assert.equal(c.text.trim().split(/\r?\n/).length, 37);
  assert.ok(c.text.includes(code));
});

test('a lot expiring inside the season is a certain replacement', async () => {
  const admin = await h.login('admin');
  const wh = await h.login(`wh-${TOWN_A}`);
  const tent = await item(admin, TENT);
  const { bin } = await townBin(admin, TOWN_A);
  const key = (p) => p.lines.find((l) => l.item_code === TENT);
  const before = key(await townPlan(admin, TOWN_A));
  await receiveFresh(wh, { binId: bin.id, itemId: tent.id, qty: 7, expiry: '2027-06-30' });
  const after = key(await townPlan(admin, TOWN_A));
  assert.equal(milli(after.on_hand) - milli(before.on_hand), 7 * M);
  assert.equal(milli(after.expiring) - milli(before.expiring), 7 * M);
  // on hand and expiring both grew by 7: the projection did not move
  assert.equal(milli(after.projected), milli(before.projected));
});

test('a request made from a plan line is shown on the line, not counted as stock', async () => {
  const off = await h.login(`town-${TOWN_A}`);
  const before = await townPlan(off, TOWN_A);
  const l = before.lines.find((x) => x.transfer_in > 0) || before.lines[0];
  const qty = l.transfer_in > 0 ? l.transfer_in : 1;
  const r = await off.post('/requests', {
    org_unit: TOWN_A, purpose: 'replenishment', needed_by: before.season.start,
    source_ref: `plan:${SEASON}:${TOWN_A}:${l.item_code}`, lines: [{ item: l.item_code, qty }],
  });
  expectStatus(r, [200, 201]);
  const after = await townPlan(off, TOWN_A);
  const m = after.lines.find((x) => x.item_code === l.item_code);
  assert.equal(milli(m.requested), milli(l.requested) + milli(qty));
  assert.equal(milli(m.projected), milli(l.projected), 'a request is no stock yet');
  // a reference to another season is not this plan's
  const other = await off.post('/requests', {
    org_unit: TOWN_A, purpose: 'replenishment',
    source_ref: `plan:${SEASON + 1}:${TOWN_A}:${l.item_code}`, lines: [{ item: l.item_code, qty: 1 }],
  });
  expectStatus(other, [200, 201]);
  const again = (await townPlan(off, TOWN_A)).lines.find((x) => x.item_code === l.item_code);
  assert.equal(milli(again.requested), milli(m.requested));
});

test('reliefctl plan prints what the API answers', async () => {
  const admin = await h.login('admin');
  const api = await townPlan(admin, TOWN_A);
  const j = await reliefctl(['plan', '--season', String(SEASON), '--town', TOWN_A]);
  assert.equal(j.code, 0, j.stderr);
  const cli = JSON.parse(j.stdout);
  assert.deepEqual(cli.lines, api.lines);
  const c = await reliefctl(['plan', '--season', String(SEASON), '--format', 'csv',
                             '--table', 'procurement']);
  assert.equal(c.code, 0, c.stderr);
  assert.match(c.stdout.split('\r\n')[0], /^item_code,/);
  const bad = await reliefctl(['plan', '--season', '99']);
  assert.equal(bad.code, 2);
  const none = await reliefctl(['plan', '--season', String(SEASON), '--town', 'NOPE']);
  assert.equal(none.code, 2);
});
