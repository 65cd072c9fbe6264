// crash.test.mjs -- nothing acknowledged is lost and nothing is applied twice
// when reliefd or the database server dies in the middle of a load
// (issue 7, item 1; docs/reliability.md).
//
// The test runs its OWN MariaDB server (mariadbd on a temporary data
// directory, migrated + seeded + small demo city through reliefctl with a
// settings file of its own), because it kills that server with SIGKILL: the
// shared test database of scripts/test must stay up for the tests after this
// one.  Only processes this file started are ever signalled.
//
// CLIENTS concurrent clients post movements exactly as the web UI's offline
// queue (webui/js/queue.mjs) sends them: each movement gets an
// Idempotency-Key when it is made, and is sent again with the same key and
// the same body while there is no answer or the answer is 502/503/504 (401:
// log in again, then the same again); any other answer is definitive.  The
// queue waits 10 s between rounds; here a client waits 50-300 ms, so a short
// run sees many retries.
//
// Each movement carries its key in `reference`, so the ledger itself says
// which attempt landed how often.  Afterwards: every movement acknowledged
// with a 2xx is in the ledger exactly once with the id it was acknowledged
// with, no key is in it twice, the balances are the sums of their movements
// and `reliefctl verify-ledger` passes.
//
// Short run (default, ~40 s): kill -9 reliefd once, then the database once,
// then stop the database cleanly (SIGTERM) once.  Long run
// (RELIEF_TEST_LONG=1): LONG_ROUNDS rounds of the three, several minutes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile } from 'node:child_process';
import { randomUUID, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

import {
  requireEnv, startServer, login, reliefctl, verifyLedger, sql, item, townBin,
  receiveFresh, TENT,
} from './lib/harness.mjs';

requireEnv();

const LONG = process.env.RELIEF_TEST_LONG === '1';
const CLIENTS = 32;
const TOWNS = ['441900101', '441900102', '441900003', '441900004']; // 8 clients each
const LONG_ROUNDS = 6;
const PHASE_MS = LONG ? 12000 : 6000; // load time between two kills
const GIVE_UP_MS = 120000; // one movement unanswered this long: the server did not come back

// ---------------------------------------------------------------- private MariaDB

const run = (cmd, args, opts = {}) => new Promise((resolve) => {
  execFile(cmd, args, { maxBuffer: 16 << 20, ...opts }, (err, stdout, stderr) =>
    resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }));
});

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const asRoot = process.getuid && process.getuid() === 0 ? ['--user=root'] : [];

class PrivateDb {
  constructor() {
    this.dir = mkdtempSync('/tmp/rs-crash-');
    this.data = `${this.dir}/data`;
    this.sock = `${this.dir}/my.sock`;
    this.proc = null;
    this.starts = 0;
  }

  async init() {
    this.port = await freePort();
    const r = await run('mariadb-install-db', [
      '--no-defaults', `--datadir=${this.data}`, ...asRoot,
      '--auth-root-authentication-method=normal', '--skip-test-db', '--force']);
    assert.equal(r.code, 0, `mariadb-install-db failed:\n${r.stdout}\n${r.stderr}`);
    this.conf = `${this.dir}/reliefstock.conf`;
    writeFileSync(this.conf, [
      `RELIEF_DB_SOCKET=${this.sock}`, 'RELIEF_DB_HOST=127.0.0.1', `RELIEF_DB_PORT=${this.port}`,
      'RELIEF_DB_NAME=reliefstock_crash', 'RELIEF_DB_USER=reliefd_crash',
      `RELIEF_DB_PASSWORD=${randomBytes(12).toString('hex')}`, 'RELIEF_DB_ADMIN_USER=root',
      'RELIEF_DB_ADMIN_PASSWORD=', 'RELIEF_HTTP_PORT=0', ''].join('\n'));
  }

  async start() {
    this.starts++;
    this.proc = spawn('mariadbd', [
      '--no-defaults', ...asRoot, `--datadir=${this.data}`, `--socket=${this.sock}`,
      `--port=${this.port}`, '--bind-address=127.0.0.1', '--skip-name-resolve',
      `--pid-file=${this.dir}/mariadbd.pid`, `--log-error=${this.dir}/error.log`,
      '--innodb-buffer-pool-size=64M', '--max-connections=300',
      '--character-set-server=utf8mb4', '--collation-server=utf8mb4_unicode_ci',
    ], { stdio: 'ignore' });
    const exited = new Promise((res) => this.proc.once('exit', () => res(true)));
    this.exited = exited;
    const deadline = Date.now() + 90000;
    for (;;) {
      const r = await run('mariadb', ['--no-defaults', '-uroot', `--socket=${this.sock}`,
                                      '--connect-timeout=2', '-e', 'SELECT 1']);
      if (r.code === 0) return;
      const gone = await Promise.race([exited, sleep(100, false)]);
      if (gone || Date.now() > deadline)
        throw new Error(`private mariadbd did not start:\n${this.logTail()}`);
    }
  }

  logTail() {
    const f = `${this.dir}/error.log`;
    return existsSync(f) ? readFileSync(f, 'utf8').split('\n').slice(-25).join('\n') : '';
  }

  async kill9() {
    const p = this.proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    p.kill('SIGKILL');
    await this.exited;
  }

  async stop() {
    const p = this.proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    p.kill('SIGTERM');
    const done = await Promise.race([this.exited,
                                     sleep(60000, false, { ref: false })]);
    if (!done) await this.kill9();
  }
}

// ---------------------------------------------------------------- the load

let db, srv, port, originalConfig;
// Per phase (the load between two kills): movements made, acknowledged,
// retries (an attempt after the first: those caused by the kill that ends a
// phase count in it), refused, and found in the ledger afterwards.
const stats = [];
const records = []; // one per movement made: {key, phase, attempts, status, id, body, ...}
const state = { phase: 0, stopping: false, clientsStarted: 0 };

function phaseStats(name) {
  const s = { name, sent: 0, acked: 0, retried: 0, refused: 0, found: 0, acks_during: 0 };
  stats.push(s);
  return s;
}

before(async () => {
  originalConfig = process.env.RELIEF_CONFIG;
  db = new PrivateDb();
  const t0 = Date.now();
  await db.init();
  await db.start();
  console.log(`# private database: initialised and started in ${Date.now() - t0} ms`);
  // Every harness helper (reliefctl, sql, startServer) reads RELIEF_CONFIG when called.
  process.env.RELIEF_CONFIG = db.conf;
  for (const args of [['migrate'], ['seed'], ['demo-data', '--scale', 'small']]) {
    const t0 = Date.now();
    const r = await reliefctl(args);
    console.log(`# private database: reliefctl ${args.join(' ')}: ${Date.now() - t0} ms`);
    assert.equal(r.code, 0, `reliefctl ${args.join(' ')}:\n${r.stdout}\n${r.stderr}`);
  }
  srv = await startServer();
  port = srv.port;
});

after(async () => {
  state.stopping = true;
  state.abort = true; // a failed test: clients stop retrying at once
  if (srv) {
    srv.proc.kill('SIGKILL');
    await srv.stop();
  }
  const t0 = Date.now();
  if (db) await db.stop();
  console.log(`# private database: stopped in ${Date.now() - t0} ms`);
  if (originalConfig !== undefined) process.env.RELIEF_CONFIG = originalConfig;
  if (db && !process.env.RELIEF_TEST_KEEP) rmSync(db.dir, { recursive: true, force: true });
});

const retryableStatus = (s) => s === 502 || s === 503 || s === 504;

// One movement, sent until a definitive answer, as queue.mjs does.
async function sendOne(client, body, key, rec) {
  const t0 = Date.now();
  for (;;) {
    rec.attempts++;
    if (rec.attempts > 1) stats[state.phase].retried++;
    let status = 0;
    let json = null;
    try {
      const res = await fetch(`http://127.0.0.1:${port}/api/v1/movements`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'Idempotency-Key': key,
                   'X-Requested-With': 'ReliefStock', // the CSRF rule for cookie sessions
                   Cookie: `rs_session=${client.token}` },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(30000),
      });
      status = res.status;
      const text = await res.text();
      try { json = JSON.parse(text); } catch { json = null; }
      rec.lastText = text.slice(0, 300);
    } catch (e) {
      status = 0; // no answer: reliefd died, reset the connection, or timed out
    }
    if (status === 401) {
      // queue.mjs keeps the item and sends it after the next log-in.
      try {
        const fresh = await login(`http://127.0.0.1:${port}`, client.username);
        client.token = fresh.token;
      } catch { /* the server may be down again: retried below */ }
      rec.relogins++;
    } else if (status !== 0 && !retryableStatus(status)) {
      rec.status = status;
      rec.ackPhase = state.phase;
      rec.id = json?.movement?.id ?? null;
      return;
    }
    if (Date.now() - t0 > GIVE_UP_MS || state.abort) {
      rec.status = -1; // never answered
      return;
    }
    await sleep(50 + Math.floor(Math.random() * 250));
  }
}

async function clientLoop(ci, client, lot) {
  let n = 0;
  while (!state.stopping) {
    const key = randomUUID();
    // Issues of one unit from A-01 (a large balance: never 409) and receipts
    // into A-01..A-03 of the same lot: contention on the same stock rows.
    const receive = (ci + n) % 3 === 0;
    const binId = receive ? lot.bins[(ci + n) % 3].id : lot.bins[0].id;
    const body = receive
      ? { kind: 'receive', bin_id: binId, item_id: lot.itemId, lot_id: lot.lotId, qty: 2,
          reference: `crash:${key}` }
      : { kind: 'issue', bin_id: binId, lot_id: lot.lotId, qty: 1, recipient: 'crash test',
          reference: `crash:${key}` };
    const rec = { key, body, phase: state.phase, attempts: 0, relogins: 0, status: null,
                  id: null, ackPhase: null, client: ci };
    records.push(rec);
    stats[state.phase].sent++;
    await sendOne(client, body, key, rec);
    if (rec.status >= 200 && rec.status < 300) stats[rec.ackPhase].acked++;
    else stats[rec.ackPhase ?? rec.phase].refused++;
    n++;
  }
}

async function restartReliefd() {
  srv = await startServer({ env: { RELIEF_HTTP_PORT: String(port) }, timeoutMs: 30000 });
  assert.equal(srv.port, port);
}

test(`${CLIENTS} clients posting movements survive kill -9 of reliefd and of MariaDB` +
     (LONG ? ` (long: ${LONG_ROUNDS} rounds)` : ''), { timeout: LONG ? 560000 : 300000 },
     async () => {
  // One lot per town with a large balance in A-01; 8 sessions per town (one per device).
  const lots = [];
  const clients = [];
  for (const town of TOWNS) {
    const first = await login(srv.base, `wh-${town}`);
    first.username = `wh-${town}`;
    const tent = await item(first, TENT);
    const { depot } = await townBin(first, town);
    const bins = ['A-01', 'A-02', 'A-03'].map((c) => depot.bins.find((b) => b.code === c));
    const { lotId } = await receiveFresh(first, { binId: bins[0].id, itemId: tent.id,
                                                  qty: 1000000 });
    lots.push({ town, lotId, itemId: tent.id, bins });
    clients.push(first);
    const more = await Promise.all(Array.from({ length: CLIENTS / TOWNS.length - 1 },
                                              () => login(srv.base, `wh-${town}`)));
    for (const c of more) {
      c.username = `wh-${town}`;
      clients.push(c);
    }
  }
  const balancesBefore = await sql(
    `SELECT bin_id, lot_id, qty FROM stock WHERE lot_id IN (${lots.map((l) => l.lotId).join(',')})`);

  phaseStats('up to reliefd kill 1');
  const loops = clients.map((c, i) => clientLoop(i, c, lots[Math.floor(i / 8)]));
  const killLog = [];
  const rounds = LONG ? LONG_ROUNDS : 1;
  for (let round = 0; round < rounds; round++) {
    await sleep(PHASE_MS);
    // kill -9 reliefd mid-load, then start it again on the same port
    const killed = srv;
    const pid = killed.proc.pid;
    killed.proc.kill('SIGKILL');
    const ex = await killed.stop();
    assert.equal(ex.signal, 'SIGKILL');
    assert.deepEqual(killed.sanitizer, [], `sanitizer report before the kill:\n${killed.log.slice(-40).join('\n')}`);
    const t0 = Date.now();
    await sleep(500);
    await restartReliefd();
    killLog.push(`round ${round + 1}: reliefd pid ${pid} killed, back in ${Date.now() - t0} ms`);
    state.phase = stats.length;
    phaseStats(`up to mariadbd kill ${round + 1}`);

    await sleep(PHASE_MS);
    // kill -9 the database server mid-load, then start it again (crash recovery)
    const t1 = Date.now();
    await db.kill9();
    await sleep(1000);
    await db.start();
    killLog.push(`round ${round + 1}: mariadbd killed, accepting again after ${Date.now() - t1} ms`);
    state.phase = stats.length;
    phaseStats(`up to mariadbd stop ${round + 1}`);

    await sleep(PHASE_MS);
    // a clean stop of the database server (SIGTERM: a maintenance restart)
    // mid-load: its "server shutdown in progress" errors must be 503s too
    const t2 = Date.now();
    await db.stop();
    await sleep(500);
    await db.start();
    killLog.push(`round ${round + 1}: mariadbd stopped (SIGTERM), accepting again after ` +
                 `${Date.now() - t2} ms`);
    state.phase = stats.length;
    phaseStats(round + 1 < rounds ? `up to reliefd kill ${round + 2}` : 'after the last kill');
  }
  await sleep(PHASE_MS);
  state.stopping = true;
  await Promise.all(loops);

  // ---- what the ledger says
  const rows = await sql(
    "SELECT reference, id, kind, bin_id, lot_id, qty FROM movement WHERE reference LIKE 'crash:%'");
  const byKey = new Map();
  for (const [ref, id, kind, binId, lotId, qty] of rows) {
    const key = ref.slice('crash:'.length);
    if (!byKey.has(key)) byKey.set(key, []);
    byKey.get(key).push({ id: Number(id), kind, binId: Number(binId), lotId: Number(lotId),
                          qty: Number(qty) });
  }
  const twice = [...byKey.entries()].filter(([, v]) => v.length > 1);
  const lost = [];
  const wrongId = [];
  let unknownKeys = 0;
  const known = new Set(records.map((r) => r.key));
  for (const k of byKey.keys()) if (!known.has(k)) unknownKeys++;
  for (const r of records) {
    const found = byKey.get(r.key) ?? [];
    if (found.length) stats[r.ackPhase ?? r.phase].found++;
    if (r.status >= 200 && r.status < 300) {
      if (found.length === 0) lost.push(r);
      else if (found[0].id !== Number(r.id)) wrongId.push({ r, found });
    }
  }
  const refused = records.filter((r) => !(r.status >= 200 && r.status < 300));

  // Balances: before + the sum of every movement found == now.
  const expect = new Map(balancesBefore.map(([b, l, q]) => [`${b}:${l}`, Math.round(Number(q) * 1000)]));
  for (const v of byKey.values())
    for (const m of v) {
      const k = `${m.binId}:${m.lotId}`;
      expect.set(k, (expect.get(k) ?? 0) + Math.round(m.qty * 1000));
    }
  const now = await sql(
    `SELECT bin_id, lot_id, qty FROM stock WHERE lot_id IN (${lots.map((l) => l.lotId).join(',')})`);
  const balanceDiffs = now.filter(([b, l, q]) =>
    Math.round(Number(q) * 1000) !== (expect.get(`${b}:${l}`) ?? 0));

  // ---- figures
  const total = { sent: 0, acked: 0, retried: 0, refused: 0, found: 0 };
  console.log(`# crash test (${LONG ? 'long' : 'short'}): ${CLIENTS} clients, ` +
              `${PHASE_MS / 1000} s of load between kills`);
  for (const l of killLog) console.log(`#   ${l}`);
  for (const s of stats) {
    console.log(`#   ${s.name.padEnd(26)} sent ${s.sent}, acknowledged ${s.acked}, ` +
                `retried ${s.retried}, found ${s.found}, refused ${s.refused}`);
    for (const k of Object.keys(total)) total[k] += s[k];
  }
  const multi = records.filter((r) => r.attempts > 1).length;
  console.log(`#   total: sent ${total.sent}, acknowledged ${total.acked}, retried ` +
              `${total.retried} times (${multi} movements needed more than one attempt), ` +
              `found ${total.found}, in the ledger twice ${twice.length}, lost ${lost.length}`);

  assert.equal(unknownKeys, 0, 'movements in the ledger that no client sent');
  assert.deepEqual(twice.map(([k, v]) => `${k}: ${v.map((m) => m.id)}`), [],
                   'movements applied twice');
  assert.deepEqual(lost.map((r) => `${r.key} id ${r.id}`), [], 'acknowledged movements lost');
  assert.deepEqual(wrongId.map(({ r, found }) => `${r.key}: acked ${r.id}, ledger ${found[0].id}`),
                   [], 'acknowledged with another id than the ledger has');
  assert.deepEqual(refused.map((r) => `${r.key}: ${r.status} ${r.lastText}`), [],
                   'movements without a 2xx in the end (a kill must only ever cause retries)');
  assert.deepEqual(balanceDiffs, [], 'balances differ from the sums of their movements');
  assert.ok(total.retried > 0, 'no retries at all: the kills did not hit the load');
  assert.ok(stats.every((s) => s.acked > 0), 'a phase without acknowledged movements');

  // Keys acknowledged are in the idempotency table with their answer's status.
  const idem = await sql(
    "SELECT COUNT(*) FROM idempotency WHERE status BETWEEN 200 AND 299");
  assert.ok(Number(idem[0][0]) >= total.acked, 'idempotency records missing');

  const v = await verifyLedger();
  assert.equal(v.code, 0, `reliefctl verify-ledger failed:\n${v.stdout}\n${v.stderr}`);

  // The last reliefd stops cleanly and said nothing to the sanitizers.
  const last = srv;
  srv = null;
  const { code, signal } = await last.stop();
  assert.deepEqual(last.sanitizer, [], `sanitizer report:\n${last.log.slice(-60).join('\n')}`);
  assert.ok(code === 0 && signal === null,
            `reliefd did not exit cleanly (code ${code}, signal ${signal}):\n` +
            last.log.slice(-20).join('\n'));
});
