// idempotency.test.mjs -- Idempotency-Key (docs/api.md, "Idempotency"): a
// retried request is applied once and answered with the first answer.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';

import {
  useServer, expectStatus, expectError, item, townBin, move, moveOk,
  receiveFresh, stockQty, lotState, TOWN_A, TENT,
} from './lib/harness.mjs';

const h = useServer();
let wh, wh2session, tent, a1;

before(async () => {
  wh = await h.login(`wh-${TOWN_A}`);
  wh2session = await h.login(`wh-${TOWN_A}`); // the same user, another session
  tent = await item(wh, TENT);
  ({ bin: a1 } = await townBin(wh, TOWN_A, 'A-04'));
});

const replayed = (r) => (r.headers.get('idempotent-replayed') || '').toLowerCase() === 'true';

test('the same POST /movements twice with one key: applied once, same answer replayed',
     async () => {
  const { lotId } = await receiveFresh(wh, { binId: a1.id, itemId: tent.id, qty: 50 });
  const key = randomUUID();
  const body = { kind: 'issue', bin_id: a1.id, lot_id: lotId, qty: 3, recipient: 'site 7' };
  const first = await move(wh, body, { idemKey: key });
  expectStatus(first, 201);
  assert.ok(!replayed(first), 'the first answer says Idempotent-Replayed: true');
  const second = await move(wh, body, { idemKey: key });
  expectStatus(second, 201);
  assert.equal(second.headers.get('idempotent-replayed'), 'true',
               'no "Idempotent-Replayed: true" header on the repeat');
  assert.deepEqual(second.json, first.json);
  assert.equal(await stockQty(wh, lotId, a1.id), 47);
  // another session of the same user retrying (an offline queue after a re-login)
  const third = await move(wh2session, body, { idemKey: key });
  expectStatus(third, 201);
  assert.ok(replayed(third));
  assert.deepEqual(third.json, first.json);
  assert.equal(await stockQty(wh, lotId, a1.id), 47);
  const mv = await wh.all(`/movements?lot=${lotId}`);
  assert.equal(mv.length, 2, 'expected the receive and one issue');
});

test('the same body sent with its keys in another order is the same request, or a clear 422',
     async () => {
  // Not spelled out by docs/api.md; whichever the server does, it never applies twice.
  const { lotId } = await receiveFresh(wh, { binId: a1.id, itemId: tent.id, qty: 10 });
  const key = randomUUID();
  const a = `{"kind":"issue","bin_id":${a1.id},"lot_id":${lotId},"qty":1}`;
  const b = `{"qty":1,"lot_id":${lotId},"bin_id":${a1.id},"kind":"issue"}`;
  expectStatus(await wh.raw('POST', '/movements', a, { idemKey: key }), 201);
  const r = await wh.raw('POST', '/movements', b, { idemKey: key });
  if (r.status !== 201) expectError(r, 422, 'idempotency_key_reused');
  assert.equal(await stockQty(wh, lotId, a1.id), 9);
});

test('the same key with a different request: 422 idempotency_key_reused, nothing written',
     async () => {
  const { lotId } = await receiveFresh(wh, { binId: a1.id, itemId: tent.id, qty: 50 });
  const key = randomUUID();
  const body = { kind: 'issue', bin_id: a1.id, lot_id: lotId, qty: 3 };
  expectStatus(await move(wh, body, { idemKey: key }), 201);
  const before1 = await lotState(wh, lotId);
  expectError(await move(wh, { ...body, qty: 4 }, { idemKey: key }),
              422, 'idempotency_key_reused');
  expectError(await move(wh, { ...body, recipient: 'elsewhere' }, { idemKey: key }),
              422, 'idempotency_key_reused');
  // another path with the same key
  expectError(await wh.post('/stocktakes', { bin_id: a1.id, lot_id: lotId, counted_qty: 47 },
                            { idemKey: key }),
              422, 'idempotency_key_reused');
  assert.deepEqual(await lotState(wh, lotId), before1);
  assert.equal(await stockQty(wh, lotId, a1.id), 47);
});

test('POST /movements without Idempotency-Key: 400 missing_idempotency_key, nothing written',
     async () => {
  const { lotId } = await receiveFresh(wh, { binId: a1.id, itemId: tent.id, qty: 5 });
  const before1 = await lotState(wh, lotId);
  expectError(await move(wh, { kind: 'issue', bin_id: a1.id, lot_id: lotId, qty: 1 },
                         { idemKey: null }),
              400, 'missing_idempotency_key');
  expectError(await move(wh, { kind: 'receive', bin_id: a1.id, item_id: tent.id,
                               lot_id: lotId, qty: 1 }, { idemKey: null }),
              400, 'missing_idempotency_key');
  assert.deepEqual(await lotState(wh, lotId), before1);
});

test('Idempotency-Key must be 1-128 printable ASCII characters', async () => {
  const { lotId } = await receiveFresh(wh, { binId: a1.id, itemId: tent.id, qty: 5 });
  const body = { kind: 'issue', bin_id: a1.id, lot_id: lotId, qty: 1 };
  const before1 = await lotState(wh, lotId);
  expectError(await move(wh, body, { idemKey: 'k'.repeat(129) }), 400, 'bad_value');
  expectError(await move(wh, body, { idemKey: 'has space' }), 400, 'bad_value');
  expectError(await move(wh, body, { idemKey: 'tab\there' }), 400, 'bad_value');
  // an empty header is no key at all, or a malformed one
  expectError(await move(wh, body, { idemKey: '' }), 400,
              ['missing_idempotency_key', 'bad_value']);
  assert.deepEqual(await lotState(wh, lotId), before1);
  expectStatus(await move(wh, body, { idemKey: `${randomUUID()}-`.padEnd(128, 'x') }), 201);
  expectStatus(await move(wh, body, { idemKey: `a~!@#$%^&*()[]{}<>?/|${randomUUID()}` }), 201);
  assert.equal(await stockQty(wh, lotId, a1.id), 3);
});

test('a refused request is not stored: after fixing the cause the same key applies',
     async () => {
  // "A request that fails writes nothing", the stored answer included.
  const { lotId } = await receiveFresh(wh, { binId: a1.id, itemId: tent.id, qty: 2 });
  const key = randomUUID();
  const body = { kind: 'issue', bin_id: a1.id, lot_id: lotId, qty: 3 };
  expectError(await move(wh, body, { idemKey: key }), 409, 'insufficient_stock');
  await moveOk(wh, { kind: 'return', bin_id: a1.id, lot_id: lotId, qty: 1 });
  const r = await move(wh, body, { idemKey: key });
  expectStatus(r, 201);
  assert.ok(!replayed(r));
  assert.equal(await stockQty(wh, lotId, a1.id), 0);
});

test('other mutating calls honour the key too: POST /stocktakes', async () => {
  const { lotId } = await receiveFresh(wh, { binId: a1.id, itemId: tent.id, qty: 100 });
  const key = randomUUID();
  const body = { bin_id: a1.id, lot_id: lotId, counted_qty: 98 };
  const first = await wh.post('/stocktakes', body, { idemKey: key });
  expectStatus(first, 201);
  const again = await wh.post('/stocktakes', body, { idemKey: key });
  expectStatus(again, 201);
  assert.ok(replayed(again));
  assert.deepEqual(again.json, first.json);
  assert.equal(await stockQty(wh, lotId, a1.id), 98);
  assert.equal((await wh.all(`/movements?lot=${lotId}&kind=count`)).length, 1);
});

test('keys are per user: another user may use the same key for its own request', async () => {
  const admin = await h.login('admin');
  const { lotId } = await receiveFresh(wh, { binId: a1.id, itemId: tent.id, qty: 10 });
  const key = randomUUID();
  expectStatus(await move(wh, { kind: 'issue', bin_id: a1.id, lot_id: lotId, qty: 1 },
                          { idemKey: key }), 201);
  const r = await move(admin, { kind: 'issue', bin_id: a1.id, lot_id: lotId, qty: 2 },
                       { idemKey: key });
  expectStatus(r, 201);
  assert.ok(!replayed(r));
  // ... and even the identical request by another user is a request of its own
  const same = await move(admin, { kind: 'issue', bin_id: a1.id, lot_id: lotId, qty: 1 },
                          { idemKey: randomUUID() });
  expectStatus(same, 201);
  const r2 = await move(admin, { kind: 'issue', bin_id: a1.id, lot_id: lotId, qty: 1 },
                        { idemKey: key });
  expectError(r2, 422, 'idempotency_key_reused'); // admin used `key` for qty 2
  assert.equal(await stockQty(wh, lotId, a1.id), 6);
});

test('20 parallel sends of one key: exactly one applied', async () => {
  const { lotId } = await receiveFresh(wh, { binId: a1.id, itemId: tent.id, qty: 100 });
  const key = randomUUID();
  const body = { kind: 'issue', bin_id: a1.id, lot_id: lotId, qty: 7 };
  const sessions = [wh, wh2session];
  const rs = await Promise.all(Array.from({ length: 20 }, (_, i) =>
    move(sessions[i % 2], body, { idemKey: key })));
  const ok = rs.filter((r) => r.status === 201);
  const other = rs.filter((r) => r.status !== 201);
  // A duplicate that arrives while the first is still running may be told to
  // retry (409 conflict / 503 busy), but never applied a second time.
  for (const r of other)
    expectError(r, [409, 503], ['conflict', 'busy', 'db_busy']);
  assert.ok(ok.length >= 1, `no request was applied: ${rs.map((r) => r.status)}`);
  const fresh = ok.filter((r) => !replayed(r));
  assert.equal(fresh.length, 1,
               `${fresh.length} answers without Idempotent-Replayed: true (statuses ` +
               `${rs.map((r) => r.status)})`);
  for (const r of ok) assert.deepEqual(r.json, fresh[0].json);
  assert.equal(await stockQty(wh, lotId, a1.id), 93);
  assert.equal((await wh.all(`/movements?lot=${lotId}&kind=issue`)).length, 1);
  // After the storm, a retry replays.
  const late = await move(wh, body, { idemKey: key });
  expectStatus(late, 201);
  assert.ok(replayed(late));
  assert.deepEqual(late.json, fresh[0].json);
});
