// province_small.test.mjs -- `reliefctl demo-data --scale province` kept
// honest on a small scale (docs/performance.md has the full-size figures):
// a 50-town province with 120 lots per town, built in a database of its own
// (the test database's name + "_pv", dropped at the end), must
//   - pass verify-ledger (every balance the sum of its movements, every
//     balance_after the running sum);
//   - give the same data for the same seed (counts and a checksum of the
//     ledger) -- checked by building it a second time under another name;
//   - answer a province-wide readiness call (every town-level unit under the
//     province root, as `reliefctl readiness --all` sees it) whose towns are
//     exactly the province's, and whose per-line usable stock for sampled
//     towns equals an independent SQL sum over `stock`;
//   - give the same answer from the ledger as from the stock table, and an
//     as-of-yesterday answer equal to the ledger's own sum up to yesterday.
// The full size (1,600 towns, 10 million movements) is scripts/bench-readiness
// --province; with RELIEF_TEST_LONG=1 this test builds 400 towns instead.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { requireEnv, reliefctl, sql, settings } from './lib/harness.mjs';

requireEnv();

const LONG = process.env.RELIEF_TEST_LONG === '1';
const TOWNS = LONG ? 400 : 50;
const LPT = LONG ? 400 : 120;
const BASE_DB = settings().RELIEF_DB_NAME || 'reliefstock';
const DB = `${BASE_DB}_pv`;
const DB2 = `${BASE_DB}_pv2`;

// reliefctl and sql() on another database: RELIEF_DB_NAME in the environment
// overrides the settings file (core/config.c, harness settings()).
const on = (db) => ({ env: { RELIEF_DB_NAME: db } });
async function sqlOn(db, q) {
  const saved = process.env.RELIEF_DB_NAME;
  process.env.RELIEF_DB_NAME = db;
  try {
    return await sql(q);
  } finally {
    if (saved === undefined) delete process.env.RELIEF_DB_NAME;
    else process.env.RELIEF_DB_NAME = saved;
  }
}

async function ctlOk(args, db) {
  const r = await reliefctl(args, on(db));
  assert.equal(r.code, 0, `reliefctl ${args.join(' ')} (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  return r;
}

// The seed's TOWN-level units, the migrations and seed first.  The seed
// runs from the repository root (it finds db/seed there).
async function build(db) {
  await reliefctl(['db-drop', '--yes'], on(db));
  await ctlOk(['migrate'], db);
  await ctlOk(['seed'], db);
  const t0 = Date.now();
  const r = await ctlOk(['demo-data', '--scale', 'province', '--towns', String(TOWNS),
                         '--lots-per-town', String(LPT), '--seed', '5'], db);
  return { log: r.stderr, ms: Date.now() - t0 };
}

const TODAY = new Date().toISOString().slice(0, 10);
const YESTERDAY = new Date(Date.now() - 86400000).toISOString().slice(0, 10);

let built;

before(async () => {
  built = await build(DB);
});

after(async () => {
  await reliefctl(['db-drop', '--yes'], on(DB));
  await reliefctl(['db-drop', '--yes'], on(DB2));
});

test('the province has the asked-for shape and passes verify-ledger', async () => {
  assert.match(built.log, new RegExp(`${TOWNS} town-level units`), built.log);
  const [[towns, root]] = await sqlOn(DB,
    "SELECT COUNT(*), (SELECT COUNT(*) FROM org_unit WHERE kind = 'province') FROM org_unit" +
    " WHERE kind IN ('subdistrict', 'town', 'park')");
  assert.equal(Number(towns), TOWNS);
  assert.equal(Number(root), 1);
  // Every town-level unit hangs under the root (paths start with the root's).
  const [[outside]] = await sqlOn(DB,
    "SELECT COUNT(*) FROM org_unit o WHERE o.kind IN ('subdistrict', 'town', 'park')" +
    " AND o.path NOT LIKE CONCAT((SELECT path FROM org_unit WHERE code = '440000'), '%')");
  assert.equal(Number(outside), 0);
  const [[lots, movements, stock, codes]] = await sqlOn(DB,
    'SELECT (SELECT COUNT(*) FROM lot), (SELECT COUNT(*) FROM movement),' +
    ' (SELECT COUNT(*) FROM stock), (SELECT COUNT(DISTINCT code) = COUNT(*) FROM org_unit)');
  assert.equal(Number(lots), TOWNS * LPT);
  assert.equal(Number(stock), TOWNS * LPT);
  // 3..7 movements per lot, 5 on average.
  assert.ok(Number(movements) > 4 * TOWNS * LPT && Number(movements) < 6 * TOWNS * LPT, movements);
  assert.equal(codes, '1');
  const v = await ctlOk(['verify-ledger'], DB);
  assert.match(v.stdout, /ledger ok/);
});

test('the same seed gives the same data', async () => {
  await build(DB2);
  const q = 'SELECT COUNT(*), SUM(qty), SUM(balance_after), SUM(CRC32(CONCAT(kind, bin_id, lot_id,' +
            ' occurred_at, recorded_at))) FROM movement';
  const [a] = await sqlOn(DB, q);
  const [b] = await sqlOn(DB2, q);
  assert.deepEqual(a, b);
  await reliefctl(['db-drop', '--yes'], on(DB2));
});

test('province readiness covers every town and sums stock like plain SQL', async () => {
  const r = await ctlOk(['readiness', '--all'], DB);
  const city = JSON.parse(r.stdout);
  const [[n]] = await sqlOn(DB,
    "SELECT COUNT(*) FROM org_unit WHERE kind IN ('subdistrict', 'town', 'park')");
  assert.equal(city.items.length, Number(n));
  const statuses = new Set(city.items.map((t) => t.status));
  assert.ok(statuses.size >= 1);

  // Three towns: one seeded (Dongguan), two generated; each line's own
  // usable stock against an independent sum with the same rules.
  const sample = ['441900101', city.items[0].code, city.items[city.items.length - 1].code];
  for (const code of sample) {
    const tr = await ctlOk(['readiness', '--town', code], DB);
    const town = JSON.parse(tr.stdout);
    const rows = await sqlOn(DB,
      'SELECT l.item_id, IFNULL(l.expiry_date, \'9999-12-31\'), SUM(s.qty) FROM stock s' +
      ' JOIN lot l ON l.id = s.lot_id JOIN depot d ON d.id = s.depot_id' +
      ' JOIN org_unit o ON o.id = d.org_unit_id' +
      ` WHERE o.code = '${code}' AND s.qty > 0 AND l.quarantined = 0 AND d.kind = 'town'` +
      ' GROUP BY l.item_id, l.expiry_date');
    let checked = 0;
    for (const line of town.lines) {
      if (!line.item_id) continue;
      // In date: expiring on or after the line's cut-off (docs/readiness.md).
      const own = rows.filter(([item, exp]) => Number(item) === line.item_id && exp >= line.cutoff)
        .reduce((s, r) => s + Number(r[2]), 0);
      assert.equal(Number(line.usable_own), own, `${code} ${line.item_code}`);
      checked += own > 0;
    }
    assert.ok(checked > 0, `${code}: no line with usable stock compared`);
  }
});

test('readiness from the ledger equals readiness from stock, and as of yesterday', async () => {
  const strip = (o) => {
    delete o.computed_at;
    delete o.source;
    delete o.from_ledger;
    return o;
  };
  const stockAns = strip(JSON.parse((await ctlOk(['readiness', '--all'], DB)).stdout));
  const ledgerAns = strip(JSON.parse((await ctlOk(['readiness', '--all', '--ledger'], DB)).stdout));
  assert.deepEqual(ledgerAns.items, stockAns.items);

  // Yesterday: the ledger summed up to the end of yesterday, town by town.
  const past = JSON.parse((await ctlOk(['readiness', '--all', '--as-of', YESTERDAY], DB)).stdout);
  assert.equal(past.as_of, YESTERDAY);
  assert.equal(past.items.length, stockAns.items.length);
  const [[held]] = await sqlOn(DB,
    'SELECT COUNT(*) FROM (SELECT bin_id, lot_id FROM movement' +
    ` WHERE recorded_at < '${TODAY} 00:00:00' GROUP BY bin_id, lot_id HAVING SUM(qty) > 0) x`);
  const [[heldNow]] = await sqlOn(DB, 'SELECT COUNT(*) FROM stock WHERE qty > 0');
  // The generated history ends the day before today: nothing moved today,
  // so yesterday's stock is today's, and so is the coverage of every town
  // (the same coming season; only day-relative findings such as the age of
  // counts may differ by a day).
  assert.equal(held, heldNow);
  const cov = (ans) => ans.items.map((t) => [t.code, t.status, t.min_coverage_pct, t.lines_green,
                                             t.lines_amber, t.lines_red]).sort();
  assert.deepEqual(cov(past), cov(stockAns));
});
