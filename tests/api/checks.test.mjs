// checks.test.mjs -- the pre-season check (docs/readiness.md, "Pre-season
// check") end to end, and the readiness exports (XLSX, PDF).
//
// Town B opens its check for season 2032, warehouse and official answer
// every item, the official signs; stock then moves in town B and the signed
// snapshot must not change (same SHA-256, same numbers) while the live
// answer does.  The auditor returns it, the town signs again, the auditor
// accepts.  Permissions: town A's official can neither read nor sign B's
// check, the warehouse cannot sign, the auditor cannot move stock.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
  useServer, expectStatus, expectError, item, townBin, moveOk, receiveFresh, orgUnit, sql,
  API, TOWN_A, TOWN_B, TENT,
} from './lib/harness.mjs';

const h = useServer();
const SEASON = 2032;
const TMP = mkdtempSync(join(tmpdir(), 'reliefstock-checks-'));

let admin, auditor, offA, offB, whB, tent, binB, townB;
let check; // the check as last seen

// A GET whose body is binary (PDF, XLSX).
async function getBinary(client, path) {
  const res = await fetch(`${client.base}${API}${path}`, { headers: client.authHeaders() });
  return { status: res.status, type: res.headers.get('content-type'),
           body: Buffer.from(await res.arrayBuffer()) };
}

function pdfText(buf, name) {
  const f = join(TMP, name);
  writeFileSync(f, buf);
  return execFileSync('pdftotext', ['-enc', 'UTF-8', f, '-'], { encoding: 'utf8' });
}

function xlsxStrings(buf, name) {
  const f = join(TMP, name);
  writeFileSync(f, buf);
  return execFileSync('unzip', ['-p', f, 'xl/sharedStrings.xml'], { encoding: 'utf8' });
}

function tentLine(answer) {
  const l = answer.lines.find((x) => x.item_code === TENT);
  assert.ok(l, 'no tent line');
  return l;
}

async function answerAll(clients) {
  let i = 0;
  for (const it of check.items) {
    if (it.answer !== null) continue;
    const c = clients[i++ % clients.length];
    const r = await c.put(`/checks/${check.id}/items/${it.id}`,
                          { answer: i % 7 === 0 ? 'na' : 'yes', comment: `checked ${i}` });
    expectStatus(r, 200);
    assert.equal(r.json.answer, i % 7 === 0 ? 'na' : 'yes');
  }
}

after(() => rmSync(TMP, { recursive: true, force: true }));

before(async () => {
  admin = await h.login('admin');
  auditor = await h.login('city-auditor');
  offA = await h.login(`town-${TOWN_A}`);
  offB = await h.login(`town-${TOWN_B}`);
  whB = await h.login(`wh-${TOWN_B}`);
  tent = await item(admin, TENT);
  ({ bin: binB } = await townBin(whB, TOWN_B, 'A-01'));
  townB = await orgUnit(admin, TOWN_B);
  // A rerun against a kept database starts from no check.
  await sql(`DELETE ci FROM check_item ci JOIN readiness_check c ON c.id = ci.check_id
             JOIN org_unit o ON o.id = c.org_unit_id WHERE o.code = '${TOWN_B}'
             AND c.season_year = ${SEASON}`);
  await sql(`DELETE c FROM readiness_check c JOIN org_unit o ON o.id = c.org_unit_id
             WHERE o.code = '${TOWN_B}' AND c.season_year = ${SEASON}`);
});

test('open: the town official opens the check; opening again returns the same one', async () => {
  expectError(await whB.post('/checks', { org_unit: TOWN_B, season: SEASON }), 403, 'forbidden');
  expectError(await offA.post('/checks', { org_unit: TOWN_B, season: SEASON }), 403);
  let r = await offB.post('/checks', { org_unit: TOWN_B, season: SEASON });
  expectStatus(r, 201);
  check = r.json;
  assert.equal(check.status, 'open');
  assert.equal(check.org_unit_code, TOWN_B);
  assert.equal(check.season_year, SEASON);
  assert.equal(check.computed.org_unit.code, TOWN_B);
  assert.equal(check.computed.season.year, SEASON);
  assert.equal(check.snapshot, null);
  const manual = check.items.filter((x) => x.kind === 'manual');
  const ten = check.items.filter((x) => x.kind === 'ten_have');
  assert.ok(manual.length >= 6, 'the manual items');
  assert.ok(ten.length > 0 && ten.length % 10 === 0, `ten haves per village: ${ten.length}`);
  assert.equal(check.items_total, check.items.length);
  r = await offB.post('/checks', { org_unit: TOWN_B, season: SEASON });
  expectStatus(r, 200);
  assert.equal(r.json.id, check.id);
  expectError(await offB.post('/checks', { org_unit: '441900', season: SEASON }), [403, 422]);
});

test('read: scope decides who sees the check', async () => {
  expectStatus(await auditor.get(`/checks/${check.id}`), 200);
  expectStatus(await whB.get(`/checks/${check.id}`), 200);
  expectError(await offA.get(`/checks/${check.id}`), 403);
  expectError(await offA.get(`/checks/${check.id}/report.pdf`), 403);
  let r = await auditor.get(`/checks?season=${SEASON}`);
  expectStatus(r, 200);
  assert.ok(r.json.items.some((x) => x.id === check.id));
  r = await offA.get(`/checks?season=${SEASON}`);
  expectStatus(r, 200);
  assert.ok(!r.json.items.some((x) => x.id === check.id), 'town A does not list town B');
  expectError(await auditor.get('/checks?status=nonsense'), 400, 'bad_query');
  // Not signed yet: the report is a draft.
  const pdf = await getBinary(whB, `/checks/${check.id}/report.pdf`);
  assert.equal(pdf.status, 200);
  assert.equal(pdf.body.subarray(0, 4).toString(), '%PDF');
  assert.ok(pdfText(pdf.body, 'draft.pdf').includes('DRAFT'), 'an open check prints as a draft');
});

test('answer and sign: every item answered, the warehouse cannot sign', async () => {
  const first = check.items[0];
  expectError(await auditor.put(`/checks/${check.id}/items/${first.id}`, { answer: 'yes' }),
              403, 'forbidden');
  expectError(await offA.put(`/checks/${check.id}/items/${first.id}`, { answer: 'yes' }), 403);
  expectError(await offB.put(`/checks/${check.id}/items/${first.id}`, { answer: 'maybe' }),
              400, 'bad_value', 'answer');
  expectError(await offB.put(`/checks/${check.id}/items/99999999`, { answer: 'yes' }), 404);
  // Not everything answered yet: 422 naming what is missing.
  const e = expectError(await offB.post(`/checks/${check.id}/sign`), 422, 'rule_broken');
  assert.match(e.message, /not answered/);
  await answerAll([whB, offB]);
  expectError(await whB.post(`/checks/${check.id}/sign`), 403, 'forbidden');
  expectError(await offA.post(`/checks/${check.id}/sign`), 403);
  expectError(await admin.post(`/checks/${check.id}/sign`), 403, 'forbidden');
  const r = await offB.post(`/checks/${check.id}/sign`);
  expectStatus(r, 200);
  check = r.json;
  assert.equal(check.status, 'signed');
  assert.equal(check.sign_count, 1);
  assert.match(check.snapshot_sha256, /^[0-9a-f]{64}$/);
  assert.equal(check.snapshot.readiness.org_unit.code, TOWN_B);
  assert.equal(check.snapshot.items.length, check.items.length);
  assert.ok(check.snapshot.items.every((x) => x.answer !== null));
  // Signed: no more answers, no refresh.
  expectError(await offB.put(`/checks/${check.id}/items/${first.id}`, { answer: 'no' }),
              409, 'conflict');
  expectError(await offB.post(`/checks/${check.id}/refresh`), 409, 'conflict');
});

test('a signed check is unchanged by later stock changes', async () => {
  const before1 = await auditor.get(`/checks/${check.id}`);
  expectStatus(before1, 200);
  const live0 = await auditor.get(`/readiness/towns/${TOWN_B}?season=${SEASON}`);
  expectStatus(live0, 200);
  // Stock moves in town B: 7 tents received, 2 issued.
  const { lotId } = await receiveFresh(whB, { binId: binB.id, itemId: tent.id, qty: 7,
                                              expiry: '2040-06-30' });
  await moveOk(whB, { kind: 'issue', bin_id: binB.id, lot_id: lotId, qty: 2,
                      reference: 'checks test' });
  const live1 = await auditor.get(`/readiness/towns/${TOWN_B}?season=${SEASON}`);
  expectStatus(live1, 200);
  assert.equal(Number(tentLine(live1.json).usable), Number(tentLine(live0.json).usable) + 5,
               'the live answer sees the stock change');
  const after1 = await auditor.get(`/checks/${check.id}`);
  expectStatus(after1, 200);
  assert.equal(after1.json.snapshot_sha256, before1.json.snapshot_sha256);
  assert.deepEqual(after1.json.snapshot, before1.json.snapshot);
  assert.equal(JSON.stringify(after1.json.snapshot), JSON.stringify(before1.json.snapshot));
  assert.equal(tentLine(after1.json.snapshot.readiness).usable,
               tentLine(before1.json.snapshot.readiness).usable);
  // The stored text hashes to the stored SHA-256.
  const [[hashOk]] = await sql(`SELECT SHA2(snapshot, 256) = CONVERT(snapshot_sha256 USING utf8mb4) FROM
                                readiness_check WHERE id = ${Number(check.id)}`);
  assert.equal(hashOk, '1');
});

test('review: the auditor returns it, the town fixes and signs again, the auditor accepts',
     async () => {
  expectError(await offB.post(`/checks/${check.id}/accept`), 403, 'forbidden');
  expectError(await auditor.post(`/checks/${check.id}/return`, {}), 400, 'missing_field');
  let r = await auditor.post(`/checks/${check.id}/return`,
                             { comment: '请补充消防器材检查记录 fire extinguisher log missing' });
  expectStatus(r, 200);
  assert.equal(r.json.status, 'returned');
  assert.match(r.json.review_comment, /消防/);
  expectError(await auditor.post(`/checks/${check.id}/accept`), 409, 'conflict');
  const fire = r.json.items.find((x) => x.code === 'WH-FIRE');
  r = await offB.put(`/checks/${check.id}/items/${fire.id}`,
                     { answer: 'yes', comment: '12 extinguishers, inspected 2026-11' });
  expectStatus(r, 200);
  expectStatus(await offB.post(`/checks/${check.id}/refresh`), 200);
  const sha1 = check.snapshot_sha256;
  r = await offB.post(`/checks/${check.id}/sign`);
  expectStatus(r, 200);
  assert.equal(r.json.status, 'signed');
  assert.equal(r.json.sign_count, 2);
  assert.notEqual(r.json.snapshot_sha256, sha1);
  assert.match(r.json.snapshot.returned_before.review_comment, /消防/);
  r = await auditor.post(`/checks/${check.id}/accept`, { comment: 'ok' });
  expectStatus(r, 200);
  assert.equal(r.json.status, 'accepted');
  assert.equal(r.json.reviewed_by_name.length > 0, true);
  check = r.json;
  expectError(await offB.post(`/checks/${check.id}/sign`), 409, 'conflict');
});

test('every step is an audit event', async () => {
  const rows = await sql(`SELECT action FROM audit_event WHERE object_type = 'readiness_check'
                          AND object_id = '${Number(check.id)}' ORDER BY id`);
  const actions = rows.map((x) => x[0]);
  for (const a of ['check.open', 'check.answer', 'check.sign', 'check.return', 'check.refresh',
                   'check.accept'])
    assert.ok(actions.includes(a), `no ${a} in ${[...new Set(actions)]}`);
  assert.equal(actions[0], 'check.open');
  assert.equal(actions.filter((a) => a === 'check.sign').length, 2);
  assert.equal(actions.at(-1), 'check.accept');
});

test('the city auditor cannot change stock', async () => {
  const r = await auditor.post('/movements', { kind: 'receive', bin_id: binB.id,
                                               item_id: tent.id, qty: 1,
                                               lot: { lot_no: 'X', expiry_date: '2040-01-01' } });
  expectError(r, 403, 'forbidden');
});

test('report.pdf: the signed check as signed, with the town name in Chinese', async () => {
  const r = await getBinary(offB, `/checks/${check.id}/report.pdf`);
  assert.equal(r.status, 200);
  assert.equal(r.type, 'application/pdf');
  assert.equal(r.body.subarray(0, 4).toString(), '%PDF');
  const text = pdfText(r.body, 'check.pdf');
  assert.ok(text.includes(townB.name_zh), `no ${townB.name_zh} in the PDF text`);
  assert.ok(text.includes('达标') || text.includes('预警') || text.includes('不足'));
  assert.ok(text.includes('Signed by the town'));
  assert.ok(!text.includes('DRAFT'), 'a signed check is not a draft');
});

test('exports: city and town as XLSX and PDF', async () => {
  let r = await getBinary(auditor, '/readiness/city?format=xlsx');
  assert.equal(r.status, 200);
  assert.match(r.type, /spreadsheetml/);
  assert.equal(r.body.subarray(0, 2).toString(), 'PK');
  assert.ok(xlsxStrings(r.body, 'city.xlsx').includes(townB.name_zh));
  r = await getBinary(offB, `/readiness/towns/${TOWN_B}?format=xlsx&season=${SEASON}`);
  assert.equal(r.status, 200);
  assert.equal(r.body.subarray(0, 2).toString(), 'PK');
  assert.ok(xlsxStrings(r.body, 'town.xlsx').includes(TENT));
  r = await getBinary(offB, `/readiness/towns/${TOWN_B}?format=csv&season=${SEASON}`);
  assert.equal(r.status, 200);
  assert.match(r.body.toString(), /item_code/);
  r = await getBinary(auditor, '/readiness/city/report.pdf');
  assert.equal(r.status, 200);
  assert.equal(r.body.subarray(0, 4).toString(), '%PDF');
  assert.ok(pdfText(r.body, 'city.pdf').includes(townB.name_zh));
  r = await getBinary(offB, `/readiness/towns/${TOWN_B}/report.pdf?season=${SEASON}`);
  assert.equal(r.status, 200);
  assert.ok(pdfText(r.body, 'town.pdf').includes(townB.name_zh));
  expectError(await offA.get(`/readiness/towns/${TOWN_B}/report.pdf`), 403);
  expectError(await auditor.get('/readiness/city?format=pdf'), 400, 'bad_query');
});
