// readiness.test.mjs -- readiness (docs/readiness.md), standards and flood
// seasons end to end, against figures worked out by hand.
//
// The fixtures are made here, so the demo quantities never matter: two new
// catalogue items, X (a new line of the town standard, 10 per 500 persons)
// and Y (its substitute, 2 Y for 1 X), a flood season declared for 2031 (25
// March .. 10 October), and lots of X and Y received into town A.  Every
// readiness call asks for season=2031.  Town C gets 800 reserve persons for
// one test (through SQL: there is no API for it) and its old value back.
//
// The past-day check: town A's answer as of yesterday is taken first, then
// stock moves today, and the same question must give the same answer (a
// past day is summed from the ledger by recorded_at, docs/readiness.md).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import {
  useServer, expectStatus, expectError, item, townBin, depot, moveOk, move, receiveFresh,
  uniq, sql, reliefctl, num, TOWN_A, TOWN_B, TOWN_C, TENT,
} from './lib/harness.mjs';

const h = useServer();
const SEASON = 2031;
const SEASON_START = '2031-03-25';
const SEASON_END = '2031-10-10';
const DAY_BEFORE_END = '2031-10-09';
const DAY_AFTER_END = '2031-10-11';

let admin, auditor, offA, offB, whA, whC;
let X, Y, tent, binA;
let yesterday, today, pastA; // town A as of yesterday, taken before anything moves
let reserveC;                // town C's reserve persons before the test

const dayStr = (d) => d.toISOString().slice(0, 10);

function townPath(code, query = '') {
  return `/readiness/towns/${code}?season=${SEASON}${query}`;
}

async function town(client, code, query = '') {
  const r = await client.get(townPath(code, query));
  expectStatus(r, 200);
  return r.json;
}

function lineOf(answer, itemCode) {
  const l = answer.lines.find((x) => x.item_code === itemCode);
  assert.ok(l, `no line for ${itemCode} in ${answer.lines.map((x) => x.item_code)}`);
  return l;
}

// The standard's lines in the form POST /standards/{code}/versions takes.
function bodyLines(std) {
  return std.lines.map((l) => {
    const o = { basis: l.basis, qty: l.qty };
    if (l.item_id !== null) o.item_id = l.item_id;
    if (l.check_code !== null) o.check_code = l.check_code;
    if (l.min_shelf_months !== null) o.min_shelf_months = l.min_shelf_months;
    if (l.note !== null) o.note = l.note;
    if (l.source !== null) o.source = l.source;
    if (l.substitutes.length)
      o.substitutes = l.substitutes.map((s) => ({ item_id: s.item_id, ratio: s.ratio }));
    return o;
  });
}

// An answer without the parts that may differ between two calls of the same question.
function comparable(a) {
  const { computed_at: _c, source: _s, ledger: _l, ...rest } = a;
  return rest;
}

before(async () => {
  admin = await h.login('admin');
  auditor = await h.login('city-auditor');
  offA = await h.login(`town-${TOWN_A}`);
  offB = await h.login(`town-${TOWN_B}`);
  whA = await h.login(`wh-${TOWN_A}`);
  whC = await h.login(`wh-${TOWN_C}`);
  tent = await item(admin, TENT);
  ({ bin: binA } = await townBin(whA, TOWN_A, 'A-01'));

  const now = new Date();
  today = dayStr(now);
  yesterday = dayStr(new Date(now.getTime() - 86400000));
  // First of all: town A as of yesterday, before this file moves anything.
  pastA = await town(auditor, TOWN_A, `&as_of=${yesterday}`);

  // The season of the fixtures.
  expectStatus(await admin.put(`/flood-seasons/${SEASON}`,
                               { start: SEASON_START, end: SEASON_END,
                                 source: 'readiness.test.mjs' }), 200);

  // Two items and a new version of the town standard naming them.
  for (const [name, v] of [['X', 'RDX'], ['Y', 'RDY']]) {
    const r = await admin.post('/items', {
      code: uniq(v), name_zh: `测试物资${name}`, name_en: `Readiness test item ${name}`,
      unit: '个', tracking: 'lot', integral: true,
    });
    expectStatus(r, 201);
    if (name === 'X') X = r.json; else Y = r.json;
  }
  const cur = await admin.get('/standards/town_reserve');
  expectStatus(cur, 200);
  const lines = bodyLines(cur.json);
  lines.push({ item_id: X.id, basis: 'per_500_persons', qty: 10, note: 'readiness.test.mjs',
               substitutes: [{ item_id: Y.id, ratio: 0.5, note: '2 Y for 1 X' }] });
  const nv = await admin.post('/standards/town_reserve/versions', {
    base_version: cur.json.version, reason: 'readiness.test.mjs: line X with substitute Y',
    lines,
  });
  expectStatus(nv, 201);
  assert.equal(nv.json.version, cur.json.version + 1);
});

after(async () => {
  if (reserveC !== undefined)
    await sql(`UPDATE org_unit SET reserve_persons = ${reserveC === null ? 'NULL' : reserveC}` +
              ` WHERE code = '${TOWN_C}'`);
});

// ---------------------------------------------------------------- the computation

test('expiry against the season end, quarantine and a substitute at its ratio', async () => {
  let a = await town(auditor, TOWN_A);
  assert.equal(a.season.year, SEASON);
  assert.equal(a.season.start, SEASON_START);
  assert.equal(a.season.end, SEASON_END);
  assert.equal(a.season.basis, 'declared');
  let x = lineOf(a, X.code);
  assert.equal(x.required, 10);
  assert.equal(x.usable, 0);
  assert.equal(x.cutoff, SEASON_END);
  assert.equal(x.status, 'red');
  assert.equal(x.coverage_pct, 0);

  // 3 expiring the day before the season ends: not usable, to be rotated.
  const l1 = await receiveFresh(whA, { binId: binA.id, itemId: X.id, qty: 3,
                                       expiry: DAY_BEFORE_END });
  a = await town(auditor, TOWN_A);
  x = lineOf(a, X.code);
  assert.equal(x.usable, 0);
  assert.equal(x.not_in_date, 3);
  const rot = a.findings.rotate.find((r) => r.lot_id === l1.lotId);
  assert.ok(rot, 'the lot expiring before the season end is not in findings.rotate');
  assert.equal(rot.reason, 'expires_in_season');
  assert.equal(rot.cutoff, SEASON_END);
  assert.equal(rot.qty, 3);

  // 1 expiring on the last day of the season: usable.  4 the day after: usable.
  await receiveFresh(whA, { binId: binA.id, itemId: X.id, qty: 1, expiry: SEASON_END });
  await receiveFresh(whA, { binId: binA.id, itemId: X.id, qty: 4, expiry: DAY_AFTER_END });
  a = await town(auditor, TOWN_A);
  x = lineOf(a, X.code);
  assert.equal(x.usable, 5);
  assert.equal(x.usable_own, 5);
  assert.equal(x.coverage_pct, 50);

  // 5 more, quarantined: not usable, listed apart.
  const l4 = await receiveFresh(whA, { binId: binA.id, itemId: X.id, qty: 5,
                                       expiry: DAY_AFTER_END });
  await sql(`UPDATE lot SET quarantined = 1 WHERE id = ${Number(l4.lotId)}`);
  a = await town(auditor, TOWN_A);
  x = lineOf(a, X.code);
  assert.equal(x.usable, 5);
  assert.equal(x.quarantined, 5);
  assert.ok(a.findings.quarantined.some((r) => r.lot_id === l4.lotId));
  assert.ok(!a.findings.rotate.some((r) => r.lot_id === l4.lotId));

  // 5 Y at 0.5: 2 X (X is counted in whole pieces), using 4 Y.  7 of 10: red.
  const ly = await receiveFresh(whA, { binId: binA.id, itemId: Y.id, qty: 5,
                                       expiry: '2032-06-30' });
  a = await town(auditor, TOWN_A);
  x = lineOf(a, X.code);
  assert.equal(x.usable_own, 5);
  assert.equal(x.usable_substitutes, 2);
  assert.equal(x.usable, 7);
  assert.equal(x.coverage_pct, 70);
  assert.equal(x.status, 'red');
  assert.equal(x.substitutes.length, 1);
  assert.equal(x.substitutes[0].item_id, Y.id);
  assert.equal(x.substitutes[0].ratio, 0.5);
  assert.equal(x.substitutes[0].used, 4);
  assert.equal(x.substitutes[0].counted, 2);

  // A sixth Y: 3 X, 8 of 10 = 80 %: amber.
  await moveOk(whA, { kind: 'receive', bin_id: binA.id, item_id: Y.id, lot_id: ly.lotId, qty: 1 });
  a = await town(auditor, TOWN_A);
  x = lineOf(a, X.code);
  assert.equal(x.usable, 8);
  assert.equal(x.status, 'amber');
  assert.equal(x.shortfall, 2);
  const sf = a.findings.shortfall.find((s) => s.item_code === X.code);
  assert.equal(sf.missing, 2);
});

test('a town with 800 reserve persons needs 1.6 times the standard, rounded up', async () => {
  const [[before]] = await sql(`SELECT IFNULL(reserve_persons, 'NULL') FROM org_unit` +
                               ` WHERE code = '${TOWN_C}'`);
  reserveC = before === 'NULL' ? null : Number(before);
  await sql(`UPDATE org_unit SET reserve_persons = 800 WHERE code = '${TOWN_C}'`);
  const c = await town(auditor, TOWN_C);
  assert.equal(c.org_unit.reserve_persons, 800);
  assert.equal(lineOf(c, X.code).required, 16);
  assert.equal(lineOf(c, TENT).required, 80);       // 50 x 1.6
  assert.equal(lineOf(c, 'DG-LP-04').required, 4);  // 2 generators x 1.6 = 3.2 -> 4
  for (const l of c.lines) {
    if (l.basis !== 'per_500_persons') continue;
    const exact = (l.qty * 800) / 500;
    const want = l.unit === 'L' ? Math.ceil(exact * 1000) / 1000 : Math.ceil(exact);
    assert.equal(l.required, want, `${l.item_code}: ${l.qty} per 500 for 800`);
  }
  // The other towns keep 500.
  const a = await town(auditor, TOWN_A);
  assert.equal(lineOf(a, TENT).required, 50);
});

test('a past day keeps its answer after later movements; today changes', async () => {
  assert.equal(pastA.source, 'ledger');
  assert.equal(pastA.as_of, yesterday);
  const tBefore = lineOf(await town(auditor, TOWN_A), TENT);
  await receiveFresh(whA, { binId: binA.id, itemId: tent.id, qty: 7, expiry: '2034-12-31' });
  const tAfter = lineOf(await town(auditor, TOWN_A), TENT);
  assert.equal(tAfter.usable, tBefore.usable + 7, 'today\'s answer did not change');
  const again = await town(auditor, TOWN_A, `&as_of=${yesterday}`);
  assert.deepEqual(comparable(again), comparable(pastA),
                   'the answer for yesterday changed after today\'s movements');
  // The version made today is not in force yesterday.
  assert.ok(!again.lines.some((l) => l.item_code === X.code));
});

test('a past day read both ways, summed or from today less later movements, is one answer', async () => {
  // The two ways of docs/readiness.md ("Two ways to a past day"): SUM adds
  // every movement recorded up to the end of the day, DELTA takes today's
  // balance and subtracts what was recorded since.  Today's own movements
  // (the receipts of this file) make DELTA subtract something.
  const days = [1, 7, 45, 200, 700].map((n) => dayStr(new Date(Date.now() - n * 86400000)));
  // A short staleness window, so that holdings go stale inside the demo's
  // few months of ledger and both ways' staleness rules are compared too.
  const [[maxAge]] = await sql(
    "SELECT value FROM setting WHERE name = 'stocktake_max_age_days'");
  await sql("UPDATE setting SET value = '20' WHERE name = 'stocktake_max_age_days'");
  try {
    await bothWays(days);
  } finally {
    await sql(`UPDATE setting SET value = '${maxAge}' WHERE name = 'stocktake_max_age_days'`);
  }
  // Unset, the cheaper way is chosen: DELTA for yesterday (most of the
  // demo ledger is older), and the answer is the same as either.
  const auto = await town(auditor, TOWN_A, `&as_of=${days[0]}`);
  assert.equal(auto.ledger, 'delta');
  assert.equal((await town(auditor, TOWN_A)).ledger, null);
  assert.equal((await town(auditor, TOWN_A, '&source=ledger')).ledger, 'sum');
  expectError(await auditor.get(townPath(TOWN_A, '&ledger=both')), 400, 'bad_query');
});

async function bothWays(days) {
  let emptiedSince = 0, stale = 0;
  for (const day of days) {
    const q = `&as_of=${day}`;
    for (const code of [TOWN_A, TOWN_C]) {
      const sum = await town(auditor, code, `${q}&ledger=sum`);
      const delta = await town(auditor, code, `${q}&ledger=delta`);
      assert.equal(sum.ledger, 'sum');
      assert.equal(delta.ledger, 'delta');
      assert.equal(delta.source, 'ledger');
      assert.deepEqual(comparable(delta), comparable(sum), `town ${code} as of ${day}`);
    }
    const s = await auditor.get(`/readiness/city?season=${SEASON}${q}&ledger=sum`);
    const d = await auditor.get(`/readiness/city?season=${SEASON}${q}&ledger=delta`);
    expectStatus(s, 200);
    expectStatus(d, 200);
    assert.deepEqual(comparable(d.json), comparable(s.json), `city as of ${day}`);
    stale += s.json.items.reduce((n, t) => n + t.stale_counts, 0);
    // Holdings empty today that held stock then: only DELTA's later
    // movements find them, so the comparison above covers them.
    const [[n]] = await sql(
      'SELECT COUNT(*) FROM stock s WHERE s.qty = 0 AND (SELECT SUM(m.qty) FROM movement m' +
      ` WHERE m.bin_id = s.bin_id AND m.lot_id = s.lot_id AND m.recorded_at < '${day}' + INTERVAL 1 DAY) > 0`);
    emptiedSince += Number(n);
  }
  assert.ok(emptiedSince > 0, 'no holding emptied after any of the days: DELTA\'s hard case untested');
  assert.ok(stale > 0, 'no stale holding on any of the days: the staleness rules were not compared');
}

test('summing the ledger for today gives the stock table\'s answer', async () => {
  for (const code of [TOWN_A, TOWN_C]) {
    const s = await town(auditor, code);
    const l = await town(auditor, code, '&source=ledger');
    assert.equal(s.source, 'stock');
    assert.equal(l.source, 'ledger');
    assert.deepEqual(comparable(l), comparable(s), `town ${code}: ledger and stock differ`);
  }
  const s = await auditor.get(`/readiness/city?season=${SEASON}`);
  const l = await auditor.get(`/readiness/city?season=${SEASON}&source=ledger`);
  expectStatus(s, 200);
  expectStatus(l, 200);
  assert.deepEqual(comparable(l.json), comparable(s.json), 'city: ledger and stock differ');
  // source=stock cannot answer for a past day.
  expectError(await auditor.get(townPath(TOWN_A, `&as_of=${yesterday}&source=stock`)), 400,
              'bad_query', 'source');
});

test('the city view: every town once, by risk, the same figures as the town view', async () => {
  const r = await auditor.get(`/readiness/city?season=${SEASON}`);
  expectStatus(r, 200);
  const rows = r.json.items;
  assert.equal(rows.length, 36);
  assert.equal(new Set(rows.map((x) => x.code)).size, 36);
  assert.equal(r.json.next_cursor, null);
  const rank = { red: 0, amber: 1, green: 2 };
  for (let i = 1; i < rows.length; i++) {
    const p = rows[i - 1], q = rows[i];
    assert.ok(rank[p.status] < rank[q.status] ||
              (rank[p.status] === rank[q.status] &&
               (p.min_coverage_pct ?? 1e9) <= (q.min_coverage_pct ?? 1e9)),
              `rows ${p.code} and ${q.code} are not in risk order`);
  }
  const s = r.json.summary;
  assert.equal(s.red + s.amber + s.green, 36);
  const a = await town(auditor, TOWN_A);
  const rowA = rows.find((x) => x.code === TOWN_A);
  assert.equal(rowA.status, a.status);
  assert.equal(rowA.min_coverage_pct, a.min_coverage_pct);
  assert.equal(rowA.lines_red, a.summary.red);
  assert.equal(rowA.shortfall_lines, a.summary.short);
  assert.equal(rowA.rotate, a.findings.counts.rotate);
  assert.equal(rowA.rotate, a.findings.rotate.length);
  assert.equal(rowA.quarantined, a.findings.quarantined.length);
  assert.equal(rowA.stale_counts, a.findings.stale_counts.length);
  assert.equal(rowA.assets_inspection_overdue, a.findings.counts.assets_inspection_overdue);
  for (const k of a.kits) assert.equal(rowA.kit_capacity[k.code], k.capacity);

  // ?item= ranks by that line; ?status= keeps one colour.
  const ri = await auditor.get(`/readiness/city?season=${SEASON}&item=${X.code}`);
  expectStatus(ri, 200);
  assert.equal(ri.json.item.item_code, X.code);
  for (const row of ri.json.items) assert.equal(row.line.item_code, X.code);
  assert.equal(ri.json.items.find((x) => x.code === TOWN_A).line.usable, 8);
  const red = await auditor.get(`/readiness/city?season=${SEASON}&item=${X.code}&status=red`);
  expectStatus(red, 200);
  assert.ok(red.json.items.every((x) => x.line.status === 'red'));
  assert.ok(!red.json.items.some((x) => x.code === TOWN_A)); // amber
  expectError(await auditor.get(`/readiness/city?item=${TENT}x`), 400, 'bad_query', 'item');
  expectError(await auditor.get('/readiness/city?status=blue'), 400, 'bad_query', 'status');

  // CSV: one row per town.
  const csv = await auditor.get(`/readiness/city?season=${SEASON}&format=csv`);
  expectStatus(csv, 200);
  assert.match(csv.headers.get('content-type'), /^text\/csv/);
  const lines = csv.text.trim().split('\r\n');
  assert.equal(lines.length, 37);
  assert.match(lines[0], /^as_of,code,name_zh,name_en,kind,reserve_persons,status,/);
  assert.ok(lines.some((l) => l.includes(`,${TOWN_A},`)));
});

test('kit capacity is the scarcest kit line', async () => {
  const a = await town(auditor, TOWN_A);
  assert.ok(a.kits.length >= 1, 'no kit definition (db/seed/kits.csv)');
  for (const k of a.kits) {
    const each = k.lines.map((l) => Math.floor(l.usable_in_date / l.qty_per_kit));
    assert.deepEqual(k.lines.map((l) => l.kits), each);
    assert.equal(k.capacity, Math.min(...each));
    assert.equal(k.lines.find((l) => l.item_code === k.limited_by).kits, k.capacity);
  }
});

test('reliefctl readiness prints what the API answers', async () => {
  const r = await reliefctl(['readiness', '--town', TOWN_A, '--season', String(SEASON)]);
  assert.equal(r.code, 0, r.stderr);
  const api = await town(auditor, TOWN_A);
  assert.deepEqual(comparable(JSON.parse(r.stdout)), comparable(api));
  const c = await reliefctl(['readiness', '--all', '--season', String(SEASON), '--format', 'csv']);
  assert.equal(c.code, 0, c.stderr);
  assert.equal(c.stdout.trim().split('\r\n').length, 37);
  const bad = await reliefctl(['readiness', '--town', 'NO-SUCH-TOWN']);
  assert.equal(bad.code, 2);
});

// ---------------------------------------------------------------- seasons

test('the season: declared, partly declared, default, and the coming one', async () => {
  const p = await admin.put('/flood-seasons/2032', { start: '2032-03-20' });
  expectStatus(p, 200);
  assert.equal(p.json.start_date, '2032-03-20');
  assert.equal(p.json.end_date, null);
  const list = await auditor.get('/flood-seasons');
  expectStatus(list, 200);
  const def = list.json.default;
  assert.equal(p.json.effective.end, `2032-${def.end}`);
  assert.equal(p.json.effective.basis, 'partly_declared');
  assert.ok(list.json.items.some((s) => s.year === SEASON && s.effective.basis === 'declared'));

  const a33 = await town(auditor, TOWN_A, '').then(() =>
    auditor.get(`/readiness/towns/${TOWN_A}?season=2033`));
  expectStatus(a33, 200);
  assert.equal(a33.json.season.basis, 'default');
  assert.equal(a33.json.season.start, `2033-${def.start}`);

  // The coming season of a day: the first whose end is on or after it (2025
  // was declared with an end of 27 October only).
  const d1 = await auditor.get(`/readiness/towns/${TOWN_A}?as_of=2025-06-01`);
  expectStatus(d1, 200);
  assert.equal(d1.json.season.year, 2025);
  assert.equal(d1.json.season.end, '2025-10-27');
  assert.equal(d1.json.season.start, `2025-${def.start}`);
  const d2 = await auditor.get(`/readiness/towns/${TOWN_A}?as_of=2025-10-28`);
  assert.equal(d2.json.season.year, 2026);

  expectError(await admin.put('/flood-seasons/2032', { start: '2031-03-20' }), 400, 'bad_value',
              'start');
  expectError(await admin.put('/flood-seasons/2032', { start: '2032-10-20', end: '2032-03-01' }),
              400, 'bad_value', 'end');
  expectError(await admin.put('/flood-seasons/2032', {}), 400, 'missing_field');
  expectError(await admin.put('/flood-seasons/1999', { start: '1999-04-01' }), 400, 'bad_value');
  expectError(await admin.put('/flood-seasons/2032', { start: '2032-03-20', x: 1 }), 400,
              'unknown_field', 'x');
  const [[n]] = await sql("SELECT COUNT(*) FROM audit_event WHERE action = 'flood_season.set'" +
                          " AND object_id = 'guangdong:2032'");
  assert.ok(Number(n) >= 1, 'no audit event for the season');
});

// ---------------------------------------------------------------- standards

test('standards: versions are kept, an edit is checked and audited', async () => {
  const list = await auditor.get('/standards');
  expectStatus(list, 200);
  const codes = list.json.items.map((s) => s.code);
  assert.equal(new Set(codes).size, codes.length, 'the latest-only list names a code twice');
  const tr = list.json.items.find((s) => s.code === 'town_reserve');
  assert.ok(tr.version >= 2 && tr.is_latest);
  const all = await auditor.get('/standards?all_versions=true&kind=town_reserve&limit=500');
  expectStatus(all, 200);
  const v1 = all.json.items.find((s) => s.version === 1);
  assert.ok(v1 && !v1.is_latest);
  // The old version is still what it was: no line X.
  const old = await auditor.get(`/standards/${v1.id}`);
  expectStatus(old, 200);
  assert.ok(!old.json.lines.some((l) => l.item_id === X.id));
  const cur = await auditor.get('/standards/town_reserve');
  const lx = cur.json.lines.find((l) => l.item_id === X.id);
  assert.deepEqual(lx.substitutes.map((s) => [s.item_id, s.ratio]), [[Y.id, 0.5]]);

  const lines = bodyLines(cur.json);
  const post = (body) => admin.post('/standards/town_reserve/versions', body);
  expectError(await post({ lines: [...lines, { item_id: tent.id, basis: 'per_500_persons',
                                               qty: 1 }] }),
              422, 'rule_broken', `lines[${lines.length}].item_id`);
  expectError(await post({ lines: [{ item_id: 999999999, basis: 'per_500_persons', qty: 1 }] }),
              422, 'unknown_reference', 'lines[0].item_id');
  expectError(await post({ lines: [{ item_id: tent.id, basis: 'per_team', qty: 1 }] }),
              400, 'bad_value', 'lines[0].basis');
  expectError(await post({ lines: [{ item_id: tent.id, basis: 'fixed', qty: 1,
                                     substitutes: [{ item_id: tent.id, ratio: 1 }] }] }),
              422, 'rule_broken', 'lines[0].substitutes[0].item_id');
  expectError(await post({ lines: [{ item_id: tent.id, basis: 'fixed', qty: 1,
                                     substitutes: [{ item_id: X.id, ratio: 0 }] }] }),
              400, 'bad_value', 'lines[0].substitutes[0].ratio');
  expectError(await post({ lines: [7] }), 400, 'bad_type', 'lines[0]');
  expectError(await post({ lines: [{ item_id: tent.id, basis: 'fixed', qty: 1,
                                     substitutes: [3] }] }),
              400, 'bad_type', 'lines[0].substitutes[0]');
  expectError(await post({ lines: [{ item_id: tent.id, basis: 'fixed', qty: 1, x: 1 }] }),
              400, 'unknown_field', 'lines[0].x');
  expectError(await post({ base_version: 1, lines }), 409, 'conflict');
  expectError(await post({ lines: [] }), 400, 'bad_value', 'lines');
  expectError(await admin.post('/standards/no_such_standard/versions', { lines }), 404,
              'not_found');
  // Nothing of the refused edits was written.
  const after = await auditor.get('/standards/town_reserve');
  assert.equal(after.json.version, cur.json.version);

  const [[n]] = await sql("SELECT COUNT(*) FROM audit_event WHERE action = 'standard.version'");
  assert.ok(Number(n) >= 1, 'no audit event for the new version');
});

// ---------------------------------------------------------------- teams and villages

test('a team against the standard of its kind; members without their kit', async () => {
  const teams = await whA.all(`/teams?org_unit=${TOWN_A}`);
  const team = teams.find((t) => t.kind === 'forest_semi_pro') ?? teams[0];
  assert.ok(team, 'town A has no team in the demo data');
  const r = await offA.get(`/readiness/teams/${team.id}?season=${SEASON}`);
  expectStatus(r, 200);
  const t = r.json;
  assert.equal(t.team.id, team.id);
  assert.equal(t.team.headcount, team.headcount);
  if (!t.standard) return; // a kind without a standard: nothing more to check
  assert.equal(t.standard.code, `team:${team.kind}`);
  for (const l of t.lines) {
    if (l.basis === 'per_person') {
      assert.ok(l.required >= l.qty * team.headcount && l.required < l.qty * team.headcount + 1,
                `${l.item_code}: ${l.qty} per person x ${team.headcount}`);
      const gap = Math.max(0, l.required - l.usable);
      assert.equal(l.missing_persons, Math.min(team.headcount, Math.ceil(gap / l.qty)));
    } else if (l.basis === 'per_team') {
      assert.equal(l.required, Math.ceil(l.qty));
    }
  }
  const worst = Math.max(0, ...t.lines.filter((l) => l.basis === 'per_person')
    .map((l) => l.missing_persons));
  assert.equal(t.findings.members_without_kit_max, worst);

  // Stock received into the team's depot counts for the team, not for the town.
  const deps = (await whA.all(`/depots?org_unit=${TOWN_A}&kind=team`))
    .filter((d) => d.team_id === team.id);
  const pp = t.lines.find((l) => l.basis === 'per_person');
  if (deps.length && pp) {
    const dep = await depot(whA, deps[0].code);
    const townBefore = lineOf(await town(auditor, TOWN_A), TENT).usable;
    await receiveFresh(whA, { binId: dep.bins[0].id, itemId: pp.item_id, qty: 3,
                              expiry: '2035-01-01' });
    const t2 = (await offA.get(`/readiness/teams/${team.id}?season=${SEASON}`)).json;
    assert.equal(t2.lines.find((l) => l.item_id === pp.item_id).usable_own, pp.usable_own + 3);
    assert.equal(lineOf(await town(auditor, TOWN_A), TENT).usable, townBefore);
  }
});

test('a village: the "ten haves" checklist, not answered yet', async () => {
  const vs = await offA.all(`/org-units?parent=${TOWN_A}`);
  const v = vs.find((o) => o.kind === 'village' || o.kind === 'community');
  assert.ok(v, 'town A has no village in the demo data');
  const r = await offA.get(`/readiness/villages/${v.code}`);
  expectStatus(r, 200);
  assert.equal(r.json.org_unit.code, v.code);
  assert.equal(r.json.status, 'unanswered');
  assert.equal(r.json.total, 10);
  assert.equal(r.json.checks.length, 10);
  assert.ok(r.json.checks.every((c) => c.answer === 'unanswered' && c.code && c.name_zh));
  expectError(await offB.get(`/readiness/villages/${v.code}`), 403, 'forbidden');
  expectError(await offA.get(`/readiness/villages/${TOWN_A}`), 404, 'not_found');
});

// ---------------------------------------------------------------- permissions

test('a town official reads its own town only', async () => {
  expectStatus(await offA.get(townPath(TOWN_A)), 200);
  expectStatus(await whA.get(townPath(TOWN_A)), 200);
  expectError(await offB.get(townPath(TOWN_A)), 403, 'forbidden');
  expectError(await whC.get(townPath(TOWN_A)), 403, 'forbidden');
  // The city view of a town official is the one row of its own town.
  const c = await offA.get(`/readiness/city?season=${SEASON}`);
  expectStatus(c, 200);
  assert.deepEqual(c.json.items.map((x) => x.code), [TOWN_A]);
  const teamsA = await whA.all(`/teams?org_unit=${TOWN_A}`);
  if (teamsA.length)
    expectError(await offB.get(`/readiness/teams/${teamsA[0].id}`), 403, 'forbidden');
  expectError(await offA.get(townPath('NO-SUCH-TOWN')), 404, 'not_found');
  expectError(await offA.get(townPath(TOWN_A, '&as_of=2026-02-30')), 400, 'bad_date', 'as_of');
  expectError(await offA.get(`/readiness/towns/${TOWN_A}?season=1999`), 400, 'bad_query',
              'season');
});

test('the city auditor reads everything and changes nothing', async () => {
  const c = await auditor.get(`/readiness/city?season=${SEASON}`);
  expectStatus(c, 200);
  assert.equal(c.json.items.length, 36);
  expectStatus(await auditor.get(townPath(TOWN_B)), 200);
  expectError(await move(auditor, { kind: 'receive', bin_id: binA.id, item_id: tent.id, qty: 1,
                                    lot: { lot_no: uniq('AUD') } }), 403, 'forbidden');
  expectError(await auditor.post('/standards/town_reserve/versions', { lines: [] }), 403,
              'forbidden');
  expectError(await auditor.put(`/flood-seasons/${SEASON}`, { start: SEASON_START }), 403,
              'forbidden');
  expectError(await offA.post('/standards/town_reserve/versions', { lines: [] }), 403,
              'forbidden');
  expectError(await offA.put(`/flood-seasons/${SEASON}`, { start: SEASON_START }), 403,
              'forbidden');
  // Numbers stay numbers.
  const l = lineOf(await town(auditor, TOWN_A), TENT);
  for (const k of ['required', 'usable', 'coverage_pct']) assert.equal(typeof l[k], 'number');
  assert.equal(num(l.required), 50);
});
