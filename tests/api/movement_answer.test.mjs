// movement_answer.test.mjs -- the answer of POST /movements for the simple
// kinds (issue, return, dispose, adjust) is built without reading the new
// movement back (issue 8: h_ledger.c mv_simple, ledger_post_row); it must be
// the very movement GET /movements/{id} shows: the same keys in the same
// order, the same values, the same bytes.  Covers integral and fractional
// quantities, a lot without an expiry date, every optional field present and
// absent, an event, a back-dated occurred_at, a Bearer session, and the
// replay of a stored answer.  The other kinds (read back as before) are
// compared too, so the two paths cannot drift apart.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';

import {
  useServer, expectStatus, item, townBin, bin, move, receiveFresh, moveOk, uniq,
  TOWN_A, TENT, WATER,
} from './lib/harness.mjs';

const h = useServer();
let wh, auditor, tent, water, a1, a3, depotA;

before(async () => {
  wh = await h.login(`wh-${TOWN_A}`);
  auditor = await h.login('city-auditor');
  tent = await item(wh, TENT);
  water = await item(wh, WATER);
  ({ depot: depotA, bin: a1 } = await townBin(wh, TOWN_A, 'A-01'));
  a3 = bin(depotA, 'A-03');
});

// POST, then GET the same id; both must say the same thing, byte for byte.
async function postAndCompare(client, body, label) {
  const key = randomUUID();
  const r = await move(client, body, { idemKey: key });
  expectStatus(r, 201);
  const posted = r.json.movement;
  assert.ok(posted && posted.id !== undefined, `${label}: no movement in ${r.text.slice(0, 300)}`);

  const g = await client.get(`/movements/${posted.id}`);
  expectStatus(g, 200);
  const got = g.json.movement ?? g.json;

  assert.deepEqual(Object.keys(posted), Object.keys(got), `${label}: keys or their order differ`);
  for (const k of Object.keys(got))
    assert.deepEqual(posted[k], got[k], `${label}: field ${k}: POST ${JSON.stringify(posted[k])}` +
                     ` GET ${JSON.stringify(got[k])}`);
  // The same text: the POST answer wraps exactly the GET's object (a move
  // also carries its transfer).
  if (!r.json.transfer) {
    const want = g.json.movement ? g.text : `{"movement":${g.text}}`;
    assert.equal(r.text, want, `${label}: the answers' bytes differ`);
  }

  // A repeat with the same key replays the stored answer, the same bytes.
  const again = await move(client, body, { idemKey: key });
  expectStatus(again, 201);
  assert.equal(again.headers.get('idempotent-replayed'), 'true', `${label}: not a replay`);
  assert.equal(again.text, r.text, `${label}: the replay differs from the first answer`);
  return posted;
}

test('issue, return, dispose, adjust: the POST answer is the movement GET shows', async () => {
  const { lotId: L } = await receiveFresh(wh, { binId: a1.id, itemId: tent.id, qty: 50 });
  const cases = [
    ['issue, bare', { kind: 'issue', bin_id: a1.id, lot_id: L, qty: 3 }],
    ['issue, every field', { kind: 'issue', bin_id: a1.id, lot_id: L, qty: 2,
                             recipient: '石碣镇安置点 "一号"', reason: '台风 转移',
                             reference: 'REF-' + uniq('I'),
                             occurred_at: '2026-03-01T08:30:00Z' }],
    ['return', { kind: 'return', bin_id: a1.id, lot_id: L, qty: 1, recipient: '安置点' }],
    ['return, back-dated', { kind: 'return', bin_id: a1.id, lot_id: L, qty: 1,
                             occurred_at: '2020-02-29T23:59:59Z' }],
    ['dispose', { kind: 'dispose', bin_id: a1.id, lot_id: L, qty: 1, reason: '破损' }],
    ['adjust up', { kind: 'adjust', bin_id: a1.id, lot_id: L, qty: 4, reason: 'recount' }],
    ['adjust down', { kind: 'adjust', bin_id: a1.id, lot_id: L, qty: -2, reason: 'recount',
                      reference: '' }],
  ];
  let expected = 50;
  for (const [label, body] of cases) {
    const m = await postAndCompare(wh, body, label);
    const signed = ['issue', 'dispose'].includes(body.kind) ? -body.qty : body.qty;
    expected += signed;
    assert.equal(Number(m.qty), signed, `${label}: qty`);
    assert.equal(Number(m.balance_after), expected, `${label}: balance_after`);
    assert.equal(m.username, `wh-${TOWN_A}`, `${label}: username`);
    assert.equal(m.bin_code, 'A-01', `${label}: bin_code`);
    assert.equal(m.item_code, TENT, `${label}: item_code`);
  }
});

test('fractional quantities, a lot without an expiry date, a Bearer session', async () => {
  const lotNo = uniq('NOEXP');
  const rcv = await postAndCompare(wh, { kind: 'receive', bin_id: a3.id, item_id: water.id,
                                         qty: 100.5, lot: { lot_no: lotNo } }, 'receive');
  assert.equal(rcv.expiry_date, null, 'the lot has no expiry date');
  const L = rcv.lot_id;
  const bearer = wh.withBearer();
  const m1 = await postAndCompare(bearer, { kind: 'issue', bin_id: a3.id, lot_id: L, qty: 0.25,
                                            recipient: 'x' }, 'issue 0.25');
  assert.equal(m1.qty, -0.25);
  assert.equal(m1.balance_after, 100.25);
  const m2 = await postAndCompare(bearer, { kind: 'adjust', bin_id: a3.id, lot_id: L,
                                            qty: -0.125, reason: 'evaporation' }, 'adjust -0.125');
  assert.equal(m2.balance_after, 100.125);
  const m3 = await postAndCompare(wh, { kind: 'dispose', bin_id: a3.id, lot_id: L, qty: 100.125,
                                        reason: 'contaminated' }, 'dispose to zero');
  assert.equal(m3.balance_after, 0);
});

test('an issue made for an event carries the event in its answer', async () => {
  const code = uniq('EVA');
  const r = await auditor.post('/events', { code, name_zh: '答复测试', kind: 'typhoon',
                                            started_on: '2026-09-01', places: [TOWN_A] });
  expectStatus(r, 201);
  const ev = r.json.event ?? r.json;
  const { lotId: L } = await receiveFresh(wh, { binId: a1.id, itemId: tent.id, qty: 5 });
  const m = await postAndCompare(wh, { kind: 'issue', bin_id: a1.id, lot_id: L, qty: 1,
                                       recipient: '安置点', event: code }, 'issue for an event');
  assert.equal(Number(m.event_id), Number(ev.id));
});

test('the read-back kinds still answer as GET does: move and reversal', async () => {
  const { lotId: L } = await receiveFresh(wh, { binId: a1.id, itemId: tent.id, qty: 9 });
  await postAndCompare(wh, { kind: 'move', bin_id: a1.id, to_bin_id: a3.id, lot_id: L, qty: 2 },
                       'move');
  const { movement: iss } = await moveOk(wh, { kind: 'issue', bin_id: a1.id, lot_id: L, qty: 1 });
  await postAndCompare(wh, { kind: 'reversal', movement_id: iss.id, reason: 'wrong lot' },
                       'reversal');
});
