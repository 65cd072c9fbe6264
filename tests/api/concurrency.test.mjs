// concurrency.test.mjs -- many clients issuing one lot at once: the balance
// never goes below zero, every acknowledged issue is in the ledger, and the
// lot is drained to exactly zero (architecture.md, invariants 1 and 2).
//
// Nothing here depends on timing: clients loop until the lot is empty, and
// a client told 409 for 2 or 3 units tries 1 before it stops, so the lot
// always ends at zero whatever the interleaving.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';

import {
  useServer, expectError, num, item, townBin, move, receiveFresh, stockQty, lotMovements,
  TOWN_A, TENT,
} from './lib/harness.mjs';

const N = 200;       // units received
const CLIENTS = 32;  // concurrent sessions of warehouse users of town A
const h = useServer();
let sessions, tent, a1;

before(async () => {
  // Separate sessions (each its own token); log-ins in small groups so the
  // password hashing does not dominate.
  sessions = [];
  for (let i = 0; i < CLIENTS; i += 8)
    sessions.push(...await Promise.all(
      Array.from({ length: Math.min(8, CLIENTS - i) }, () => h.login(`wh-${TOWN_A}`))));
  assert.equal(new Set(sessions.map((s) => s.token)).size, CLIENTS);
  tent = await item(sessions[0], TENT);
  ({ bin: a1 } = await townBin(sessions[0], TOWN_A, 'A-06'));
});

test(`${CLIENTS} clients issue one lot of ${N} concurrently: exactly ${N} issued, balance 0`,
     async () => {
  const { lotId } = await receiveFresh(sessions[0], { binId: a1.id, itemId: tent.id, qty: N });
  let seed = 12345; // a fixed pseudo-random sequence of 1..3 per request
  const nextQty = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return 1 + (seed % 3); };

  const acked = [];   // {qty, movement}
  const errors = [];
  let busyRetries = 0;

  async function client(c) {
    for (;;) {
      let qty = nextQty();
      for (;;) {
        const key = randomUUID();
        let r;
        // 503 busy: retry with the same key, so a retry can never apply twice.
        for (let attempt = 0; ; attempt++) {
          r = await move(c, { kind: 'issue', bin_id: a1.id, lot_id: lotId, qty,
                              recipient: 'concurrency test' }, { idemKey: key });
          if (r.status !== 503 || attempt >= 50) break;
          busyRetries++;
          await new Promise((res) => setTimeout(res, 5 + attempt * 5));
        }
        if (r.status === 201) {
          acked.push({ qty, movement: r.json.movement });
          break;
        }
        if (r.status === 409 && r.json?.error?.code === 'insufficient_stock') {
          if (qty > 1) { qty = 1; continue; } // maybe 1 or 2 units are left
          return;                            // empty
        }
        errors.push(`${r.status} ${r.text.slice(0, 200)}`);
        return;
      }
    }
  }

  const t0 = process.hrtime.bigint();
  await Promise.all(sessions.map(client));
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const rate = acked.length / (ms / 1000);
  console.log(`concurrency: ${CLIENTS} clients, ${acked.length} issues in ${ms.toFixed(0)} ms = ` +
              `${rate.toFixed(0)} movements/s (${busyRetries} busy retries)`);

  assert.deepEqual(errors, [], 'unexpected answers');
  const issued = acked.reduce((a, x) => a + x.qty, 0);
  assert.equal(issued, N, `acknowledged issues add up to ${issued}, not ${N}`);
  assert.equal(await stockQty(sessions[0], lotId, a1.id), 0);

  // Every acknowledged movement is in the ledger, with nothing extra, and the
  // balances chain: each row's balance_after = the previous one's + its qty.
  const mv = await lotMovements(sessions[0], lotId);
  const issues = mv.filter((m) => m.kind === 'issue');
  assert.equal(issues.length, acked.length, 'ledger rows != acknowledged issues');
  assert.deepEqual(new Set(issues.map((m) => m.id)), new Set(acked.map((x) => x.movement.id)));
  let bal = 0;
  for (const m of mv) {
    const q = m.kind === 'issue' ? -Math.abs(num(m.qty)) : num(m.qty);
    bal += q;
    assert.ok(bal >= 0, `balance below zero at movement ${m.id}`);
    assert.equal(num(m.balance_after), bal, `balance_after of movement ${m.id}`);
  }
  assert.equal(bal, 0);
  // Each acknowledged answer carried the balance its row has.
  const byId = new Map(mv.map((m) => [m.id, num(m.balance_after)]));
  for (const { movement } of acked)
    assert.equal(num(movement.balance_after), byId.get(movement.id));

  // And one more is refused.
  expectError(await move(sessions[1], { kind: 'issue', bin_id: a1.id, lot_id: lotId, qty: 1 }),
              409, 'insufficient_stock');
});
