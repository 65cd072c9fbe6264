// equipment.test.mjs -- assets out to teams and people and back, service
// records, repair and retirement, maintenance rules and the due lists
// (docs/purchasing.md, "Equipment").
//
// Two megaphones of town A's depot: the first is made overdue for
// inspection, shows up in readiness and in the overdue list, is checked out
// by scanning its label, refused a second check-out, checked in "fair", then
// inspected -- which moves inspection_due and takes it off both lists.  The
// second goes to repair (check-out refused), comes back, and is retired.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';

import {
  useServer, expectStatus, expectError, reliefctl, sql, uniq, TOWN_A, TOWN_B,
} from './lib/harness.mjs';

const h = useServer();
const ITEM = 'DG-CM-01'; // megaphone: serial-tracked, catalogue inspection every 90 days

let admin, whA, offA, whB, auditor;
let assetX, assetY, teamA, today, label;

const plusDays = (d, n) => {
  const t = new Date(`${d}T00:00:00Z`);
  t.setUTCDate(t.getUTCDate() + n);
  return t.toISOString().slice(0, 10);
};

async function readinessAssets() {
  const r = await offA.get(`/readiness/towns/${TOWN_A}`);
  expectStatus(r, 200);
  return r.json.findings.assets;
}

before(async () => {
  admin = await h.login('admin');
  auditor = await h.login('city-auditor');
  whA = await h.login(`wh-${TOWN_A}`);
  offA = await h.login(`town-${TOWN_A}`);
  whB = await h.login(`wh-${TOWN_B}`);
  [[today]] = await sql('SELECT CURDATE()');
  const rows = await sql(`SELECT a.id FROM asset a JOIN depot d ON d.id = a.depot_id
    JOIN item i ON i.id = a.item_id WHERE d.code = 'D-${TOWN_A}' AND i.code = '${ITEM}'
    AND a.status = 'in_service' AND NOT EXISTS (SELECT 1 FROM asset_checkout c
    WHERE c.open_asset_id = a.id) ORDER BY a.id LIMIT 2`);
  assert.equal(rows.length, 2, `two free ${ITEM} in D-${TOWN_A} (demo data)`);
  [assetX, assetY] = rows.map((r) => Number(r[0]));
  [[teamA]] = await sql(`SELECT t.id FROM team t JOIN org_unit o ON o.id = t.org_unit_id
                         WHERE o.code = '${TOWN_A}' ORDER BY t.id LIMIT 1`);
  teamA = Number(teamA);
  // The fixture: X is 10 days late for its inspection.
  await sql(`UPDATE asset SET inspection_due = DATE_SUB(CURDATE(), INTERVAL 10 DAY)
             WHERE id = ${assetX}`);
});

test('an overdue asset is in readiness and in the overdue list', async () => {
  const ra = await readinessAssets();
  const f = ra.find((a) => a.asset_id === assetX);
  assert.ok(f, 'readiness lists the overdue asset');
  assert.equal(Number(f.is_inspection_overdue), 1);
  const due = await offA.all(`/equipment/due?town=${TOWN_A}&overdue=true`);
  const d = due.find((a) => a.id === assetX);
  assert.ok(d, 'the overdue list has it');
  assert.equal(Number(d.inspection_overdue), 1);
  assert.ok(Number(d.days_left) < 0);
  // Town B sees nothing of town A's list.
  const dueB = await whB.all(`/equipment/due?overdue=true&days=3650`);
  assert.ok(!dueB.some((a) => a.id === assetX));
  const csv = await offA.get(`/equipment/due?town=${TOWN_A}&overdue=true&format=csv`);
  expectStatus(csv, 200);
  assert.match(csv.headers.get('content-type'), /text\/csv/);
  assert.ok(csv.text.split('\n')[0].startsWith('id,serial_no,'));
  const cli = await reliefctl(['equipment', 'due', '--town', TOWN_A, '--days', '0',
                               '--format', 'json']);
  assert.equal(cli.code, 0, cli.stderr);
  assert.ok(JSON.parse(cli.stdout).items.some((a) => a.id === assetX));
  const cliCsv = await reliefctl(['equipment', 'due', '--town', TOWN_A, '--format', 'csv']);
  assert.equal(cliCsv.code, 0, cliCsv.stderr);
  assert.ok(cliCsv.stdout.split('\n').some((l) => l.startsWith(`${assetX},`)));
  expectError(await offA.get('/equipment/due?days=-3'), 400, 'bad_query');
  const bad = await reliefctl(['equipment', 'due', '--format', 'yaml']);
  assert.equal(bad.code, 2);
});

test('check-out by scanning the asset label; again is refused; check-in', async () => {
  const lr = await whA.post('/labels', { targets: [{ kind: 'asset', asset_id: assetX }] });
  expectStatus(lr, [200, 201]);
  label = lr.json.labels[0].code;

  // Bad input and scope first: nothing changes.
  expectError(await whA.post(`/assets/${label}/checkout`, {}), 400, 'missing_field');
  expectError(await whA.post(`/assets/${label}/checkout`, { person_name: 'x', condition: 'new' }),
              400, 'bad_value', 'condition');
  expectError(await whA.post(`/assets/${label}/checkout`, { team_id: 99999999 }), 422,
              'unknown_reference', 'team_id');
  expectError(await whB.post(`/assets/${assetX}/checkout`, { person_name: '张三' }), 403);
  expectError(await auditor.post(`/assets/${assetX}/checkout`, { person_name: '张三' }), 403);
  expectError(await whA.post('/assets/99999999/checkout', { person_name: '张三' }), 404);
  const [[n0]] = await sql(`SELECT COUNT(*) FROM asset_checkout WHERE asset_id = ${assetX}`);

  let r = await whA.post(`/assets/${label}/checkout`, {
    team_id: teamA, due_back: plusDays(today, 7), condition: 'good', note: 'typhoon drill',
  });
  expectStatus(r, 200);
  assert.equal(r.json.id, assetX);
  assert.equal(r.json.out_team_id, teamA);
  const [[n1]] = await sql(`SELECT COUNT(*) FROM asset_checkout WHERE asset_id = ${assetX}`);
  assert.equal(Number(n1), Number(n0) + 1);

  const again = expectError(await whA.post(`/assets/${assetX}/checkout`,
                                            { person_name: '李四' }), 409, 'already_checked_out');
  assert.match(again.message, /already checked out/);
  assert.match(again.message, /check it in first/);
  // Out assets cannot go to repair or be retired either.
  expectError(await whA.post(`/assets/${assetX}/repair`), 409, 'checked_out');

  const open = await whA.all(`/asset-checkouts?open=true&asset=${assetX}`);
  assert.equal(open.length, 1);
  assert.equal(open[0].team_id, teamA);

  expectError(await whA.post(`/assets/${label}/checkin`, { condition: 'broken' }), 400,
              'bad_value', 'condition');
  r = await whA.post(`/assets/${label}/checkin`, { condition: 'fair', note: 'scratched' });
  expectStatus(r, 200);
  assert.equal(r.json.checkout_id, null);
  assert.equal(r.json.status, 'in_service');
  expectError(await whA.post(`/assets/${label}/checkin`, { condition: 'good' }), 409,
              'not_checked_out');
  const hist = await whA.get(`/assets/${assetX}/services`);
  expectStatus(hist, 200);
  assert.equal(hist.json.checkouts[0].condition_in, 'fair');
  assert.equal(hist.json.checkouts[0].condition_out, 'good');
  const [[ev]] = await sql(`SELECT COUNT(*) FROM audit_event WHERE object_type = 'asset'
                            AND object_id = '${assetX}' AND action IN ('asset.checkout',
                            'asset.checkin')`);
  assert.ok(Number(ev) >= 2);
});

test('an inspection moves inspection_due and clears the readiness finding', async () => {
  expectError(await whA.post(`/assets/${assetX}/services`, { kind: 'repair' }), 400, 'bad_value',
              'kind');
  expectError(await whA.post(`/assets/${assetX}/services`,
                             { kind: 'inspection', done_at: plusDays(today, 2) }),
              400, 'bad_date', 'done_at');
  const r = await whA.post(`/assets/${assetX}/services`, {
    kind: 'inspection', result: 'ok', note: '外观、电池、音量正常',
  });
  expectStatus(r, 201);
  // No inspection rule for megaphones: the catalogue's 90 days.
  assert.equal(r.json.inspection_due, plusDays(today, 90));
  assert.equal(r.json.service.next_due, plusDays(today, 90));
  const ra = await readinessAssets();
  assert.ok(!ra.some((a) => a.asset_id === assetX), 'readiness no longer lists it');
  const due = await offA.all(`/equipment/due?town=${TOWN_A}&overdue=true`);
  assert.ok(!due.some((a) => a.id === assetX), 'nor does the overdue list');
  const soon = await offA.all(`/equipment/due?town=${TOWN_A}&days=120`);
  assert.ok(soon.some((a) => a.id === assetX), 'it is due within 120 days');

  // A rule overrides the catalogue: only an admin sets it.
  const [[itemId]] = await sql(`SELECT id FROM item WHERE code = '${ITEM}'`);
  const rule = { item_id: Number(itemId), kind: 'test_run', interval_days: 45,
                 description_zh: '每45天开机试喊', description_en: 'Power-on test every 45 days' };
  expectError(await whA.post('/maintenance-rules', rule), 403);
  expectError(await admin.post('/maintenance-rules', { ...rule, interval_days: 0 }), 400,
              'bad_value', 'interval_days');
  expectStatus(await admin.post('/maintenance-rules', rule), 200);
  const rules = await whA.all(`/maintenance-rules?item=${ITEM}`);
  assert.ok(rules.some((x) => x.kind === 'test_run' && x.interval_days === 45));
  assert.ok(rules.some((x) => x.kind === 'inspection' && x.source === 'catalogue'));
  const t = await whA.post(`/assets/${assetX}/services`,
                           { kind: 'test_run', done_at: plusDays(today, -5) });
  expectStatus(t, 201);
  assert.equal(t.json.maintenance_due, plusDays(today, 40));

  // A failed inspection sends the asset to repair (readiness reports it).
  const f = await whA.post(`/assets/${assetX}/services`, { kind: 'inspection', result: 'failed' });
  expectStatus(f, 201);
  assert.equal(f.json.status, 'under_repair');
  assert.equal(f.json.inspection_due, plusDays(today, 90), 'a failed check moves no date');
  const ra2 = await readinessAssets();
  assert.equal(Number(ra2.find((a) => a.asset_id === assetX)?.is_under_repair), 1);
  expectStatus(await whA.post(`/assets/${assetX}/repair-done`, { note: 'battery replaced' }), 200);
});

test('under repair and retired assets cannot be checked out', async () => {
  let r = await whA.post(`/assets/${assetY}/repair`, { note: 'cracked horn' });
  expectStatus(r, 200);
  assert.equal(r.json.status, 'under_repair');
  const e = expectError(await whA.post(`/assets/${assetY}/checkout`, { person_name: '王五' }), 409,
                        'asset_unavailable');
  assert.match(e.message, /under repair/);
  expectError(await whA.post(`/assets/${assetY}/repair`), 409, 'conflict');
  const ra = await readinessAssets();
  assert.equal(Number(ra.find((a) => a.asset_id === assetY)?.is_under_repair), 1);

  r = await whA.post(`/assets/${assetY}/repair-done`);
  expectStatus(r, 200);
  assert.equal(r.json.status, 'in_service');
  expectError(await whA.post(`/assets/${assetY}/repair-done`), 409, 'conflict');

  // Retiring needs a reason and an official.
  expectError(await whA.post(`/assets/${assetY}/retire`, { note: 'old' }), 403);
  expectError(await offA.post(`/assets/${assetY}/retire`, { note: '' }), 400, 'missing_field');
  r = await offA.post(`/assets/${assetY}/retire`, { note: 'beyond repair ' + uniq('R') });
  expectStatus(r, 200);
  assert.equal(r.json.status, 'retired');
  const e2 = expectError(await whA.post(`/assets/${assetY}/checkout`, { person_name: '王五' }),
                         409, 'asset_unavailable');
  assert.match(e2.message, /retired/);
  expectError(await whA.post(`/assets/${assetY}/services`, { kind: 'inspection' }), 409,
              'asset_unavailable');
  const hist = await offA.get(`/assets/${assetY}/services`);
  assert.deepEqual(hist.json.services.map((s) => s.kind).sort(),
                   ['repair', 'repair_done', 'retire']);
});

test('a damaged return goes to repair', async () => {
  let r = await whA.post(`/assets/${assetX}/checkout`, { person_name: '赵六' });
  expectStatus(r, 200);
  r = await whA.post(`/assets/${assetX}/checkin`, { condition: 'damaged', note: 'dropped' });
  expectStatus(r, 200);
  assert.equal(r.json.status, 'under_repair');
  expectStatus(await whA.post(`/assets/${assetX}/repair-done`), 200);
  const checkouts = await offA.all(`/asset-checkouts?asset=${assetX}`);
  assert.ok(checkouts.length >= 2);
  assert.ok(checkouts.every((c) => c.returned_at !== null));
});

test('two check-outs of one asset at the same moment: exactly one wins', async () => {
  const [[free]] = await sql(`SELECT a.id FROM asset a JOIN depot d ON d.id = a.depot_id
    WHERE d.code = 'D-${TOWN_A}' AND a.status = 'in_service' AND a.id NOT IN (${assetX}, ${assetY})
    AND NOT EXISTS (SELECT 1 FROM asset_checkout c WHERE c.open_asset_id = a.id)
    ORDER BY a.id LIMIT 1`);
  const id = Number(free);
  const [r1, r2] = await Promise.all([
    whA.post(`/assets/${id}/checkout`, { person_name: '甲' }),
    offA.post(`/assets/${id}/checkout`, { team_id: teamA }),
  ]);
  const statuses = [r1.status, r2.status].sort();
  assert.deepEqual(statuses, [200, 409], `one check-out, one refusal: ${r1.text} / ${r2.text}`);
  const loser = r1.status === 409 ? r1 : r2;
  assert.equal(loser.json.error.code, 'already_checked_out');
  const open = await whA.all(`/asset-checkouts?open=true&asset=${id}`);
  assert.equal(open.length, 1);
  expectStatus(await whA.post(`/assets/${id}/checkin`, { condition: 'good' }), 200);
});
