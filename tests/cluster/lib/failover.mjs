// failover.mjs -- what the two failover tests share (cluster.test.mjs for
// Galera via scripts/cluster, replica.test.mjs for primary/replica with
// semi-synchronous replication via scripts/replica): running the script,
// the clients that post issues through both reliefd instances while nodes
// are killed, and the counting of lost / duplicated / phantom movements.
//
// Both tests run the same workload: log in on reliefd 1, use the session on
// both instances (sessions live in the database), receive a fresh lot, then
// CLIENTS clients post issues of 1 unit, half on reliefd 1 and half on
// reliefd 2, each with its own Idempotency-Key, retrying with the same key
// until acknowledged.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';

export const run = promisify(execFile);
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const sleep = (ms) => new Promise((res) => setTimeout(res, ms));
export const secs = (ms) => (ms / 1000).toFixed(2);

// skipUnlessLong(name): exit 77 (ctest's skip) outside scripts/test --long.
export function skipUnlessLong(name) {
  if (process.env.RELIEF_TEST_LONG !== '1') {
    console.log(`${name}: a long test; runs with RELIEF_TEST_LONG=1 (scripts/test --long); skipped`);
    process.exit(77);
  }
  if (!process.env.RELIEF_RELIEFD) {
    console.log(`${name}: RELIEF_RELIEFD is not set (ctest sets it); skipped`);
    process.exit(77);
  }
}

// cluster(script, httpPort, dirPrefix): the script (scripts/cluster or
// scripts/replica) in its own throw-away CLUSTER_DIR unless one is set, with
// the build ctest names, and without the caller's RELIEF_* settings.
export function cluster(script, httpPort, dirPrefix) {
  const ownDir = !process.env.CLUSTER_DIR;
  const env = {
    ...process.env,
    CLUSTER_DIR: process.env.CLUSTER_DIR || mkdtempSync(join(tmpdir(), dirPrefix)),
    CLUSTER_BUILD_DIR: resolve(dirname(process.env.RELIEF_RELIEFD), '..'),
  };
  for (const k of Object.keys(env)) if (k.startsWith('RELIEF_') && k !== 'RELIEF_RELIEFD') delete env[k];
  const HTTP = Number(env.CLUSTER_HTTP_PORT || httpPort);
  const path = join(ROOT, 'scripts', script);
  const c = {
    env,
    base: (n) => `http://127.0.0.1:${HTTP + n - 1}/api/v1`,
    // the script's stdout; full() gives stdout and stderr (kill prints its times there)
    cmd: async (...args) => (await run(path, args, { env, maxBuffer: 1 << 24 })).stdout,
    full: (args, extraEnv = {}) => run(path, args, { env: { ...env, ...extraEnv }, maxBuffer: 1 << 24 }),
    sql: async (node, q) => (await c.cmd('sql', String(node), q)).trim(),
    stoppers: [],
    // teardown: the clients stopped (after a failed assertion they would
    // retry for ever), `down`, and the folder removed when it was ours
    // (CLUSTER_KEEP=1 keeps all).
    async teardown() {
      for (const f of c.stoppers) f();
      if (process.env.CLUSTER_KEEP === '1') return;
      await c.cmd('down').catch((e) => console.error(e.stderr || e));
      if (ownDir) rmSync(env.CLUSTER_DIR, { recursive: true, force: true });
    },
  };
  return c;
}

// killTimes(stderr): the seconds of the day at which `kill` killed each node.
export function killTimes(stderr) {
  return [...stderr.matchAll(/killed .* at (\d\d):(\d\d):([\d.]+)/g)]
    .map((m) => (Number(m[1]) * 60 + Number(m[2])) * 60 + Number(m[3]));
}

export async function call(c, n, method, path, token, body, key) {
  const headers = { 'Content-Type': 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (key) headers['Idempotency-Key'] = key;
  const r = await fetch(c.base(n) + path, {
    method, headers, body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(30000),
  });
  const text = await r.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: r.status, json, text };
}

// workload(c, clients, writer): log in, receive a fresh lot through reliefd 1
// (writer: the node to read the ids from), and return the posting clients
// and the checks.  settle(node), when given, waits until that node has
// everything the writer has before it is counted (a replica applies
// asynchronously; a Galera node has it already).
export async function workload(c, { clients, writer = 1, settle = async () => {} }) {
  const login = await fetch(c.base(1) + '/auth/login', {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username: 'wh-441900101', password: 'reliefstock-demo' }),
  });
  assert.equal(login.status, 200, await login.text());
  const token = /rs_session=([0-9a-f]{64})/.exec(login.headers.get('set-cookie'))[1];

  const bin = { id: Number(await c.sql(writer, "SELECT b.id FROM bin b JOIN depot d ON d.id = b.depot_id" +
                                              " WHERE d.code = 'D-441900101' AND b.code = 'A-01'")) };
  const item = { id: Number(await c.sql(writer, "SELECT id FROM item WHERE code = 'DG-SH-01'")) };
  const tag = `failover-${Date.now()}`;
  const received = 1000000;
  const rec = await call(c, 1, 'POST', '/movements', token, {
    kind: 'receive', bin_id: bin.id, item_id: item.id, qty: received,
    lot: { lot_no: tag, expiry_date: '2031-06-30' }, reference: tag,
  }, randomUUID());
  assert.equal(rec.status, 201, rec.text);
  const lotId = rec.json.movement.lot_id;

  const acked = new Map(); // key -> movement id
  let waits = []; // [acknowledged at, ms from the first attempt]
  let fails = []; // times of failed attempts
  const statuses = {};
  let stop = false;
  let running = [];
  async function client(k) {
    const n = (k % 2) + 1;
    while (!stop) {
      const key = randomUUID();
      const started = Date.now();
      for (;;) { // the same key until acknowledged: a retry never applies twice
        let r;
        try {
          r = await call(c, n, 'POST', '/movements', token,
                         { kind: 'issue', bin_id: bin.id, lot_id: lotId, qty: 1, recipient: tag }, key);
        } catch (e) {
          r = { status: 0, text: String(e) };
        }
        if (r.status === 201) {
          if (acked.has(key)) assert.equal(acked.get(key), r.json.movement.id);
          acked.set(key, r.json.movement.id);
          waits.push([Date.now(), Date.now() - started]);
          break;
        }
        assert.ok([0, 409, 503].includes(r.status), `client ${k}: unexpected ${r.status} ${r.text}`);
        statuses[r.status] = (statuses[r.status] || 0) + 1;
        fails.push(Date.now());
        await sleep(50);
      }
    }
  }
  c.stoppers.push(() => { stop = true; });
  const w = {
    acked,
    // post(n, key): one issue through reliefd n, outside the clients; an
    // acknowledged one is counted like theirs.
    async post(n, key) {
      const r = await call(c, n, 'POST', '/movements', token,
                           { kind: 'issue', bin_id: bin.id, lot_id: lotId, qty: 1, recipient: tag }, key);
      if (r.status === 201) acked.set(key, r.json.movement.id);
      return r;
    },
    start() {
      stop = false;
      waits = [];
      fails = [];
      for (const k of Object.keys(statuses)) delete statuses[k];
      running = Array.from({ length: clients }, (_, k) => client(k));
    },
    async stop() {
      stop = true;
      await Promise.all(running);
    },
    // report: what was acknowledged, what failed and when, request times;
    // returns the figures for a summary line.
    report(round, killedAt, ackedBefore) {
      const n = acked.size - ackedBefore;
      const first = fails.length ? fails[0] - killedAt : null, last = fails.length ? fails.at(-1) - killedAt : null;
      console.log(`round ${round}: acknowledged ${n} issues (${acked.size} in all); ${fails.length} failed` +
                  ` attempts, retried (by status: ${JSON.stringify(statuses)}); requests failed from` +
                  ` ${first === null ? '-' : secs(first)} s to ${last === null ? '-' : secs(last)} s after the` +
                  ` kill (window ${first === null ? '0.00' : secs(last - first)} s)`);
      const slow = waits.filter(([at]) => at >= killedAt).map(([, ms]) => ms).sort((a, b) => a - b);
      const pct = (p) => slow.length ? slow[Math.min(slow.length - 1, Math.floor(slow.length * p))] : 0;
      console.log(`round ${round}: after the kill: request time p50 ${pct(0.5)} ms, p99 ${pct(0.99)} ms,` +
                  ` longest ${slow.length ? slow.at(-1) : 0} ms (retries included)`);
      return { acked: n, total: acked.size, failed: fails.length,
               window: first === null ? 0 : (last - first) / 1000, longest: slow.length ? slow.at(-1) : 0 };
    },
    // check: on node, every acknowledged issue exactly once, nothing else,
    // the balance right, verify-ledger passes.
    // count: on node, the acknowledged issues missing (lost), present more
    // than once (dup), present but never acknowledged (phantom), and the
    // balance against what the ledger holds.
    async count(round, node) {
      await settle(node);
      const ids = [...acked.values()].sort((a, b) => a - b);
      assert.equal(new Set(ids).size, ids.length, 'two keys acknowledged with the same movement');
      const rows = (await c.sql(node, `SELECT id FROM movement WHERE lot_id = ${lotId}` +
                                      ` AND kind = 'issue' ORDER BY id`)).split('\n').filter(Boolean).map(Number);
      const have = new Set(rows);
      const lost = ids.filter((id) => !have.has(id)).length;
      const dup = rows.length - have.size;
      const phantom = have.size - (ids.length - lost);
      const qty = Number(await c.sql(node, `SELECT qty FROM stock WHERE bin_id = ${bin.id} AND lot_id = ${lotId}`));
      console.log(`round ${round}, node ${node}: ${rows.length} issues in the ledger for ${ids.length}` +
                  ` acknowledged; lost ${lost}, duplicated ${dup}, phantom ${phantom}; balance ${qty}`);
      return { lost, dup, phantom, qty, rows: rows.length, balanceRight: qty === received - rows.length };
    },
    // check: on node, every acknowledged issue exactly once, nothing else,
    // the balance right, verify-ledger passes.
    async check(round, node) {
      const r = await w.count(round, node);
      assert.equal(r.lost, 0, `node ${node}: acknowledged movements missing`);
      assert.equal(r.dup, 0);
      assert.equal(r.phantom, 0, `node ${node}: movements nobody was told about`);
      assert.equal(r.qty, received - acked.size);
      await c.cmd('verify', String(node));
    },
  };
  return w;
}
