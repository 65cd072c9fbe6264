// event_link.test.mjs -- a movement posted for an emergency event (POST
// /movements with `event`) is counted in that event's report; an unknown
// event is refused (422) and a closed one too (409), writing nothing.

import { test } from 'node:test';
import assert from 'node:assert/strict';

import {
  useServer, expectStatus, expectError, item, townBin, receiveFresh, moveOk, move, sql,
  verifyLedger, uniq, num, TOWN_A, TENT,
} from './lib/harness.mjs';

const h = useServer();

test('an issue made for an event is in the event report; unknown or closed events are refused', async () => {
  const auditor = await h.login('city-auditor');
  const wh = await h.login(`wh-${TOWN_A}`);
  const code = uniq('EV');
  let r = await auditor.post('/events', { code, name_zh: '台风测试', kind: 'typhoon',
                                          started_on: '2026-09-01', places: [TOWN_A] });
  expectStatus(r, 201);
  const ev = r.json.event ?? r.json;

  const tent = await item(wh, TENT);
  const { bin: b } = await townBin(wh, TOWN_A);
  const { lotId } = await receiveFresh(wh, { binId: b.id, itemId: tent.id, qty: 10 });

  const before = await sql(`SELECT COUNT(*) FROM movement WHERE lot_id = ${lotId}`);
  r = await move(wh, { kind: 'issue', bin_id: b.id, lot_id: lotId, qty: 3, recipient: '安置点',
                       event: 'NO-SUCH-EVENT' });
  expectError(r, 422, 'unknown_reference', 'event');
  assert.deepEqual(await sql(`SELECT COUNT(*) FROM movement WHERE lot_id = ${lotId}`), before,
                   'a refused movement writes nothing');

  const { movement } = await moveOk(wh, { kind: 'issue', bin_id: b.id, lot_id: lotId, qty: 3,
                                          recipient: '安置点', event: code });
  assert.equal(num(movement.event_id), num(ev.id));

  r = await auditor.get(`/events/${code}/report`);
  expectStatus(r, 200);
  const issued = r.json.rows.filter((x) => x.kind === 'issue' && x.item_code === TENT)
    .reduce((a, x) => a + num(x.qty), 0);
  assert.equal(issued, -3, 'the report counts the issue made for the event');

  r = await auditor.patch(`/events/${code}`, { status: 'closed', ended_on: '2026-09-05' });
  expectStatus(r, 200);
  r = await move(wh, { kind: 'issue', bin_id: b.id, lot_id: lotId, qty: 1, recipient: '安置点',
                       event: code });
  expectError(r, 409, 'conflict', 'event');
  assert.equal(num((await sql(`SELECT qty FROM stock WHERE bin_id = ${b.id} AND lot_id = ${lotId}`))[0][0]), 7);
  const v = await verifyLedger();
  assert.equal(v.code, 0, v.stderr);
});
