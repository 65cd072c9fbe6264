// cluster.test.mjs -- failover on a three-node Galera cluster (scripts/cluster,
// docs/cluster.md).  Long: only with RELIEF_TEST_LONG=1 (scripts/test --long);
// otherwise it skips (exit 77).
//
// scripts/cluster up (in a throw-away folder unless CLUSTER_DIR is set), log
// in on reliefd 1, then CLIENTS clients post issues on reliefd 2 with that
// same session (sessions live in the database), each with its own
// Idempotency-Key and retrying with the same key until it is acknowledged.
// Meanwhile node 2 -- reliefd 2's own node -- is killed with SIGKILL; reliefd
// 2 must move to another node and the clients keep going.  Then: every
// acknowledged movement is in the ledger exactly once on each live node,
// nothing else is (no phantom), the balance is the received quantity less the
// acknowledged issues, verify-ledger passes on each node, and node 2 rejoins
// and has the same rows.  The figures are printed.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';

const run = promisify(execFile);
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

if (process.env.RELIEF_TEST_LONG !== '1') {
  console.log('cluster: a long test; runs with RELIEF_TEST_LONG=1 (scripts/test --long); skipped');
  process.exit(77);
}
if (!process.env.RELIEF_RELIEFD) {
  console.log('cluster: RELIEF_RELIEFD is not set (ctest sets it); skipped');
  process.exit(77);
}

for (const need of ['/usr/lib/galera/libgalera_smm.so', '/usr/bin/wsrep_sst_rsync', '/usr/bin/rsync']) {
  if (!existsSync(need)) {
    console.log(`cluster: ${need} is missing (Debian: galera-4, mariadb-server, rsync); skipped`);
    process.exit(77);
  }
}

const CLIENTS = Number(process.env.CLUSTER_CLIENTS || 8);
const BEFORE_MS = 3000, AFTER_MS = 8000;
const ownDir = !process.env.CLUSTER_DIR;
const env = {
  ...process.env,
  CLUSTER_DIR: process.env.CLUSTER_DIR || mkdtempSync(join(tmpdir(), 'rs-cluster-')),
  CLUSTER_BUILD_DIR: resolve(dirname(process.env.RELIEF_RELIEFD), '..'),
};
for (const k of Object.keys(env)) if (k.startsWith('RELIEF_') && k !== 'RELIEF_RELIEFD') delete env[k];
const HTTP = Number(env.CLUSTER_HTTP_PORT || 8281);
const base = (n) => `http://127.0.0.1:${HTTP + n - 1}/api/v1`;

const cluster = async (...args) =>
  (await run(join(ROOT, 'scripts/cluster'), args, { env, maxBuffer: 1 << 24 })).stdout;
const sql = async (node, q) => (await cluster('sql', String(node), q)).trim();

after(async () => {
  if (process.env.CLUSTER_KEEP === '1') return;
  await cluster('down').catch((e) => console.error(e.stderr || e));
  if (ownDir) rmSync(env.CLUSTER_DIR, { recursive: true, force: true });
});

async function call(n, method, path, token, body, key) {
  const headers = { 'Content-Type': 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (key) headers['Idempotency-Key'] = key;
  const r = await fetch(base(n) + path, {
    method, headers, body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(30000),
  });
  const text = await r.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: r.status, json, text };
}

test('posting through a node crash: reliefd fails over, no acknowledged movement lost', async () => {
  const t0 = Date.now();
  await cluster('up');
  console.log(`cluster up in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

  // Log in on reliefd 1 (node 1), use the session on reliefd 2 (node 2).
  const login = await fetch(base(1) + '/auth/login', {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username: 'wh-441900101', password: 'reliefstock-demo' }),
  });
  assert.equal(login.status, 200, await login.text());
  const token = /rs_session=([0-9a-f]{64})/.exec(login.headers.get('set-cookie'))[1];

  const bin = { id: Number(await sql(1, "SELECT b.id FROM bin b JOIN depot d ON d.id = b.depot_id" +
                                        " WHERE d.code = 'D-441900101' AND b.code = 'A-01'")) };
  const item = { id: Number(await sql(1, "SELECT id FROM item WHERE code = 'DG-SH-01'")) };
  const tag = `cluster-${Date.now()}`;
  const received = 1000000;
  const rec = await call(1, 'POST', '/movements', token, {
    kind: 'receive', bin_id: bin.id, item_id: item.id, qty: received,
    lot: { lot_no: tag, expiry_date: '2031-06-30' }, reference: tag,
  }, randomUUID());
  assert.equal(rec.status, 201, rec.text);
  const lotId = rec.json.movement.lot_id;

  const acked = new Map(); // key -> movement id
  const waits = []; // [acknowledged at, ms from the first attempt]
  let failures = 0, firstFail = 0, lastFail = 0, stop = false;
  async function client(c) {
    while (!stop) {
      const key = randomUUID();
      const started = Date.now();
      for (;;) { // the same key until acknowledged: a retry never applies twice
        let r;
        try {
          r = await call(2, 'POST', '/movements', token,
                         { kind: 'issue', bin_id: bin.id, lot_id: lotId, qty: 1, recipient: tag },
                         key);
        } catch (e) {
          r = { status: 0, text: String(e) };
        }
        if (r.status === 201) {
          if (acked.has(key)) assert.equal(acked.get(key), r.json.movement.id);
          acked.set(key, r.json.movement.id);
          waits.push([Date.now(), Date.now() - started]);
          break;
        }
        assert.ok([0, 409, 503].includes(r.status), `client ${c}: unexpected ${r.status} ${r.text}`);
        const now = Date.now();
        failures++;
        if (!firstFail) firstFail = now;
        lastFail = now;
        if (stop && Date.now() - now > 30000) return;
        await new Promise((res) => setTimeout(res, 50));
      }
    }
  }
  const clients = Array.from({ length: CLIENTS }, (_, c) => client(c));
  await new Promise((res) => setTimeout(res, BEFORE_MS));
  const beforeKill = acked.size;
  const killedAt = Date.now();
  await cluster('kill', '2');
  await new Promise((res) => setTimeout(res, AFTER_MS));
  stop = true;
  await Promise.all(clients);
  const afterKill = acked.size - beforeKill;
  const window = firstFail ? (lastFail - firstFail) / 1000 : 0;
  console.log(`acknowledged ${acked.size} issues (${beforeKill} before the kill, ${afterKill} in the` +
              ` ${AFTER_MS / 1000} s after it); ${failures} failed attempts, retried;` +
              ` requests failed from ${firstFail ? ((firstFail - killedAt) / 1000).toFixed(2) : '-'} s` +
              ` to ${lastFail ? ((lastFail - killedAt) / 1000).toFixed(2) : '-'} s after the kill` +
              ` (window ${window.toFixed(2)} s)`);
  const slow = waits.filter(([at]) => at >= killedAt).map(([, ms]) => ms).sort((a, b) => a - b);
  const pct = (p) => slow.length ? slow[Math.min(slow.length - 1, Math.floor(slow.length * p))] : 0;
  console.log(`after the kill: request time p50 ${pct(0.5)} ms, p99 ${pct(0.99)} ms,` +
              ` longest ${slow.length ? slow[slow.length - 1] : 0} ms (retries included)`);
  assert.ok(afterKill > 0, 'nothing was acknowledged after the node was killed: no failover');

  const ids = [...acked.values()].sort((a, b) => a - b);
  assert.equal(new Set(ids).size, ids.length, 'two keys acknowledged with the same movement');
  const check = async (node) => {
    const rows = (await sql(node, `SELECT id FROM movement WHERE lot_id = ${lotId}` +
                                  ` AND kind = 'issue' ORDER BY id`)).split('\n').filter(Boolean).map(Number);
    const have = new Set(rows);
    const lost = ids.filter((id) => !have.has(id)).length;
    const phantom = rows.length - (ids.length - lost);
    const dup = rows.length - have.size;
    const qty = Number(await sql(node, `SELECT qty FROM stock WHERE bin_id = ${bin.id} AND lot_id = ${lotId}`));
    console.log(`node ${node}: ${rows.length} issues in the ledger; lost ${lost}, duplicated ${dup},` +
                ` phantom ${phantom}; balance ${qty}`);
    assert.equal(lost, 0, `node ${node}: acknowledged movements missing`);
    assert.equal(dup, 0);
    assert.equal(phantom, 0, `node ${node}: movements nobody was told about`);
    assert.equal(qty, received - ids.length);
    await cluster('verify', String(node));
  };
  await check(1);
  await check(3);

  const t1 = Date.now();
  await cluster('start', '2');
  console.log(`node 2 rejoined in ${((Date.now() - t1) / 1000).toFixed(1)} s`);
  await check(2);
  const status = await cluster('status');
  console.log(status);
  assert.match(status, /node 2 .*Synced, Primary, cluster size 3/);
});
