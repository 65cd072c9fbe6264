// scope.test.mjs -- role x scope (docs/api.md, "Scope" and the "who" column):
// each user sees and changes only its own org unit's subtree, and only what
// its role allows; without a session every endpoint is 401.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';

import {
  useServer, expectStatus, expectError, unwrap, item, orgUnit, townBin, bin, move, moveOk,
  receiveFresh, stockQty, lotState, dbSnapshot, uniq, TOWN_A, TOWN_B, TOWN_C, CITY, TENT,
} from './lib/harness.mjs';

const h = useServer();
let admin, auditor, whA, whB, offA, tent, depA, binA, depB, binB, lotA, lotB, mvB, ouA, ouB;

before(async () => {
  admin = await h.login('admin');
  auditor = await h.login('city-auditor');
  whA = await h.login(`wh-${TOWN_A}`);
  whB = await h.login(`wh-${TOWN_B}`);
  offA = await h.login(`town-${TOWN_A}`);
  tent = await item(admin, TENT);
  ({ depot: depA, bin: binA } = await townBin(admin, TOWN_A, 'B-01'));
  ({ depot: depB, bin: binB } = await townBin(admin, TOWN_B, 'B-01'));
  ouA = await orgUnit(admin, TOWN_A);
  ouB = await orgUnit(admin, TOWN_B);
  lotA = (await receiveFresh(whA, { binId: binA.id, itemId: tent.id, qty: 20 })).lotId;
  const rb = await receiveFresh(whB, { binId: binB.id, itemId: tent.id, qty: 20 });
  lotB = rb.lotId;
  mvB = rb.movement;
});

// "Nothing written": the fixture lots and the database row counts.
async function snapshot() {
  return { a: await lotState(admin, lotA), b: await lotState(admin, lotB), db: await dbSnapshot() };
}

async function forbidden(send) {
  const s0 = await snapshot();
  const r = await send();
  expectError(r, 403, 'forbidden');
  assert.deepEqual(await snapshot(), s0, `${r.method} ${r.path}: a 403 wrote something`);
}

test('warehouse of town A cannot move stock in town B', async () => {
  await forbidden(() => move(whA, { kind: 'issue', bin_id: binB.id, lot_id: lotB, qty: 1 }));
  await forbidden(() => move(whA, { kind: 'receive', bin_id: binB.id, item_id: tent.id, qty: 1,
                                    lot: { lot_no: uniq('SCOPE') } }));
  await forbidden(() => move(whA, { kind: 'receive', bin_id: binB.id, item_id: tent.id, qty: 1,
                                    lot_id: lotB }));
  await forbidden(() => move(whA, { kind: 'adjust', bin_id: binB.id, lot_id: lotB, qty: 1,
                                    reason: 'x' }));
  await forbidden(() => move(whA, { kind: 'dispose', bin_id: binB.id, lot_id: lotB, qty: 1,
                                    reason: 'x' }));
  await forbidden(() => move(whA, { kind: 'return', bin_id: binB.id, lot_id: lotB, qty: 1 }));
  await forbidden(() => move(whA, { kind: 'transfer', from_bin_id: binB.id, lot_id: lotB, qty: 1,
                                    to_depot_id: depA.id }));
  await forbidden(() => move(whA, { kind: 'reversal', movement_id: mvB.id, reason: 'x' }));
  await forbidden(() => whA.post('/stocktakes', { bin_id: binB.id, lot_id: lotB,
                                                  counted_qty: 20 }));
  await forbidden(() => whA.post(`/depots/${depB.id}/bins`, { code: uniq('Z') }));
  assert.equal(await stockQty(admin, lotB, binB.id), 20);
});

test('a transfer towards town B can only be received in town B', async () => {
  const { lotId } = await receiveFresh(whA, { binId: binA.id, itemId: tent.id, qty: 5 });
  const { transfer } = await moveOk(admin, { kind: 'transfer', from_bin_id: binA.id,
                                             lot_id: lotId, qty: 5, to_depot_id: depB.id });
  // town A's warehouse cannot receive it (the destination is outside its scope) ...
  await forbidden(() => move(whA, { kind: 'transfer_receive', transfer_id: transfer.id,
                                    to_bin_id: binB.id, qty: 5 }));
  // ... nor put it into a bin of its own town, which is not the transfer's destination
  const r = await move(whA, { kind: 'transfer_receive', transfer_id: transfer.id,
                              to_bin_id: binA.id, qty: 5 });
  expectError(r, [403, 422], ['forbidden', 'rule_broken']);
  // town B's warehouse can
  const ok = await moveOk(whB, { kind: 'transfer_receive', transfer_id: transfer.id,
                                 to_bin_id: binB.id, qty: 5 });
  assert.equal(ok.transfer?.status, 'received');
  // both towns see the transfer; town C's warehouse does not
  expectStatus(await whA.get(`/transfers/${transfer.id}`), 200);
  expectStatus(await whB.get(`/transfers/${transfer.id}`), 200);
  const whC = await h.login(`wh-${TOWN_C}`);
  expectError(await whC.get(`/transfers/${transfer.id}`), 403, 'forbidden');
  assert.ok(!(await whC.all('/transfers')).some((t) => t.id === transfer.id));
});

test('warehouse of town A cannot read town B', async () => {
  expectError(await whA.get(`/depots/${depB.id}`), 403, 'forbidden');
  expectError(await whA.get(`/depots/${depB.code}`), 403, 'forbidden');
  expectError(await whA.get(`/org-units/${TOWN_B}`), 403, 'forbidden');
  expectError(await whA.get(`/movements/${mvB.id}`), 403, 'forbidden');
  expectError(await whA.get(`/org-units/${ouB.id}`), 403, 'forbidden');
  for (const q of [`/stock?depot=${depB.id}`, `/movements?depot=${depB.id}`,
                   `/stock?depot=${depB.code}`, `/stock?org_unit=${ouB.id}`,
                   `/stock?org_unit=${TOWN_B}`, `/depots?org_unit=${TOWN_B}`,
                   `/teams?org_unit=${TOWN_B}`]) {
    const r = await whA.get(q);
    // either refused, or an empty list: never town B's rows
    if (r.status !== 200) expectError(r, 403, 'forbidden');
    else assert.deepEqual(r.json.items, [], `${q} showed town B's rows to town A`);
  }
  // lots are catalogue data, readable by every role; their stock is not
  expectStatus(await whA.get(`/lots/${lotB}`), 200);
  const r = await whA.get(`/stock?lot=${lotB}`);
  if (r.status !== 200) expectError(r, 403, 'forbidden');
  else assert.deepEqual(r.json.items, [], 'town B stock visible to town A');
  const mv = await whA.get(`/movements?lot=${lotB}`);
  if (mv.status !== 200) expectError(mv, 403, 'forbidden');
  else assert.deepEqual(mv.json.items, [], 'town B movements visible to town A');
});

test("a warehouse user's lists hold only its own town", async () => {
  const ous = await whA.all('/org-units');
  const ouIds = new Set(ous.map((o) => o.id));
  assert.ok(ouIds.has(ouA.id), 'town A not in its own GET /org-units');
  assert.ok(!ouIds.has(ouB.id), 'town B in town A\'s GET /org-units');
  assert.ok(!ous.some((o) => o.code === CITY), 'the city in town A\'s GET /org-units');
  // a tree hanging from town A: every other unit's parent is in the list too
  for (const o of ous)
    assert.ok(o.id === ouA.id || ouIds.has(o.parent_id),
              `org unit ${o.code} (parent ${o.parent_id}) is not under town A`);

  const deps = await whA.all('/depots');
  assert.ok(deps.some((d) => d.id === depA.id), 'own depot missing');
  for (const d of deps) {
    assert.ok(ouIds.has(d.org_unit_id), `depot ${d.code} (org unit ${d.org_unit_id}) ` +
                                        'outside town A');
    assert.ok(!/^D-441900-/.test(d.code) && (d.code === depA.code || !/^D-4419\d{5}$/.test(d.code)),
              `depot ${d.code} of another unit listed for town A`);
  }
  const depIds = new Set(deps.map((d) => d.id));

  const stock = await whA.all('/stock');
  assert.ok(stock.some((s) => s.lot_id === lotA), 'own fixture lot missing from GET /stock');
  assert.ok(!stock.some((s) => s.lot_id === lotB), 'town B\'s lot in town A\'s GET /stock');
  for (const s of stock)
    assert.ok(depIds.has(s.depot_id ?? depotOfBin(deps, s.bin_id)),
              `stock row of bin ${s.bin_id} outside town A's depots`);

  const stocktakes = await whA.all('/stocktakes');
  for (const st of stocktakes)
    assert.ok(st.depot_id === undefined || depIds.has(st.depot_id),
              `stocktake ${st.id} of depot ${st.depot_id} outside town A`);
});

function depotOfBin(deps, binId) {
  const d = deps.find((x) => (x.bins || []).some((b) => b.id === binId));
  return d ? d.id : undefined;
}

test('town official: reads its town, cannot move stock', async () => {
  expectStatus(await offA.get(`/depots/${depA.id}`), 200);
  expectError(await offA.get(`/depots/${depB.id}`), 403, 'forbidden');
  assert.equal(await stockQty(offA, lotA, binA.id), 20);
  await forbidden(() => move(offA, { kind: 'issue', bin_id: binA.id, lot_id: lotA, qty: 1 }));
  await forbidden(() => move(offA, { kind: 'receive', bin_id: binA.id, item_id: tent.id, qty: 1,
                                     lot_id: lotA }));
  await forbidden(() => offA.post('/stocktakes', { bin_id: binA.id, lot_id: lotA,
                                                   counted_qty: 20 }));
  await forbidden(() => offA.post('/lots', { item_id: tent.id, lot_no: uniq('OFF') }));
  await forbidden(() => offA.post('/items', { code: uniq('X'), name_zh: '测试', name_en: 'Test',
                                              unit: '个', tracking: 'bulk', integral: true }));
});

test('city-auditor reads every town and changes nothing', async () => {
  for (const [dep, lot] of [[depA, lotA], [depB, lotB]]) {
    expectStatus(await auditor.get(`/depots/${dep.id}`), 200);
    assert.equal(await stockQty(auditor, lot), 20);
    expectStatus(await auditor.get(`/movements?depot=${dep.id}&limit=5`), 200);
  }
  expectStatus(await auditor.get(`/movements/${mvB.id}`), 200);
  const ous = await auditor.all('/org-units');
  assert.ok(ous.some((o) => o.id === ouA.id) && ous.some((o) => o.id === ouB.id));
  await forbidden(() => move(auditor, { kind: 'issue', bin_id: binA.id, lot_id: lotA, qty: 1 }));
  await forbidden(() => move(auditor, { kind: 'receive', bin_id: binB.id, item_id: tent.id,
                                        qty: 1, lot_id: lotB }));
  await forbidden(() => auditor.post('/stocktakes', { bin_id: binA.id, lot_id: lotA,
                                                      counted_qty: 20 }));
  await forbidden(() => auditor.post('/lots', { item_id: tent.id, lot_no: uniq('AUD') }));
  await forbidden(() => auditor.post(`/depots/${depA.id}/bins`, { code: uniq('Z') }));
  await forbidden(() => auditor.post('/depots', { org_unit_id: ouA.id, code: uniq('D'),
                                                  kind: 'town', name_zh: '审计', name_en: 'Audit' }));
  await forbidden(() => auditor.post('/items', { code: uniq('X'), name_zh: '测试',
                                                 name_en: 'Test', unit: '个', tracking: 'bulk',
                                                 integral: true }));
});

test('depots and bins: who may create them where', async () => {
  await forbidden(() => whA.post('/depots', { org_unit_id: ouA.id, code: uniq('D'),
                                              kind: 'town', name_zh: '仓库', name_en: 'Depot' }));
  await forbidden(() => whA.post('/items', { code: uniq('X'), name_zh: '测试', name_en: 'Test',
                                             unit: '个', tracking: 'bulk', integral: true }));
  // a town official may not create a depot in another town ...
  await forbidden(() => offA.post('/depots', { org_unit_id: ouB.id, code: uniq('D'),
                                               kind: 'town', name_zh: '仓库', name_en: 'Depot' }));
  // ... but may in its own, and a warehouse user may add a bin there
  const d = await offA.post('/depots', { org_unit_id: ouA.id, code: uniq('D-TEST'), kind: 'town',
                                         name_zh: '测试仓库', name_en: 'Test depot' });
  expectStatus(d, 201);
  const dep = unwrap(d.json, 'depot');
  const b = await whA.post(`/depots/${dep.id}/bins`, { code: 'T-01' });
  expectStatus(b, 201);
  expectError(await whA.post(`/depots/${dep.id}/bins`, { code: 'T-01' }), 409, 'conflict');
  await forbidden(() => whB.post(`/depots/${dep.id}/bins`, { code: 'T-02' }));
});

test('admin can act everywhere', async () => {
  const m1 = await moveOk(admin, { kind: 'issue', bin_id: binA.id, lot_id: lotA, qty: 1 });
  const m2 = await moveOk(admin, { kind: 'issue', bin_id: binB.id, lot_id: lotB, qty: 1 });
  await moveOk(admin, { kind: 'reversal', movement_id: m1.movement.id, reason: 'admin test' });
  await moveOk(admin, { kind: 'reversal', movement_id: m2.movement.id, reason: 'admin test' });
  expectStatus(await admin.get(`/depots/${depA.id}`), 200);
  expectStatus(await admin.get(`/depots/${depB.id}`), 200);
  const st = await admin.post('/stocktakes', { bin_id: binB.id, lot_id: lotB, counted_qty: 20 });
  expectStatus(st, 201);
  assert.equal(await stockQty(admin, lotA, binA.id), 20);
  assert.equal(await stockQty(admin, lotB, binB.id), 20);
  const ous = await admin.all('/org-units');
  assert.ok(ous.some((o) => o.code === CITY));
});

// Every endpoint of docs/api.md's table except the public ones.
// (POST /auth/logout is public: always 204, see auth.test.mjs.)
const ENDPOINTS = [
  ['GET', '/auth/me'],
  ['GET', '/org-units'], ['GET', '/org-units/{ou}'],
  ['GET', '/items'], ['GET', '/items/{item}'], ['POST', '/items'],
  ['GET', '/teams'],
  ['GET', '/depots'], ['GET', '/depots/{depot}'], ['POST', '/depots'],
  ['POST', '/depots/{depot}/bins'],
  ['GET', '/lots'], ['GET', '/lots/{lot}'], ['POST', '/lots'],
  ['GET', '/assets'], ['GET', '/assets/1'], ['POST', '/assets'],
  ['GET', '/stock'], ['GET', '/stock?format=csv'],
  ['POST', '/movements'], ['GET', '/movements'], ['GET', '/movements?format=csv'],
  ['GET', '/movements/{mv}'],
  ['GET', '/transfers'], ['GET', '/transfers/1'],
  ['POST', '/stocktakes'], ['POST', '/stocktakes/1/recount'], ['GET', '/stocktakes'],
];

test('no session: 401 unauthenticated on every endpoint', async () => {
  const anon = h.anon();
  const ids = { ou: ouA.id, item: tent.id, depot: depA.id, lot: lotA, mv: mvB.id };
  const s0 = await snapshot();
  const wrong = [];
  for (const [method, pattern] of ENDPOINTS) {
    const path = pattern.replace(/\{(\w+)\}/g, (_, k) => ids[k]);
    for (const headers of [{}, { Cookie: 'rs_session=0123456789abcdef' },
                           { Authorization: 'Bearer 0123456789abcdef' }]) {
      const r = await anon.send(method, path, method === 'GET' ? undefined : {}, { headers });
      if (r.status !== 401 || r.json?.error?.code !== 'unauthenticated')
        wrong.push(`${method} ${path} ${JSON.stringify(headers)} -> ${r.status} ${r.text.slice(0, 120)}`);
    }
  }
  assert.deepEqual(wrong, [], 'endpoints that did not answer 401 unauthenticated');
  assert.deepEqual(await snapshot(), s0);
  // the two public ones
  expectStatus(await anon.get('/healthz'), 200);
  expectError(await anon.post('/auth/login', { username: 'admin', password: 'x' }),
              401, 'invalid_credentials');
});
