// map.test.mjs -- the map's GeoJSON layers (docs/map.md): their shape
// against RFC 7946 (a small validator below), what each role sees, the
// "where are the life jackets?" quantities against the database, the
// dispatch lines, the boundary import (a good file, and bad files refused
// with the reason and nothing written, over the API and `reliefctl
// map-import`), the audited point correction, and the printable PDF.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import {
  useServer, expectStatus, expectError, sql, reliefctl, API, TOWN_A, TOWN_C, CITY,
} from './lib/harness.mjs';

const h = useServer();
const TMP = mkdtempSync(join(tmpdir(), 'reliefstock-map-'));
after(() => rmSync(TMP, { recursive: true, force: true }));
const LIFE_JACKET = 'DG-FR-01';
const SHILONG = '441900102'; // 石龙镇

// ---------------------------------------------------------------- RFC 7946

function checkPosition(p, where) {
  assert.ok(Array.isArray(p) && (p.length === 2 || p.length === 3), `${where}: position ${JSON.stringify(p)}`);
  assert.ok(p.every((x) => typeof x === 'number' && Number.isFinite(x)), `${where}: numbers`);
  assert.ok(p[0] >= -180 && p[0] <= 180 && p[1] >= -90 && p[1] <= 90, `${where}: WGS84 range ${p}`);
}

function checkGeometry(g, where) {
  assert.equal(typeof g, 'object', `${where}: geometry object`);
  assert.ok(!('crs' in g), `${where}: no crs member (RFC 7946 §4)`);
  const c = g.coordinates;
  switch (g.type) {
    case 'Point': checkPosition(c, where); break;
    case 'LineString':
      assert.ok(Array.isArray(c) && c.length >= 2, `${where}: LineString of 2+ positions`);
      c.forEach((p, i) => checkPosition(p, `${where}[${i}]`));
      break;
    case 'Polygon':
      assert.ok(Array.isArray(c) && c.length >= 1, `${where}: rings`);
      for (const [k, ring] of c.entries()) {
        assert.ok(ring.length >= 4, `${where} ring ${k}: 4+ positions`);
        ring.forEach((p, i) => checkPosition(p, `${where} ring ${k}[${i}]`));
        assert.deepEqual(ring[ring.length - 1], ring[0], `${where} ring ${k}: closed`);
      }
      break;
    case 'MultiPolygon':
      c.forEach((poly, i) => checkGeometry({ type: 'Polygon', coordinates: poly }, `${where} polygon ${i}`));
      break;
    default: assert.fail(`${where}: unexpected geometry type ${g.type}`);
  }
}

function checkCollection(fc, layer) {
  assert.equal(fc.type, 'FeatureCollection', `${layer}: type`);
  assert.ok(Array.isArray(fc.features), `${layer}: features`);
  assert.ok(!('crs' in fc), `${layer}: no crs`);
  if (fc.bbox) {
    assert.equal(fc.bbox.length, 4, `${layer}: bbox of 4`);
    assert.ok(fc.bbox[0] <= fc.bbox[2] && fc.bbox[1] <= fc.bbox[3], `${layer}: bbox order`);
  }
  for (const [i, f] of fc.features.entries()) {
    assert.equal(f.type, 'Feature', `${layer}[${i}].type`);
    assert.ok('geometry' in f && 'properties' in f, `${layer}[${i}]: geometry and properties members`);
    assert.ok(f.properties === null || typeof f.properties === 'object', `${layer}[${i}].properties`);
    if (f.geometry !== null) checkGeometry(f.geometry, `${layer}[${i}]`);
  }
  return fc;
}

async function layer(client, path) {
  const r = await client.get(path);
  expectStatus(r, 200);
  return checkCollection(r.json, path);
}

const byCode = (fc) => new Map(fc.features.map((f) => [f.properties.code, f]));

// ---------------------------------------------------------------- layers

test('every layer is RFC 7946 GeoJSON; the admin sees the whole city in detail', async () => {
  const admin = await h.login('admin');
  const outline = await layer(admin, '/map/outline');
  assert.equal(outline.features.length, 1);
  assert.equal(outline.features[0].geometry.type, 'Polygon');
  assert.ok(outline.features[0].geometry.coordinates[0].length > 500, 'the generalised outline');
  const [minLon, minLat, maxLon, maxLat] = outline.bbox;
  assert.ok(minLon > 113.4 && maxLon < 114.4 && minLat > 22.5 && maxLat < 23.3, `Dongguan: ${outline.bbox}`);

  const towns = await layer(admin, '/map/towns');
  assert.ok(towns.features.length >= 36, `${towns.features.length} town-level units`);
  const withPoint = towns.features.filter((f) => f.geometry);
  assert.ok(withPoint.length >= 33);
  for (const f of towns.features) {
    const p = f.properties;
    assert.equal(f.geometry.type, 'Point');
    const [lon, lat] = f.geometry.coordinates;
    assert.ok(lon >= minLon - 0.05 && lon <= maxLon + 0.05 && lat >= minLat - 0.05 && lat <= maxLat + 0.05, `${p.code} inside the city`);
    assert.equal(p.in_scope, true);
    assert.ok(['red', 'amber', 'green'].includes(p.status), `${p.code}: status ${p.status}`);
    assert.equal(typeof p.shortfall_lines, 'number');
  }
  // The status agrees with the city readiness view (the same computation).
  const city = await admin.get('/readiness/city');
  expectStatus(city, 200);
  const tc = byCode(towns);
  for (const u of city.json.items) assert.equal(tc.get(u.code).properties.status, u.status, u.code);
  assert.equal(towns.summary.red + towns.summary.amber + towns.summary.green, city.json.items.length);
  assert.equal(tc.get(TOWN_A).properties.name_zh, '石碣镇');
  assert.equal(tc.get(TOWN_A).properties.population > 0, true);

  const depots = await layer(admin, '/map/depots');
  assert.ok(depots.features.length >= 38);
  for (const f of depots.features) {
    assert.ok(f.geometry, `${f.properties.code} has a point`);
    assert.equal(f.properties.in_scope, true);
    assert.equal(typeof f.properties.stock.items, 'number');
  }
  // Demo depots lie near their town's point (demo data places them within a few km).
  const dA = byCode(depots).get(`D-${TOWN_A}`);
  const [tlon, tlat] = tc.get(TOWN_A).geometry.coordinates;
  const [dlon, dlat] = dA.geometry.coordinates;
  const km = Math.hypot((dlon - tlon) * 111 * Math.cos(tlat * Math.PI / 180), (dlat - tlat) * 111);
  assert.ok(km < 5, `town A's depot is ${km.toFixed(1)} km from the town's point`);

  const teams = await layer(admin, '/map/teams');
  assert.ok(teams.features.length > 14);
  assert.ok(teams.features.every((f) => typeof f.properties.headcount === 'number'));
  await layer(admin, '/map/dispatches');
  await layer(admin, '/map/boundaries');

  // Bad queries are refused like everywhere else.
  expectError(await admin.get('/map/towns?status=blue'), 400, 'bad_query', 'status');
  expectError(await admin.get('/map/depots?item=NO-SUCH-ITEM'), 400, 'bad_query', 'item');
  expectError(await admin.get('/map/towns?as_of=2026-02-30'), 400, ['bad_date', 'bad_query'], 'as_of');
  expectError(await h.anon().get('/map/towns'), 401, 'unauthenticated');
});

test('where are the life jackets: usable quantity per depot, as the database has it', async () => {
  const auditor = await h.login('city-auditor');
  const fc = await layer(auditor, `/map/depots?item=${LIFE_JACKET}`);
  assert.equal(fc.item.item_code, LIFE_JACKET);
  assert.equal(fc.item.unit, '件');
  const rows = await sql(
    `SELECT d.code, COALESCE(SUM(IF(l.quarantined = 0 AND (l.expiry_date IS NULL OR l.expiry_date >= UTC_DATE()), s.qty, 0)), 0)
       FROM depot d LEFT JOIN stock s ON s.depot_id = d.id AND s.item_id = (SELECT id FROM item WHERE code = '${LIFE_JACKET}')
       LEFT JOIN lot l ON l.id = s.lot_id GROUP BY d.code`);
  const want = new Map(rows.map(([code, q]) => [code, Number(q)]));
  let holding = 0;
  for (const f of fc.features) {
    const p = f.properties;
    assert.equal(p.item_usable, want.get(p.code), `usable life jackets at ${p.code}`);
    assert.equal(p.item_available, Math.max(0, p.item_usable - p.item_reserved));
    if (p.item_available > 0) holding += 1;
  }
  assert.equal(fc.depots_holding, holding);
  assert.ok(holding >= 30, `${holding} depots hold life jackets in the demo city`);
  // Towns coloured by the life-jacket line.
  const towns = await layer(auditor, `/map/towns?item=${LIFE_JACKET}`);
  assert.equal(towns.item.item_code, LIFE_JACKET);
  for (const f of towns.features) {
    const p = f.properties;
    assert.equal(typeof p.item_required, 'number');
    assert.equal(p.item_shortfall, Math.max(0, p.item_required - p.item_usable), p.code);
  }
});

test('scope: a town official and warehouse staff see only their own town in detail', async () => {
  for (const user of [`town-${TOWN_A}`, `wh-${TOWN_A}`]) {
    const c = await h.login(user);
    const towns = await layer(c, '/map/towns');
    const detailed = towns.features.filter((f) => f.properties.status !== null);
    assert.deepEqual(detailed.map((f) => f.properties.code), [TOWN_A], user);
    for (const f of towns.features.filter((x) => x.properties.code !== TOWN_A)) {
      assert.equal(f.properties.in_scope, false);
      assert.ok(!('min_coverage_pct' in f.properties) && !('shortfall_lines' in f.properties), `${user}: no readiness of ${f.properties.code}`);
    }
    // Depots in detail: exactly the ones GET /depots (scope-filtered) lists.
    const own = new Set((await c.all('/depots')).map((d) => d.code));
    const depots = await layer(c, `/map/depots?item=${LIFE_JACKET}`);
    const inScope = depots.features.filter((f) => f.properties.in_scope).map((f) => f.properties.code);
    assert.deepEqual(new Set(inScope), own, user);
    assert.ok(own.has(`D-${TOWN_A}`));
    for (const f of depots.features) {
      const p = f.properties;
      if (p.in_scope) {
        assert.equal(typeof p.stock.holdings, 'number');
        assert.equal(typeof p.item_available, 'number');
      } else {
        assert.ok(!('stock' in p) && !('item_available' in p) && !('item_usable' in p), `${user} sees no stock of ${p.code}`);
      }
    }
    assert.ok(depots.depots_holding <= own.size);
    const teams = await layer(c, '/map/teams');
    for (const f of teams.features)
      assert.equal('headcount' in f.properties, f.properties.in_scope, `${user}: headcount of ${f.properties.code}`);
  }
});

test('dispatches: one line per source depot, coloured by state, seen by both ends only', async () => {
  const [[admId]] = await sql("SELECT id FROM app_user WHERE username = 'admin'");
  await sql(`INSERT INTO dispatch (to_depot_id, status, note, created_by)
             SELECT id, 'allocated', 'map.test', ${admId} FROM depot WHERE code = 'D-${TOWN_A}'`);
  const [[did]] = await sql("SELECT MAX(id) FROM dispatch WHERE note = 'map.test'");
  try {
    await sql(`INSERT INTO dispatch_line (dispatch_id, depot_id, item_id, qty_allocated)
               SELECT ${did}, d.id, i.id, 12 FROM depot d, item i
               WHERE d.code IN ('D-${CITY}-1', 'D-${SHILONG}') AND i.code = '${LIFE_JACKET}'`);
    const admin = await h.login('admin');
    const fc = await layer(admin, '/map/dispatches');
    const mine = fc.features.filter((f) => f.properties.dispatch_id === Number(did));
    assert.equal(mine.length, 2, 'one line per source depot');
    const depots = byCode(await layer(admin, '/map/depots'));
    for (const f of mine) {
      const p = f.properties;
      assert.equal(f.geometry.type, 'LineString');
      assert.deepEqual(f.geometry.coordinates[0], depots.get(p.from_depot_code).geometry.coordinates);
      assert.deepEqual(f.geometry.coordinates[1], depots.get(`D-${TOWN_A}`).geometry.coordinates);
      assert.equal(p.to_depot_code, `D-${TOWN_A}`);
      assert.equal(p.state, 'allocated');
      assert.equal(p.qty_allocated, 12);
    }
    // The destination's official sees both; town C's official sees neither;
    // 石龙's official sees the dispatch as one of its sources.
    const seen = async (user) => (await layer(await h.login(user), '/map/dispatches')).features
      .filter((f) => f.properties.dispatch_id === Number(did)).length;
    assert.equal(await seen(`town-${TOWN_A}`), 2);
    assert.equal(await seen(`town-${TOWN_C}`), 0);
    assert.ok(await seen(`town-${SHILONG}`) >= 1);
    // Closed or cancelled dispatches leave the default layer.
    await sql(`UPDATE dispatch SET status = 'cancelled' WHERE id = ${did}`);
    assert.equal((await layer(admin, '/map/dispatches')).features.filter((f) => f.properties.dispatch_id === Number(did)).length, 0);
    const all = await layer(admin, '/map/dispatches?status=all');
    assert.ok(all.features.some((f) => f.properties.dispatch_id === Number(did) && f.properties.state === 'cancelled'));
  } finally {
    await sql(`DELETE FROM dispatch_line WHERE dispatch_id = ${did}`);
    await sql(`DELETE FROM dispatch WHERE id = ${did}`);
  }
});

// ---------------------------------------------------------------- import

// A small square (a town boundary stand-in) around a point, counter-clockwise.
// Coordinates to 6 decimals (about 0.1 m), as boundary files carry them.
function square(lon, lat, d = 0.01) {
  const r = (v) => Math.round(v * 1e6) / 1e6;
  const [w, e, s, n] = [r(lon - d), r(lon + d), r(lat - d), r(lat + d)];
  return [[[w, s], [e, s], [e, n], [w, n], [w, s]]];
}
const feature = (props, geometry) => ({ type: 'Feature', properties: props, geometry });
const fcOf = (...features) => ({ type: 'FeatureCollection', features });

async function boundaryState() {
  return sql('SELECT COUNT(*), COALESCE(SUM(CRC32(geometry)), 0) FROM org_unit_boundary');
}

test('a bad boundary file is refused with the reason and changes nothing', async () => {
  const admin = await h.login('admin');
  const towns = byCode(await layer(admin, '/map/towns'));
  const [lon, lat] = towns.get(TOWN_A).geometry.coordinates;
  const good = feature({ code: TOWN_A }, { type: 'Polygon', coordinates: square(lon, lat) });
  const before = await boundaryState();
  const audits = await sql("SELECT COUNT(*) FROM audit_event WHERE action = 'map.boundaries_import'");
  const cases = [
    ['not_closed', fcOf(good, feature({ name_zh: '石龙镇' }, { type: 'Polygon', coordinates: [[[lon, lat], [lon + 0.01, lat], [lon + 0.01, lat + 0.01], [lon, lat + 0.011]]] })), /feature 1 \(石龙镇\), ring 0: .*not closed/],
    ['self_intersection', fcOf(feature({ code: TOWN_A }, { type: 'Polygon', coordinates: [[[lon, lat], [lon + 0.01, lat], [lon, lat + 0.01], [lon + 0.01, lat + 0.01], [lon, lat]]] })), /feature 0.*ring 0: the ring crosses itself/],
    ['out_of_range', fcOf(feature({ code: TOWN_A }, { type: 'Polygon', coordinates: [[[12656000, 2634000], [12666000, 2634000], [12666000, 2644000], [12656000, 2634000]]] })), /WGS84/],
    ['wrong_type', fcOf(feature({ code: TOWN_A }, { type: 'Point', coordinates: [lon, lat] })), /Point is not an area/],
    ['empty', fcOf(), /no features/],
    ['too_few_positions', fcOf(feature({ code: TOWN_A }, { type: 'Polygon', coordinates: [[[lon, lat], [lon + 0.01, lat], [lon, lat]]] })), /at least 4 positions/],
    ['out_of_area', fcOf(feature({ code: TOWN_A }, { type: 'Polygon', coordinates: square(116.4, 39.9) })), /feature 0 \(441900101\): outside the city/],
    ['unmatched', fcOf(good, feature({ code: '110101001', name_zh: '东华门街道' }, { type: 'Polygon', coordinates: square(lon + 0.05, lat) })), /feature 1 \(东华门街道\): no town-level unit matches/],
    ['duplicate', fcOf(good, feature({ name_zh: '石碣镇' }, { type: 'Polygon', coordinates: square(lon, lat, 0.02) })), /features 0 and 1 are both town/],
  ];
  for (const [check, body, reason] of cases) {
    const e = expectError(await admin.post('/map/boundaries', body), 400, 'bad_geojson');
    assert.ok(e.message.includes(`[${check}]`), `${check}: ${e.message}`);
    assert.match(e.message, reason, check);
  }
  // Not a GeoJSON object at all.
  expectError(await admin.post('/map/boundaries', { features: [] }), 400, 'bad_geojson');
  // Only an administrator imports.
  expectError(await (await h.login('city-auditor')).post('/map/boundaries', fcOf(good)), 403, 'forbidden');
  expectError(await (await h.login(`town-${TOWN_A}`)).post('/map/boundaries', fcOf(good)), 403, 'forbidden');

  // The command line refuses the same way (exit 2) and writes nothing.
  const bad = join(TMP, 'bowtie.geojson');
  writeFileSync(bad, JSON.stringify(cases[1][1]));
  const r = await reliefctl(['map-import', bad]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /crosses itself.*\[self_intersection\].*nothing was written/s);
  const notJson = join(TMP, 'broken.geojson');
  writeFileSync(notJson, '{"type": "FeatureCollection", "features": [');
  const r2 = await reliefctl(['map-import', notJson]);
  assert.equal(r2.code, 2);
  assert.match(r2.stderr, /not JSON/);

  assert.deepEqual(await boundaryState(), before, 'nothing written');
  assert.deepEqual(await sql("SELECT COUNT(*) FROM audit_event WHERE action = 'map.boundaries_import'"), audits);
});

test('a good boundary file is imported, matched by code and by name, and audited', async () => {
  const admin = await h.login('admin');
  const towns = byCode(await layer(admin, '/map/towns'));
  const [alon, alat] = towns.get(TOWN_A).geometry.coordinates;
  const [slon, slat] = towns.get(SHILONG).geometry.coordinates;
  const body = fcOf(
    feature({ code: TOWN_A, name_zh: '石碣镇' }, { type: 'Polygon', coordinates: square(alon, alat) }),
    feature({ name_zh: '石龙镇' }, { type: 'MultiPolygon', coordinates: [square(slon, slat, 0.008), square(slon + 0.03, slat, 0.004)] }));
  const r = await admin.post('/map/boundaries?source=map.test%20official%20file', body);
  expectStatus(r, 201);
  assert.equal(r.json.imported, 2);
  assert.deepEqual(r.json.towns.map((t) => [t.code, t.matched_by]), [[TOWN_A, 'code'], [SHILONG, 'name_zh']]);
  assert.equal(r.json.rings, 3);
  const b = await layer(admin, '/map/boundaries');
  const bb = byCode(b);
  assert.deepEqual(bb.get(TOWN_A).geometry, body.features[0].geometry);
  assert.equal(bb.get(SHILONG).geometry.type, 'MultiPolygon');
  assert.equal(bb.get(TOWN_A).properties.source, 'map.test official file');
  const t2 = byCode(await layer(admin, '/map/towns'));
  assert.equal(t2.get(TOWN_A).properties.has_boundary, true);
  const [[n, detail]] = await sql("SELECT COUNT(*), MAX(detail) FROM audit_event WHERE action = 'map.boundaries_import'");
  assert.ok(Number(n) >= 1);
  assert.match(detail, /map\.test official file/);

  // Importing again replaces a town's boundary (no second row).
  const again = fcOf(feature({ code: TOWN_A }, { type: 'Polygon', coordinates: square(alon, alat, 0.015) }));
  const file = join(TMP, 'a.geojson');
  writeFileSync(file, JSON.stringify(again));
  const cli = await reliefctl(['map-import', file, '--source', 'map.test cli']);
  assert.equal(cli.code, 0, cli.stderr);
  assert.equal(JSON.parse(cli.stdout).imported, 1);
  const [[rows, src]] = await sql(`SELECT COUNT(*), MAX(b.source) FROM org_unit_boundary b JOIN org_unit o ON o.id = b.org_unit_id WHERE o.code = '${TOWN_A}'`);
  assert.equal(rows, '1');
  assert.equal(src, 'map.test cli');
});

test('the seed checks the outline like an import: a damaged file stops it', async () => {
  const dir = join(TMP, 'seed');
  cpSync(fileURLToPath(new URL('../../db/seed/', import.meta.url)), dir, { recursive: true });
  const f = join(dir, 'dongguan_outline.geojson');
  const doc = JSON.parse(readFileSync(f, 'utf8'));
  const ring = doc.features[0].geometry.coordinates[0];
  [ring[10], ring[11]] = [ring[11], ring[10]]; // two vertices swapped: the ring crosses itself
  writeFileSync(f, JSON.stringify(doc));
  const r = await reliefctl(['seed', '--dir', dir]);
  assert.notEqual(r.code, 0, r.stderr);
  assert.match(r.stderr, /dongguan_outline\.geojson: feature 0 \(东莞市\), ring 0: the ring crosses itself/);
  assert.match(r.stderr, /nothing was written/);
  // The shipped file passes, and a second seed keeps the outline as it is.
  const ok = await reliefctl(['seed']);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stderr, /map outline +1 +\(already present, kept\)/);
});

// ---------------------------------------------------------------- point correction

test('an administrator corrects a point; it is audited; others may not; out of the city is refused', async () => {
  const admin = await h.login('admin');
  const [[oldLat, oldLon]] = await sql(`SELECT lat, lon FROM org_unit WHERE code = '${TOWN_C}'`);
  const newLat = Number(oldLat) + 0.002;
  const newLon = Number(oldLon) - 0.003;
  try {
    const r = await admin.patch(`/org-units/${TOWN_C}/point`, { lat: newLat, lon: newLon, reason: 'seat of the subdistrict office' });
    expectStatus(r, 200);
    assert.equal(Number(r.json.lat), Number(newLat.toFixed(6)));
    assert.equal(Number(r.json.lon), Number(newLon.toFixed(6)));
    const t = byCode(await layer(admin, '/map/towns')).get(TOWN_C);
    assert.deepEqual(t.geometry.coordinates, [Number(newLon.toFixed(6)), Number(newLat.toFixed(6))]);
    const [[detail]] = await sql("SELECT detail FROM audit_event WHERE action = 'org_unit.point' ORDER BY id DESC LIMIT 1");
    const d = JSON.parse(detail);
    assert.equal(d.code, TOWN_C);
    assert.equal(Number(d.old_lat), Number(oldLat));
    assert.equal(d.reason, 'seat of the subdistrict office');

    expectError(await (await h.login(`town-${TOWN_C}`)).patch(`/org-units/${TOWN_C}/point`, { lat: newLat, lon: newLon }), 403, 'forbidden');
    expectError(await (await h.login('city-auditor')).patch(`/org-units/${TOWN_C}/point`, { lat: newLat, lon: newLon }), 403, 'forbidden');
    expectError(await admin.patch(`/org-units/${TOWN_C}/point`, { lat: newLon, lon: newLat }), 400, 'bad_value', 'lat');
    expectError(await admin.patch(`/org-units/${TOWN_C}/point`, { lat: 39.9, lon: 116.4 }), 422, 'out_of_area');
    expectError(await admin.patch(`/org-units/${TOWN_C}/point`, { lat: 23 }), 400, 'missing_field', 'lon');
    expectError(await admin.patch('/org-units/999999999/point', { lat: 23, lon: 113.7 }), 404);
  } finally {
    const back = await admin.patch(`/org-units/${TOWN_C}/point`, { lat: Number(oldLat), lon: Number(oldLon), reason: 'map.test: restore' });
    expectStatus(back, 200);
  }
});

// ---------------------------------------------------------------- printable

test('the printable map is a PDF with the Chinese town names and the legend', async () => {
  for (const user of ['city-auditor', `town-${TOWN_A}`]) {
    const c = await h.login(user);
    const res = await fetch(`${c.base}${API}/map.pdf`, { headers: c.authHeaders() });
    assert.equal(res.status, 200, user);
    assert.equal(res.headers.get('content-type'), 'application/pdf');
    const buf = Buffer.from(await res.arrayBuffer());
    assert.equal(buf.subarray(0, 5).toString(), '%PDF-');
    const f = join(TMP, `map-${user}.pdf`);
    writeFileSync(f, buf);
    const text = execFileSync('pdftotext', ['-enc', 'UTF-8', f, '-'], { encoding: 'utf8' });
    assert.match(text, /应急一张图/, user);
    assert.match(text, /石碣/, user);
    assert.match(text, /达标/, user);
    assert.match(text, /不足/, user);
    if (user === 'city-auditor') assert.match(text, /石龙/);
  }
});
