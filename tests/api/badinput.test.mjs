// badinput.test.mjs -- every kind of bad request gets its documented error
// (docs/api.md, the error table) and writes nothing.
//
// "Nothing written" is checked twice after every bad request: through the API
// (stock and movements of the fixture lots) and in the database (row counts
// of every table a request could write to, read with the mariadb client).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';

import {
  useServer, expectStatus, expectError, num, item, townBin, move, moveOk, receiveFresh,
  stockQty, lotState, dbSnapshot, sql, uniq, sendRaw, TOWN_A, TOWN_B, TENT, WATER,
} from './lib/harness.mjs';

const h = useServer();
let wh, admin, tent, water, a1, depotB, tentLot, waterLot, rcvMovement;

before(async () => {
  wh = await h.login(`wh-${TOWN_A}`);
  admin = await h.login('admin');
  tent = await item(wh, TENT);
  water = await item(wh, WATER);
  assert.equal(tent.integral, true, `${TENT} should be integral`);
  assert.equal(water.integral, false, `${WATER} should not be integral`);
  ({ bin: a1 } = await townBin(wh, TOWN_A, 'A-05'));
  ({ depot: depotB } = await townBin(admin, TOWN_B, 'A-01'));
  const t = await receiveFresh(wh, { binId: a1.id, itemId: tent.id, qty: 40 });
  tentLot = t.lotId;
  rcvMovement = t.movement;
  waterLot = (await receiveFresh(wh, { binId: a1.id, itemId: water.id, qty: 100.5 })).lotId;
});

// Everything a bad request must leave alone.
async function state() {
  return {
    db: await dbSnapshot(),
    tent: await lotState(wh, tentLot),
    water: await lotState(wh, waterLot),
  };
}

// Send, expect the error, and check that nothing changed.  Inside softly()
// a mismatch is collected instead of thrown, so one test reports every case
// the server answers differently, not only the first.
let collected = null;
async function refused(send, status, code, field) {
  const s0 = await state();
  const r = await send();
  try {
    const e = expectError(r, status, code, field);
    assert.deepEqual(await state(), s0, `${r.method} ${r.path} (${e.code}) wrote something`);
  } catch (e) {
    if (!collected) throw e;
    collected.push(`${e.message.split('\n')[0]}  [request body: ${r.sent?.slice(0, 160)}]`);
    // a wrong answer that also wrote something must not leak into the next case
    assert.deepEqual(await state(), s0, `${r.method} ${r.path} wrote something`);
  }
}

async function softly(fn) {
  collected = [];
  try {
    await fn();
    assert.deepEqual(collected, [], `${collected.length} case(s) answered differently`);
  } finally {
    collected = null;
  }
}

const issue = (extra = {}) => ({ kind: 'issue', bin_id: a1.id, lot_id: tentLot, qty: 1, ...extra });
const receiveNew = (lot = {}, extra = {}) => ({
  kind: 'receive', bin_id: a1.id, item_id: tent.id, qty: 1,
  lot: { lot_no: uniq('BAD'), ...lot }, ...extra,
});
const raw = (text) => () => wh.raw('POST', '/movements', text);
const post = (body) => () => move(wh, body);

test('malformed JSON: 400 bad_json', async () => {
  await softly(async () => {
    for (const text of ['{"kind": "issue",', '{kind: issue}', '{"kind":"issue"} trailing',
                        "{'kind':'issue'}", '', '   ', '\u00ff\u00fe', '{"a":1}{"b":2}'])
      await refused(raw(text), 400, 'bad_json');
  });
});

test('a body that is valid JSON but not an object: 400 bad_json', async () => {
  await softly(async () => {
    for (const text of ['[1,2]', `[${JSON.stringify(issue())}]`, '"issue"', '42', 'null', 'true'])
      await refused(raw(text), 400, 'bad_json');
  });
});

test('wrong JSON types: 400 bad_type naming the field', async () => {
  await softly(async () => {
    await refused(post(issue({ qty: '3' })), 400, 'bad_type', 'qty');
    await refused(post(issue({ qty: true })), 400, 'bad_type', 'qty');
    await refused(post(issue({ qty: null })), 400, 'bad_type', 'qty');
    await refused(post(issue({ bin_id: 'A-05' })), 400, 'bad_type', 'bin_id');
    await refused(post(issue({ bin_id: 1.5 })), 400, ['bad_type', 'bad_value'], 'bin_id');
    await refused(post(issue({ lot_id: [tentLot] })), 400, 'bad_type', 'lot_id');
    await refused(post(issue({ kind: 5 })), 400, 'bad_type', 'kind');
    await refused(post(issue({ recipient: 12 })), 400, 'bad_type', 'recipient');
    await refused(post(issue({ reason: { text: 'x' } })), 400, 'bad_type', 'reason');
    await refused(post(issue({ occurred_at: 1764324000 })), 400, 'bad_type', 'occurred_at');
    await refused(post(receiveNew({}, { lot: 'LOT-1' })), 400, 'bad_type', 'lot');
    await refused(post(receiveNew({ expiry_date: 20301231 })), 400, 'bad_type', 'expiry_date');
    await refused(post(receiveNew({ unit_cost: '12.50' })), 400, 'bad_type', 'unit_cost');
  });
});

test('unknown fields: 400 unknown_field naming it', async () => {
  await softly(async () => {
    await refused(post(issue({ colour: 'red' })), 400, 'unknown_field', 'colour');
    await refused(post(issue({ to_depot_id: depotB.id })), 400, 'unknown_field', 'to_depot_id');
    await refused(post(issue({ Qty: 1 })), 400, 'unknown_field', 'Qty');
    await refused(post(receiveNew({ flavour: 'salty' })), 400, 'unknown_field', 'flavour');
  });
});

test('a key twice in one object: 400 duplicate_field', async () => {
  await softly(async () => {
    await refused(raw(`{"kind":"issue","bin_id":${a1.id},"lot_id":${tentLot},"qty":1,"qty":2}`),
                  400, 'duplicate_field');
    await refused(raw(`{"kind":"issue","kind":"issue","bin_id":${a1.id},"lot_id":${tentLot},` +
                      '"qty":1}'),
                  400, 'duplicate_field');
    await refused(raw(`{"kind":"receive","bin_id":${a1.id},"item_id":${tent.id},"qty":1,` +
                      '"lot":{"lot_no":"X1","lot_no":"X2"}}'),
                  400, 'duplicate_field');
  });
});

test('missing fields: 400 missing_field naming it', async () => {
  await softly(async () => {
    const { qty, ...noQty } = issue();
    const { bin_id, ...noBin } = issue();
    const { lot_id, ...noLot } = issue();
    const { kind, ...noKind } = issue();
    await refused(post(noQty), 400, 'missing_field', 'qty');
    await refused(post(noBin), 400, 'missing_field', 'bin_id');
    await refused(post(noLot), 400, 'missing_field', 'lot_id');
    await refused(post(noKind), 400, 'missing_field', 'kind');
    await refused(post({ kind: 'transfer', from_bin_id: a1.id, lot_id: tentLot, qty: 1 }),
                  400, 'missing_field', 'to_depot_id');
    await refused(post({ kind: 'reversal', reason: 'x' }), 400, 'missing_field', 'movement_id');
    await refused(post(receiveNew({}, { lot: { expiry_date: '2030-01-01' } })),
                  400, 'missing_field', 'lot_no');
    // a lot-tracked item needs lot_id or lot (only bulk items may omit both)
    await refused(post({ kind: 'receive', bin_id: a1.id, item_id: tent.id, qty: 1 }), 400,
                  'missing_field');
    await refused(post({}), 400, 'missing_field', 'kind');
  });
});

test('a text longer than its field: 400 bad_value naming it', async () => {
  await softly(async () => {
    await refused(post(issue({ reason: 'r'.repeat(256) })), 400, 'bad_value', 'reason');
    await refused(post(issue({ recipient: 'p'.repeat(129) })), 400, 'bad_value', 'recipient');
    await refused(post(issue({ reference: 'f'.repeat(129) })), 400, 'bad_value', 'reference');
    await refused(post(receiveNew({ lot_no: 'L'.repeat(65) })), 400, 'bad_value', 'lot_no');
  });
});

test('a body on a GET that is not a JSON object: 400 bad_json', async () => {
  // (fetch refuses a body on GET, so node:http sends it)
  expectError(await sendRaw(h.base, 'GET', '/stock', 'not json', wh.authHeaders()),
              400, 'bad_json');
});

test('a kind that does not exist: 400 bad_value', async () => {
  await softly(async () => {
    await refused(post(issue({ kind: 'steal' })), 400, 'bad_value', 'kind');
    await refused(post(issue({ kind: 'ISSUE' })), 400, 'bad_value', 'kind');
    // transfer_out/transfer_in/count are ledger kinds, not request kinds
    await refused(post(issue({ kind: 'count' })), 400, 'bad_value', 'kind');
  });
});

test('unknown ids in the body: 422 unknown_reference naming the field', async () => {
  await softly(async () => {
    const BAD = 999999999;
    await refused(post(issue({ bin_id: BAD })), 422, 'unknown_reference', 'bin_id');
    await refused(post(issue({ lot_id: BAD })), 422, 'unknown_reference', 'lot_id');
    await refused(post(receiveNew({}, { item_id: BAD })), 422, 'unknown_reference', 'item_id');
    await refused(post({ kind: 'receive', bin_id: a1.id, item_id: tent.id, lot_id: BAD, qty: 1 }),
                  422, 'unknown_reference', 'lot_id');
    await refused(() => move(admin, { kind: 'transfer', from_bin_id: a1.id, lot_id: tentLot, qty: 1,
                                      to_depot_id: BAD }),
                  422, 'unknown_reference', 'to_depot_id');
    await refused(() => move(admin, { kind: 'transfer', from_bin_id: BAD, lot_id: tentLot, qty: 1,
                                      to_depot_id: depotB.id }),
                  422, 'unknown_reference', 'from_bin_id');
    await refused(() => move(admin, { kind: 'transfer_receive', transfer_id: BAD, to_bin_id: a1.id,
                                      qty: 1 }),
                  422, 'unknown_reference', 'transfer_id');
    await refused(post({ kind: 'reversal', movement_id: BAD, reason: 'x' }),
                  422, 'unknown_reference', 'movement_id');
    await refused(() => wh.post('/stocktakes', { bin_id: BAD, lot_id: tentLot, counted_qty: 1 }),
                  422, 'unknown_reference', 'bin_id');
    // a lot of another item is not this item's lot
    await refused(post({ kind: 'receive', bin_id: a1.id, item_id: tent.id, lot_id: waterLot,
                         qty: 1 }),
                  422, ['unknown_reference', 'rule_broken'], undefined);
  });
});

test('unknown ids in the path: 404 not_found', async () => {
  await softly(async () => {
    const BAD = 999999999;
    for (const p of [`/depots/${BAD}`, `/lots/${BAD}`, `/movements/${BAD}`, `/transfers/${BAD}`,
                     `/org-units/${BAD}`, `/assets/${BAD}`, '/items/NO-SUCH-ITEM',
                     `/items/${BAD}`, '/org-units/999999999999', '/no-such-thing',
                     '/movements/abc'])
      expectError(await wh.get(p), 404, 'not_found');
    await refused(() => wh.post(`/stocktakes/${BAD}/recount`, { counted_qty: 1 }),
                  404, 'not_found');
    await refused(() => wh.post(`/depots/${BAD}/bins`, { code: 'Z-99' }), 404, 'not_found');
    expectError(await wh.get('/api/v2/stock'), 404, 'not_found');
  });
});

test('a known path with the wrong method: 405 method_not_allowed', async () => {
  await softly(async () => {
    await refused(() => wh.del('/movements'), 405, 'method_not_allowed');
    await refused(() => wh.put(`/movements/${rcvMovement.id}`, { qty: 1 }), 405,
                  'method_not_allowed');
    await refused(() => wh.del(`/movements/${rcvMovement.id}`), 405, 'method_not_allowed');
    await refused(() => wh.patch('/stock', { qty: 1 }), 405, 'method_not_allowed');
  });
});

test('zero, negative and too fine quantities: 400 bad_quantity', async () => {
  await softly(async () => {
    for (const qty of [0, -1, -0.5, 0.0001, 1e-9, 1.2345, 1e300, -1e300])
      await refused(post(issue({ qty })), 400, 'bad_quantity', 'qty');
    await refused(raw(`{"kind":"issue","bin_id":${a1.id},"lot_id":${tentLot},"qty":-0}`),
                  400, 'bad_quantity', 'qty');
    await refused(raw(`{"kind":"issue","bin_id":${a1.id},"lot_id":${tentLot},"qty":1e999}`),
                  400, ['bad_quantity', 'bad_json'], undefined);
    await refused(post(receiveNew({}, { qty: 0 })), 400, 'bad_quantity', 'qty');
    await refused(post(receiveNew({}, { qty: -5 })), 400, 'bad_quantity', 'qty');
    await refused(post({ kind: 'return', bin_id: a1.id, lot_id: tentLot, qty: -2 }),
                  400, 'bad_quantity', 'qty');
    // large receipts must still be exact to 0.001
    // (an issue, so that a wrongly accepted 1000.0004 meets 409 and changes nothing)
    await refused(post({ kind: 'issue', bin_id: a1.id, lot_id: waterLot, qty: 1000.0004 }),
                  400, 'bad_quantity', 'qty');
  });
});

test('fractional quantities: refused for an integral item, fine for litres', async () => {
  await softly(async () => {
    await refused(post(issue({ qty: 2.5 })), 400, 'bad_quantity', 'qty');
    await refused(post(receiveNew({}, { qty: 0.5 })), 400, 'bad_quantity', 'qty');
    await refused(post({ kind: 'adjust', bin_id: a1.id, lot_id: tentLot, qty: -0.5, reason: 'x' }),
                  400, 'bad_quantity', 'qty');
    await refused(post(issue({ qty: 600.0004 })), 400, 'bad_quantity', 'qty');
    // 2.5 L of water is a normal quantity
    const m = await moveOk(wh, { kind: 'issue', bin_id: a1.id, lot_id: waterLot, qty: 2.5 });
    assert.equal(num(m.movement.balance_after), 98);
    const r = await moveOk(wh, { kind: 'return', bin_id: a1.id, lot_id: waterLot, qty: 0.125 });
    assert.equal(num(r.movement.balance_after), 98.125);
    assert.equal(await stockQty(wh, waterLot, a1.id), 98.125);
    // the sum of many tenths stays exact
    for (let i = 0; i < 10; i++)
      await moveOk(wh, { kind: 'issue', bin_id: a1.id, lot_id: waterLot, qty: 0.1 });
    assert.equal(await stockQty(wh, waterLot, a1.id), 97.125);
  });
});

test('impossible dates: 400 bad_date', async () => {
  await softly(async () => {
    for (const d of ['2026-02-30', '2026-13-01', 'yesterday', '2026-02-29', '2026-1-5',
                     '30/06/2031', '2031-06-30T00:00:00Z', ''])
      await refused(post(receiveNew({ expiry_date: d })), 400, 'bad_date', 'expiry_date');
    await refused(post(receiveNew({ production_date: '2025-04-31' })), 400, 'bad_date',
                  'production_date');
    for (const t of ['yesterday', '2026-11-28T10:00:00', '2026-02-30T10:00:00Z',
                     '2026-11-28T25:00:00Z', '2026-11-28 10:00', 'now'])
      await refused(post(issue({ occurred_at: t })), 400, 'bad_date', 'occurred_at');
    // a real leap day is fine
    const ok = await moveOk(wh, receiveNew({ production_date: '2024-02-29',
                                             expiry_date: '2032-02-29' }));
    const lot = await wh.get(`/lots/${ok.movement.lot_id}`);
    expectStatus(lot, 200);
    assert.equal((lot.json.lot ?? lot.json).expiry_date, '2032-02-29');
    // production after expiry: refused (the docs name no code; 400 or 422)
    await refused(post(receiveNew({ production_date: '2030-01-02', expiry_date: '2030-01-01' })),
                  [400, 422], ['bad_value', 'rule_broken', 'bad_date']);
  });
});

test('a body over 1 MiB: 413 body_too_large', async () => {
  const big = JSON.stringify(issue({ reason: 'x'.repeat(1024 * 1024 + 10) }));
  const hdrs = () => ({ ...wh.authHeaders(), 'Idempotency-Key': randomUUID() });
  const s0 = await state();
  // With "Expect: 100-continue" (what curl sends for large bodies) the server
  // can refuse on the declared Content-Length before the body is sent.
  const r = await sendRaw(h.base, 'POST', '/movements', big, hdrs(), { expectContinue: true });
  expectError(r, 413, 'body_too_large');
  assert.equal(r.bodySent, false, 'the server asked for the body of an oversized request');
  const junk = await sendRaw(h.base, 'POST', '/movements', 'z'.repeat(2 * 1024 * 1024), hdrs(),
                             { expectContinue: true });
  expectError(junk, 413, 'body_too_large');
  assert.deepEqual(await state(), s0, 'a body over 1 MiB wrote something');
  // just under the limit is read and parsed as usual
  const under = JSON.stringify({ kind: 'issue', bin_id: a1.id, lot_id: tentLot, qty: 0 }) +
                ' '.repeat(1024 * 1024 - 200);
  assert.ok(Buffer.byteLength(under) < 1024 * 1024);
  await refused(() => wh.raw('POST', '/movements', under), 400, 'bad_quantity', 'qty');
  assert.deepEqual(await state(), s0);
});

test('a client sending a body over 1 MiB all at once (fetch, browsers) always reads the 413',
     async () => {
  // No "Expect: 100-continue" here: the body is still arriving when the server
  // answers.  If the server then closes with unread request data, the kernel
  // sends a TCP RST and the client may lose the 413 and see EPIPE/ECONNRESET
  // instead.  Whether that happens depends on timing, so this sends 20 times:
  // a server that drains (or lingers before closing) passes every time.
  const big = JSON.stringify(issue({ reason: 'x'.repeat(1024 * 1024 + 10) }));
  const s0 = await state();
  const outcomes = {};
  for (let i = 0; i < 20; i++) {
    let k;
    try {
      const r = await wh.raw('POST', '/movements', big);
      k = `${r.status} ${r.json?.error?.code}`;
    } catch (e) {
      k = `network error ${e.cause?.code ?? e.message}`;
    }
    outcomes[k] = (outcomes[k] ?? 0) + 1;
  }
  assert.deepEqual(outcomes, { '413 body_too_large': 20 });
  assert.deepEqual(await state(), s0);
});

test('no session, an expired one, or a garbage token: 401 and nothing written', async () => {
  await softly(async () => {
    await refused(() => h.anon().post('/movements', issue()), 401, 'unauthenticated');
    await refused(() => h.anon().post('/movements', issue(),
                                      { headers: { Cookie: 'rs_session=deadbeef' } }),
                  401, 'unauthenticated');
    const c = await h.login(`wh-${TOWN_A}`);
    const hash = createHash('sha256').update(c.token).digest('hex');
    const rows = await sql(`UPDATE app_session SET expires_at = '2001-01-01 00:00:00' ` +
                           `WHERE token_hash = '${hash}'; SELECT ROW_COUNT()`);
    assert.equal(rows[0][0], '1', 'session row not found by sha256(token)');
    await refused(() => move(c, issue()), 401, 'unauthenticated');
  });
});

test('malformed query parameters: 400 bad_query, or bad_date for a date',
     async () => {
  for (const q of ['/stock?lot=abc', '/stock?limit=0', '/stock?limit=-1', '/stock?limit=1000',
                   '/stock?cursor=%%%', '/movements?lot=1e3',
                   '/movements?bin=x'])
    expectError(await wh.get(q), 400, 'bad_query');
  // docs/api.md: "A malformed date in a query string is bad_date (with field)"
  for (const [q, f] of [['/stock?expires_before=2026-02-30', 'expires_before'],
                        ['/movements?to=2026-13-01', 'to'],
                        ['/movements?from=2026-11-28T10:00:00Z', 'from'],
                        ['/lots?expires_after=tomorrow', 'expires_after']])
    expectError(await wh.get(q), 400, 'bad_date', f);
});

test('after all the bad input, the fixture lots are exactly as the good requests left them',
     async () => {
  assert.equal(await stockQty(wh, tentLot, a1.id), 40);
  const mv = await wh.all(`/movements?lot=${tentLot}`);
  assert.equal(mv.length, 1, `the tent lot has ${mv.length} movements, expected only its receipt`);
});
