// audit.test.mjs -- `reliefctl verify-audit` finds a changed or deleted audit
// event, and passes on an untouched chain (docs/security.md, "Audit chain").
//
// How the tampering is done: the application account may only SELECT and
// INSERT audit_event, and the triggers audit_no_update/audit_no_delete
// refuse UPDATE and DELETE for everyone.  The test plays the attacker with
// the database's admin account (RELIEF_DB_ADMIN_USER, through harness sql()):
// in ONE mariadb call it drops the trigger, changes or deletes the row, and
// creates the trigger again (the definitions of db/migrations/0001_core.sql).
// A copy of the original row is kept in a scratch table and put back the
// same way afterwards, so the chain is intact again for verify-ledger (run
// by useServer's after hook) and for every later test.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';

import { useServer, sql, reliefctl, expectStatus } from './lib/harness.mjs';

const h = useServer();
const COPY = 'zz_audit_test_copy';

const TRIGGERS = {
  update: "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit_event FOR EACH ROW " +
          "SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'audit events are append-only'",
  delete: "CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit_event FOR EACH ROW " +
          "SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'audit events are append-only'",
};

// Run `stmt` with the trigger `kind` out of the way, and put it back.
async function withoutTrigger(kind, stmt) {
  await sql(`DROP TRIGGER IF EXISTS audit_no_${kind}; ${stmt}; ${TRIGGERS[kind]}`);
}

async function verifyAudit() {
  const r = await reliefctl(['verify-audit']);
  const m = /first_broken_id=(-?\d+)/.exec(r.stdout);
  return { ...r, broken: m ? Number(m[1]) : null };
}

let ids = []; // audit event ids, oldest first

before(async () => {
  // A few events of our own, so the chain has a middle and an end.
  for (const u of ['admin', 'city-auditor', 'admin', 'city-auditor'])
    expectStatus((await h.login(u)).loginResponse, 200);
  ids = (await sql('SELECT id FROM audit_event ORDER BY id')).map((r) => Number(r[0]));
  assert.ok(ids.length >= 4, `expected at least 4 audit events, found ${ids.length}`);
  await sql(`DROP TABLE IF EXISTS ${COPY}; CREATE TABLE ${COPY} AS SELECT * FROM audit_event WHERE 0`);
});

after(async () => {
  await sql(`DROP TABLE IF EXISTS ${COPY}`);
});

// Keep a copy of event `id`, for restore().
async function keep(id) {
  await sql(`DELETE FROM ${COPY}; INSERT INTO ${COPY} SELECT * FROM audit_event WHERE id = ${id}`);
}

async function restore(id) {
  await withoutTrigger('delete', `DELETE FROM audit_event WHERE id = ${id}`);
  await sql(`INSERT INTO audit_event SELECT * FROM ${COPY} WHERE id = ${id}`);
  const v = await verifyAudit();
  assert.equal(v.code, 0, `after restoring event ${id} the chain should be intact again:\n${v.stdout}${v.stderr}`);
}

test('while the triggers stand, nobody changes or deletes an audit event', async () => {
  await assert.rejects(sql(`UPDATE audit_event SET detail = 'x' WHERE id = ${ids[0]}`),
                       /append-only/);
  await assert.rejects(sql(`DELETE FROM audit_event WHERE id = ${ids[0]}`), /append-only/);
});

test('an untouched chain passes', async () => {
  const v = await verifyAudit();
  assert.equal(v.code, 0, `verify-audit on an untouched chain:\n${v.stdout}${v.stderr}`);
  assert.match(v.stdout, new RegExp(`audit chain ok: ${ids.length} events`));
});

test('a changed event is found, by its id', async () => {
  const id = ids[1];
  await keep(id);
  await withoutTrigger('update',
    `UPDATE audit_event SET detail = '{"role":"admin","tampered":true}' WHERE id = ${id}`);
  const v = await verifyAudit();
  assert.equal(v.code, 1, `verify-audit must fail:\n${v.stdout}${v.stderr}`);
  assert.equal(v.broken, id, v.stdout);
  assert.match(v.stdout, /changed/);
  await restore(id);
});

test('a changed event whose hash was recomputed breaks the link of the next one', async () => {
  const id = ids[1];
  await keep(id);
  const [row] = await sql(
    "SELECT prev_hash, DATE_FORMAT(at, '%Y-%m-%d %H:%i:%s.%f'), IFNULL(user_id, ''), action," +
    ` object_type, IFNULL(object_id, ''), IFNULL(detail, '') FROM audit_event WHERE id = ${id}`);
  const [prev, at, user, action, type, oid] = row;
  const detail = '{"forged":true}';
  // The same text domain/audit.c hashes: fields joined by the unit separator.
  const forged = createHash('sha256')
    .update([prev, at, user, action, type, oid, detail].join('\x1f')).digest('hex');
  await withoutTrigger('update',
    `UPDATE audit_event SET detail = '${detail}', hash = '${forged}' WHERE id = ${id}`);
  const v = await verifyAudit();
  assert.equal(v.code, 1, v.stdout);
  assert.equal(v.broken, ids[2], `the forgery shows at the next event:\n${v.stdout}`);
  assert.match(v.stdout, /link broken/);
  await restore(id);
});

test('a deleted event in the middle is found at the event after it', async () => {
  const id = ids[2];
  await keep(id);
  await withoutTrigger('delete', `DELETE FROM audit_event WHERE id = ${id}`);
  const v = await verifyAudit();
  assert.equal(v.code, 1, `verify-audit must fail:\n${v.stdout}${v.stderr}`);
  assert.equal(v.broken, ids[3], v.stdout);
  assert.match(v.stdout, /link broken/);
  await sql(`INSERT INTO audit_event SELECT * FROM ${COPY} WHERE id = ${id}`);
  assert.equal((await verifyAudit()).code, 0);
});

test('deleting the newest event is found through audit_head', async () => {
  const id = ids[ids.length - 1];
  await keep(id);
  await withoutTrigger('delete', `DELETE FROM audit_event WHERE id = ${id}`);
  const v = await verifyAudit();
  assert.equal(v.code, 1, v.stdout);
  assert.equal(v.broken, ids[ids.length - 2], v.stdout);
  assert.match(v.stdout, /audit_head/);
  await sql(`INSERT INTO audit_event SELECT * FROM ${COPY} WHERE id = ${id}`);
  assert.equal((await verifyAudit()).code, 0);
});

test('deleting the first event is found', async () => {
  const id = ids[0];
  await keep(id);
  await withoutTrigger('delete', `DELETE FROM audit_event WHERE id = ${id}`);
  const v = await verifyAudit();
  assert.equal(v.code, 1, v.stdout);
  assert.equal(v.broken, ids[1], v.stdout);
  await sql(`INSERT INTO audit_event SELECT * FROM ${COPY} WHERE id = ${id}`);
  const ok = await verifyAudit();
  assert.equal(ok.code, 0, ok.stdout);
  // and the triggers are back in place
  await assert.rejects(sql(`DELETE FROM audit_event WHERE id = ${id}`), /append-only/);
});
