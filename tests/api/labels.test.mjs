// labels.test.mjs -- QR labels as records (docs/api.md, "Labels (QR)"):
// creating them (one active label per object, idempotent, race-safe),
// resolving a scanned code, void and replacement, reprint, scope, the print
// queue filled on receipt when a depot asks for it, and the label images.
//
// Everything happens on bins and lots this file creates, so it can run again
// on the same database.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';

import {
  useServer, expectStatus, expectError, item, depot, receiveFresh, sql, uniq, sendRaw,
  TOWN_A, TOWN_B, TENT,
} from './lib/harness.mjs';

const h = useServer();
let admin, auditor, whA, whB, offA, tent, depA, binL, binR, binV, lotL;

// ---------------------------------------------------------------- codes
// The same code as labels/src/code.c: 26 Crockford base-32 digits of a UUID
// (the first carries 3 bits) and a Luhn mod 32 check character.
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const CODE_RE = /^[0-9A-HJKMNP-TV-Z]{27}$/;

function luhn32(v) {
  let sum = 0;
  let factor = 2;
  for (let i = v.length - 1; i >= 0; i--) {
    const add = factor * v[i];
    factor = factor === 2 ? 1 : 2;
    sum += Math.floor(add / 32) + (add % 32);
  }
  return (32 - (sum % 32)) % 32;
}

function randomCode() {
  const v = [randomInt(8)];
  for (let i = 1; i < 26; i++) v.push(randomInt(32));
  v.push(luhn32(v));
  return v.map((d) => ALPHABET[d]).join('');
}

// One character changed to another symbol: the check character must refuse it.
function typo(code, at = 5) {
  const c = code[at];
  const other = ALPHABET[(ALPHABET.indexOf(c) + 7) % 32];
  return code.slice(0, at) + other + code.slice(at + 1);
}

async function newBin(client, dep, prefix) {
  const r = await client.post(`/depots/${dep.id}/bins`, { code: uniq(prefix).slice(0, 30) });
  expectStatus(r, 201);
  return r.json;
}

async function createLabels(client, targets, status = 201) {
  const r = await client.post('/labels', { targets });
  expectStatus(r, status);
  return r;
}

async function labelCount() {
  return Number((await sql('SELECT COUNT(*) FROM label'))[0][0]);
}

const LABEL_KEYS = ['code', 'kind', 'status', 'url', 'depot_id', 'depot_code', 'bin_id',
  'bin_code', 'lot_id', 'lot_no', 'asset_id', 'serial_no', 'item_id', 'item_code',
  'item_name_zh', 'item_name_en', 'expiry_date', 'replaced_by', 'print_count', 'created_at',
  'created'];

before(async () => {
  admin = await h.login('admin');
  auditor = await h.login('city-auditor');
  whA = await h.login(`wh-${TOWN_A}`);
  whB = await h.login(`wh-${TOWN_B}`);
  offA = await h.login(`town-${TOWN_A}`);
  tent = await item(whA, TENT);
  depA = await depot(whA, `D-${TOWN_A}`);
  binL = await newBin(whA, depA, 'LBL');
  binR = await newBin(whA, depA, 'LBR');
  binV = await newBin(whA, depA, 'LBV');
  lotL = (await receiveFresh(whA, { binId: binL.id, itemId: tent.id, qty: 12 })).lotId;
});

// ---------------------------------------------------------------- create

test('labels for a lot in a bin, a bin and a depot; asking again gives the same codes', async () => {
  const targets = [
    { kind: 'lot', lot_id: lotL, bin_id: binL.id },
    { kind: 'bin', bin_id: binL.id },
    { kind: 'depot', depot_id: depA.id },
  ];
  const first = (await createLabels(whA, targets)).json.labels;
  assert.equal(first.length, 3);
  const [lot, bin, dep] = first;
  for (const l of first) {
    for (const k of LABEL_KEYS) assert.ok(k in l, `label has no ${k}: ${JSON.stringify(l)}`);
    assert.match(l.code, CODE_RE);
    assert.equal(l.status, 'active');
    // the default RELIEF_PUBLIC_BASE, http://127.0.0.1:<port>, upper-cased for QR alphanumeric mode
    assert.match(l.url, new RegExp(`^HTTP://127\\.0\\.0\\.1:\\d+/L/${l.code}$`));
    assert.equal(l.depot_id, depA.id);
    assert.equal(l.depot_code, depA.code);
    assert.equal(l.replaced_by, null);
  }
  assert.equal(lot.kind, 'lot');
  assert.equal(lot.created, true);
  assert.equal(lot.lot_id, lotL);
  assert.equal(lot.bin_id, binL.id);
  assert.equal(lot.bin_code, binL.code);
  assert.equal(lot.item_code, TENT);
  assert.equal(lot.item_id, tent.id);
  assert.equal(lot.expiry_date, '2031-06-30');
  assert.equal(lot.asset_id, null);
  assert.equal(lot.print_count, 0);
  assert.equal(bin.kind, 'bin');
  assert.equal(bin.created, true);
  assert.equal(bin.lot_id, null);
  assert.equal(bin.item_code, null);
  assert.equal(dep.kind, 'depot');
  assert.equal(typeof dep.created, 'boolean'); // the depot may be labelled by an earlier run
  assert.equal(dep.bin_id, null);
  assert.equal(new Set(first.map((l) => l.code)).size, 3);

  const again = (await createLabels(whA, targets)).json.labels;
  assert.deepEqual(again.map((l) => l.code), first.map((l) => l.code));
  assert.deepEqual(again.map((l) => l.created), [false, false, false]);

  // the same target twice in one request: one label
  const twice = (await createLabels(whA, [targets[0], targets[0]])).json.labels;
  assert.equal(twice[0].code, lot.code);
  assert.equal(twice[1].code, lot.code);

  // the list finds it, with its url
  const rows = await whA.all(`/labels?kind=lot&lot=${lotL}&depot=${depA.code}`);
  assert.deepEqual(rows.map((l) => l.code), [lot.code]);
  assert.equal(rows[0].url, lot.url);
});

test('concurrent requests for one new object all get the same single label', async () => {
  const b = await newBin(whA, depA, 'LBC');
  const answers = await Promise.all(Array.from({ length: 8 }, () =>
    whA.post('/labels', { targets: [{ kind: 'bin', bin_id: b.id }] })));
  for (const r of answers) expectStatus(r, 201);
  const labels = answers.map((r) => r.json.labels[0]);
  assert.equal(new Set(labels.map((l) => l.code)).size, 1, 'more than one code for one bin');
  assert.equal(labels.filter((l) => l.created).length, 1, 'exactly one request created it');
  const n = await sql(`SELECT COUNT(*) FROM label WHERE kind = 'bin' AND bin_id = ${b.id}`);
  assert.equal(Number(n[0][0]), 1);
});

test('POST /labels reads its targets strictly and is all-or-nothing', async () => {
  const before0 = await labelCount();
  expectError(await whA.post('/labels', { targets: [] }), 400, 'bad_value', 'targets');
  expectError(await whA.post('/labels', {}), 400, 'missing_field', 'targets');
  expectError(await whA.post('/labels', { targets: {} }), 400, 'bad_type', 'targets');
  expectError(await whA.post('/labels', { targets: [{ kind: 'bin', bin_id: binR.id }], x: 1 }),
              400, 'unknown_field', 'x');
  const many = Array.from({ length: 1001 }, () => ({ kind: 'bin', bin_id: binR.id }));
  expectError(await whA.post('/labels', { targets: many }), 400, 'bad_value', 'targets');
  expectError(await whA.post('/labels', { targets: [{ kind: 'lot', bin_id: binR.id }] }),
              400, 'missing_field', 'lot_id');
  expectError(await whA.post('/labels', { targets: [{ kind: 'bin', bin_id: binR.id,
                                                      lot_id: lotL }] }),
              400, 'unknown_field', 'lot_id');
  expectError(await whA.post('/labels', { targets: [{ kind: 'shelf', bin_id: binR.id }] }),
              400, 'bad_value', 'kind');
  expectError(await whA.post('/labels', { targets: [{ bin_id: binR.id }] }),
              400, 'missing_field', 'kind');
  expectError(await whA.post('/labels', { targets: [{ kind: 'bin', bin_id: 'x' }] }),
              400, 'bad_type', 'bin_id');
  expectError(await whA.post('/labels', { targets: [5] }), 400, 'bad_type');
  const e = expectError(await whA.post('/labels', { targets: [{ kind: 'bin', bin_id: 99999999 }] }),
                        422, 'unknown_reference', 'bin_id');
  assert.equal(e.field, 'targets[0].bin_id');
  expectError(await whA.post('/labels', { targets: [{ kind: 'lot', lot_id: 99999999,
                                                      bin_id: binR.id }] }),
              422, 'unknown_reference', 'lot_id');
  // a good target before a bad one: neither is written
  const r = await whA.post('/labels', { targets: [{ kind: 'bin', bin_id: binR.id },
                                                  { kind: 'asset', asset_id: 99999999 }] });
  const e2 = expectError(r, 422, 'unknown_reference', 'asset_id');
  assert.equal(e2.field, 'targets[1].asset_id');
  assert.equal(await labelCount(), before0, 'a refused POST /labels wrote labels');
});

// ---------------------------------------------------------------- resolve

test('GET /labels/{code} resolves a scan: label, record, stock and actions', async () => {
  const [lot, bin, dep] = (await createLabels(whA, [
    { kind: 'lot', lot_id: lotL, bin_id: binL.id },
    { kind: 'bin', bin_id: binL.id },
    { kind: 'depot', depot_id: depA.id },
  ])).json.labels;

  const r = await whA.get(`/labels/${lot.code}`);
  expectStatus(r, 200);
  assert.equal(r.json.label.code, lot.code);
  assert.equal(r.json.label.kind, 'lot');
  assert.equal(r.json.record.id, lotL);
  assert.equal(r.json.record.item_code, TENT);
  assert.ok('lot_no' in r.json.record && 'expiry_date' in r.json.record);
  assert.equal(r.json.stock.length, 1);
  assert.equal(r.json.stock[0].bin_id, binL.id);
  assert.equal(r.json.stock[0].lot_id, lotL);
  assert.equal(Number(r.json.stock[0].qty), 12);
  assert.deepEqual(r.json.actions, ['receive', 'issue', 'move', 'count']);
  const scanned = await sql(`SELECT last_scanned_at IS NOT NULL FROM label WHERE code = '${lot.code}'`);
  assert.equal(scanned[0][0], '1', 'a scan sets last_scanned_at');

  // typed by a person: lower case, hyphens, O for 0 and I/L for 1 are read as Crockford says
  const typed = lot.code.toLowerCase().replace(/(.{9})/g, '$1-').replace(/-$/, '');
  expectStatus(await whA.get(`/labels/${typed}`), 200);

  const rb = await whA.get(`/labels/${bin.code}`);
  expectStatus(rb, 200);
  assert.equal(rb.json.record.id, binL.id);
  assert.equal(rb.json.record.depot.code, depA.code);
  assert.ok(rb.json.stock.some((s) => s.lot_id === lotL && Number(s.qty) === 12));
  assert.deepEqual(rb.json.actions, ['receive', 'count']);

  const rd = await whA.get(`/labels/${dep.code}`);
  expectStatus(rd, 200);
  assert.equal(rd.json.record.code, depA.code);
  const tents = rd.json.stock.find((s) => s.item_id === tent.id);
  assert.ok(tents && Number(tents.qty) >= 12, `no tent summary in ${JSON.stringify(rd.json.stock)}`);
  assert.deepEqual(rd.json.actions, []);

  // the auditor reads it, and may do nothing with it
  const ra = await auditor.get(`/labels/${lot.code}`);
  expectStatus(ra, 200);
  assert.deepEqual(ra.json.actions, []);
});

test('malformed codes are 400 bad_code, unknown ones 404', async () => {
  const lot = (await createLabels(whA, [{ kind: 'lot', lot_id: lotL, bin_id: binL.id }]))
    .json.labels[0];
  for (const bad of ['ABC', `${lot.code}0`, lot.code.slice(1), typo(lot.code), typo(lot.code, 26),
                     'U'.repeat(27), `${lot.code.slice(0, 26)}%21`]) {
    const e = expectError(await whA.get(`/labels/${bad}`), 400, 'bad_code');
    assert.match(e.message, /check the characters/);
  }
  expectError(await whA.get(`/labels/${typo(lot.code)}.svg`), 400, 'bad_code');
  let unknown = randomCode();
  while (unknown === lot.code) unknown = randomCode();
  expectError(await whA.get(`/labels/${unknown}`), 404, 'not_found');
  expectError(await whA.get(`/labels/${unknown}.png`), 404, 'not_found');
});

// ---------------------------------------------------------------- void, reprint

test('void with a replacement: the old code answers 410 naming the new one', async () => {
  const old = (await createLabels(whA, [{ kind: 'bin', bin_id: binR.id }])).json.labels[0];
  const path = `/labels/${old.code}/void`;
  expectError(await whA.post(path, { replace: true }), 400, 'missing_field', 'reason');
  expectError(await whA.post(path, { reason: '', replace: true }), 400, 'missing_field', 'reason');
  expectError(await whA.post(path, { reason: 'x', replace: 'yes' }), 400, 'bad_type', 'replace');
  expectError(await whA.post(path, { reason: 'x', extra: 1 }), 400, 'unknown_field', 'extra');

  const r = await whA.post(path, { reason: 'torn by forklift', replace: true });
  expectStatus(r, 200);
  const { label, replacement } = r.json;
  assert.equal(label.code, old.code);
  assert.equal(label.status, 'void');
  assert.equal(label.void_reason, 'torn by forklift');
  assert.ok(replacement && replacement.code !== old.code);
  assert.match(replacement.code, CODE_RE);
  assert.equal(label.replaced_by, replacement.code);
  assert.equal(replacement.status, 'active');
  assert.equal(replacement.kind, 'bin');
  assert.equal(replacement.bin_id, binR.id);
  assert.equal(replacement.created, true);

  const gone = await whA.get(`/labels/${old.code}`);
  const e = expectError(gone, 410, 'label_void');
  assert.equal(e.replaced_by, replacement.code);
  expectStatus(await whA.get(`/labels/${replacement.code}`), 200);

  // the object's label is now the replacement
  const now = (await createLabels(whA, [{ kind: 'bin', bin_id: binR.id }])).json.labels[0];
  assert.equal(now.code, replacement.code);
  assert.equal(now.created, false);

  // a void label cannot be voided or reprinted again
  expectError(await whA.post(path, { reason: 'again' }), 410, 'label_void');
  expectError(await whA.post(`/labels/${old.code}/reprint`), 410, 'label_void');

  const events = await sql(
    `SELECT action FROM audit_event WHERE object_type = 'label' AND object_id IN ` +
    `('${old.code}', '${replacement.code}') ORDER BY id`);
  assert.deepEqual(events.map((x) => x[0]), ['label.void', 'label.create']);
});

test('void without a replacement: 410 with replaced_by null, and a new label on request', async () => {
  const old = (await createLabels(whA, [{ kind: 'bin', bin_id: binV.id }])).json.labels[0];
  const r = await whA.post(`/labels/${old.code}/void`, { reason: 'bin retired' });
  expectStatus(r, 200);
  assert.equal(r.json.replacement, null);
  assert.equal(r.json.label.replaced_by, null);
  const e = expectError(await whA.get(`/labels/${old.code}`), 410, 'label_void');
  assert.equal(e.replaced_by, null);
  const fresh = (await createLabels(whA, [{ kind: 'bin', bin_id: binV.id }])).json.labels[0];
  assert.equal(fresh.created, true);
  assert.notEqual(fresh.code, old.code);
});

test('reprint keeps the code and counts the prints', async () => {
  const lot = (await createLabels(whA, [{ kind: 'lot', lot_id: lotL, bin_id: binL.id }]))
    .json.labels[0];
  const n0 = lot.print_count;
  const r1 = await whA.post(`/labels/${lot.code}/reprint`);
  expectStatus(r1, 200);
  assert.equal(r1.json.label.code, lot.code);
  assert.equal(r1.json.label.print_count, n0 + 1);
  assert.ok(r1.json.label.last_printed_at);
  const r2 = await whA.post(`/labels/${lot.code}/reprint`, undefined, { idemKey: null });
  assert.equal(r2.json.label.print_count, n0 + 2);
  expectError(await whA.post(`/labels/${lot.code}/reprint`, { copies: 2 }),
              400, 'unknown_field', 'copies');
});

test('an Idempotency-Key replays POST /labels', async () => {
  const b = await newBin(whA, depA, 'LBI');
  const body = { targets: [{ kind: 'bin', bin_id: b.id }] };
  const key = `labels-${uniq()}`;
  const r1 = await whA.post('/labels', body, { idemKey: key });
  const r2 = await whA.post('/labels', body, { idemKey: key });
  expectStatus(r1, 201);
  expectStatus(r2, 201);
  assert.equal(r2.headers.get('idempotent-replayed'), 'true');
  assert.deepEqual(r2.json, r1.json);
  assert.equal(r2.json.labels[0].created, true);
});

// ---------------------------------------------------------------- scope and roles

test('another town and read-only roles cannot see or change the labels', async () => {
  const [lot, bin] = (await createLabels(whA, [
    { kind: 'lot', lot_id: lotL, bin_id: binL.id },
    { kind: 'bin', bin_id: binL.id },
  ])).json.labels;
  const before0 = await labelCount();
  expectError(await whB.get(`/labels/${lot.code}`), 403, 'forbidden');
  expectError(await whB.get(`/labels/${lot.code}.svg`), 403, 'forbidden');
  expectError(await whB.post('/labels', { targets: [{ kind: 'bin', bin_id: binV.id }] }),
              403, 'forbidden');
  const fresh = await newBin(whA, depA, 'LBS');
  const e = expectError(await whB.post('/labels', { targets: [{ kind: 'bin', bin_id: fresh.id }] }),
                        403, 'forbidden');
  assert.match(e.field ?? 'targets[0]', /^targets\[0\]/);
  expectError(await whB.post(`/labels/${bin.code}/void`, { reason: 'x', replace: true }),
              403, 'forbidden');
  expectError(await whB.post(`/labels/${lot.code}/reprint`), 403, 'forbidden');
  assert.equal(await labelCount(), before0, 'a 403 wrote labels');
  const seen = await whB.all('/labels');
  assert.ok(!seen.some((l) => l.depot_id === depA.id), 'town B lists town A labels');

  // a void label of town A tells town B nothing about its replacement
  const v = (await createLabels(whA, [{ kind: 'bin', bin_id: fresh.id }])).json.labels[0];
  expectStatus(await whA.post(`/labels/${v.code}/void`, { reason: 'x', replace: true }), 200);
  const eb = expectError(await whB.get(`/labels/${v.code}`), 403, 'forbidden');
  assert.equal(eb.replaced_by, undefined);

  // roles
  expectError(await auditor.post('/labels', { targets: [{ kind: 'bin', bin_id: binL.id }] }),
              403, 'forbidden');
  expectError(await auditor.post(`/labels/${lot.code}/reprint`), 403, 'forbidden');
  expectError(await auditor.get('/print-jobs'), 403, 'forbidden');
  expectError(await whA.patch(`/depots/${depA.id}`, { auto_print_labels: true }), 403, 'forbidden');
  // a town official may label things in the town
  expectStatus(await offA.post('/labels', { targets: [{ kind: 'bin', bin_id: binL.id }] }), 201);
});

// ---------------------------------------------------------------- auto-print

test('with auto_print_labels a receipt queues a print job for the lot label', async () => {
  expectError(await offA.patch(`/depots/${depA.id}`, {}), 400, 'missing_field');
  expectError(await offA.patch(`/depots/${depA.id}`, { name_zh: '' }), 400, 'bad_value', 'name_zh');
  expectError(await offA.patch(`/depots/${depA.id}`, { auto_print_labels: 1 }),
              400, 'bad_type', 'auto_print_labels');
  expectError(await offA.patch(`/depots/${depA.id}`, { colour: 'red' }),
              400, 'unknown_field', 'colour');
  expectError(await admin.patch('/depots/99999999', { auto_print_labels: true }), 404, 'not_found');
  const offB = await h.login(`town-${TOWN_B}`);
  expectError(await offB.patch(`/depots/${depA.id}`, { auto_print_labels: true }),
              403, 'forbidden');

  // Never leave auto-print on for the other test files, whatever fails here.
  try {
    await autoPrintChecks();
  } finally {
    await offA.patch(`/depots/${depA.id}`, { auto_print_labels: false });
  }
});

async function autoPrintChecks() {
  const p = await offA.patch(`/depots/${depA.code}`, { auto_print_labels: true });
  expectStatus(p, 200);
  assert.equal(p.json.auto_print_labels, true);
  assert.equal(p.json.code, depA.code);
  assert.equal(p.json.name_zh, depA.name_zh);
  assert.ok(Array.isArray(p.json.bins));
  const audit = await sql(`SELECT detail FROM audit_event WHERE action = 'depot.update' ` +
                          `AND object_id = '${depA.id}' ORDER BY id DESC LIMIT 1`);
  assert.deepEqual(JSON.parse(audit[0][0]), { auto_print_labels: true });

  const b = await newBin(whA, depA, 'LBP');
  const { lotId } = await receiveFresh(whA, { binId: b.id, itemId: tent.id, qty: 5 });
  const jobs = await whA.all(`/print-jobs?depot=${depA.code}&status=queued`);
  const mine = jobs.filter((j) => j.bin_code === b.code);
  assert.equal(mine.length, 1, `print jobs for bin ${b.code}: ${JSON.stringify(jobs)}`);
  const job = mine[0];
  assert.equal(job.status, 'queued');
  assert.equal(job.label_kind, 'lot');
  assert.equal(job.depot_id, depA.id);
  const scan = await whA.get(`/labels/${job.label_code}`);
  expectStatus(scan, 200);
  assert.equal(scan.json.label.lot_id, lotId);
  assert.equal(scan.json.label.bin_id, b.id);
  assert.equal(scan.json.label.print_count, 0);

  // a second receipt of the same lot: the same label, another job
  const again = await whA.post('/movements', { kind: 'receive', bin_id: b.id, item_id: tent.id,
                                               lot_id: lotId, qty: 1 });
  expectStatus(again, 201);
  const jobs2 = (await whA.all(`/print-jobs?depot=${depA.id}&status=queued`))
    .filter((j) => j.bin_code === b.code);
  assert.equal(jobs2.length, 2);
  assert.ok(jobs2.every((j) => j.label_code === job.label_code));

  // the printer reports them printed; the label counts the prints
  expectError(await whB.post('/print-jobs/done', { ids: [job.id] }), 403, 'forbidden');
  expectError(await whA.post('/print-jobs/done', { ids: [99999999] }), 422, 'unknown_reference');
  expectError(await whA.post('/print-jobs/done', { ids: [] }), 400, 'bad_value', 'ids');
  expectError(await whA.post('/print-jobs/done', { ids: ['1'] }), 400, 'bad_type');
  const done = await whA.post('/print-jobs/done', { ids: jobs2.map((j) => j.id) });
  expectStatus(done, 200);
  assert.deepEqual(done.json.jobs.map((j) => j.status), ['printed', 'printed']);
  assert.ok(done.json.jobs.every((j) => j.printed_at));
  const again2 = await whA.post('/print-jobs/done', { ids: [job.id] });
  expectStatus(again2, 200); // printed stays printed, counted once
  const after1 = await whA.get(`/labels/${job.label_code}`);
  assert.equal(after1.json.label.print_count, 2);
  const left = (await whA.all(`/print-jobs?depot=${depA.id}&status=queued`))
    .filter((j) => j.bin_code === b.code);
  assert.equal(left.length, 0);
  const printed = (await whA.all(`/print-jobs?depot=${depA.id}&status=printed`))
    .filter((j) => j.bin_code === b.code);
  assert.equal(printed.length, 2);

  // switched off: receipts queue nothing
  const off = await offA.patch(`/depots/${depA.id}`, { auto_print_labels: false });
  expectStatus(off, 200);
  assert.equal(off.json.auto_print_labels, false);
  await receiveFresh(whA, { binId: b.id, itemId: tent.id, qty: 2 });
  const jobs3 = (await whA.all(`/print-jobs?depot=${depA.id}`)).filter((j) => j.bin_code === b.code);
  assert.equal(jobs3.length, 2);
}

// ---------------------------------------------------------------- images and sheets
// Served by h_label_render.c (the rendering side); checked here because the
// route is GET /labels/{code} with a suffix.

test('GET /labels/{code}.svg and .png are the label as an image', async () => {
  const lot = (await createLabels(whA, [{ kind: 'lot', lot_id: lotL, bin_id: binL.id }]))
    .json.labels[0];
  const svg = await whA.get(`/labels/${lot.code}.svg`);
  expectStatus(svg, 200);
  assert.match(svg.headers.get('content-type'), /^image\/svg\+xml/);
  assert.ok(svg.text.includes(lot.code), 'the SVG does not carry the code');
  const res = await fetch(`${h.base}/api/v1/labels/${lot.code}.png`,
                          { headers: whA.authHeaders() });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^image\/png/);
  const png = Buffer.from(await res.arrayBuffer());
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
});

test('a label sheet of more than 5000 labels is 413 too_many_labels', async () => {
  const lot = (await createLabels(whA, [{ kind: 'lot', lot_id: lotL, bin_id: binL.id }]))
    .json.labels[0];
  // 100001 codes (3 MB) do not fit in a 1 MiB body: refused before anyone counts them
  const big = JSON.stringify({ codes: Array(100001).fill(lot.code) });
  const rb = await sendRaw(h.base, 'POST', '/label-sheets', big,
                           { ...whA.authHeaders(), 'Idempotency-Key': uniq('SHEET') },
                           { expectContinue: true });
  expectError(rb, 413, ['too_many_labels', 'body_too_large']);
  const r = await whA.post('/label-sheets', { codes: Array(5001).fill(lot.code), format: 'pdf' });
  expectError(r, 413, 'too_many_labels');
});
