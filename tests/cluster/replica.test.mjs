// replica.test.mjs -- the failover test of cluster.test.mjs, run against
// MariaDB primary/replica replication with semi-synchronous acknowledgement
// AFTER_SYNC (scripts/replica, docs/cluster.md; the comparison with Galera
// is in docs/deployment.md).  Long: only with RELIEF_TEST_LONG=1
// (scripts/test --long); otherwise it skips (exit 77).
//
// The same workload (tests/cluster/lib/failover.mjs): 8 clients post issues
// through both reliefd, whose node list is 1,2,3; they write to whichever
// node is not read-only.
// Round 1: node 1, the primary, is killed with SIGKILL; `scripts/replica
// promote` (the scripted failover: the most advanced replica after applying
// its relay log) makes a replica the primary; the clients get through again;
// node 1 is started and rejoins as a replica.
// Round 2 (the analogue of Galera's two-node crash): the new primary and the
// other replica are killed within a second; node 1, a read-only replica,
// takes no write (checked for 2 s); it is promoted (what the dead primary's
// binary log has beyond it is salvaged first) and, being alone, with
// semi-sync turned off on purpose (the analogue of Galera's bootstrap: the
// operator accepts commits with no second copy); the two dead nodes are
// started, rejoin as its replicas, and semi-sync is on again.
// After each round, on every node: every acknowledged movement exactly once,
// no phantom, the balance right, verify-ledger passes.  Then a demoted
// primary (read_only under reliefd's connections) must give 503, not 500.
// Round 3 makes a loss on purpose (semi-sync off, replicas cut off, the
// dead primary's binary log not salvaged): the count must find exactly that
// one acknowledged issue missing, and `start` must re-clone the forked node.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { cluster, killTimes, secs, skipUnlessLong, sleep, workload } from './lib/failover.mjs';

skipUnlessLong('replica');

const CLIENTS = Number(process.env.CLUSTER_CLIENTS || 8);
const BEFORE_MS = 3000, AFTER_MS = 8000, GAP_MS = Number(process.env.CLUSTER_KILL_GAP_MS || 300);
const c = cluster('replica', 8291, 'rs-replica-');
after(() => c.teardown());

let primary = 1;
const status = async (node, name) =>
  (await c.sql(node, `SHOW STATUS LIKE '${name}'`)).split('\t')[1];

// A replica is counted once it has applied everything the primary logged.
async function settle(node) {
  if (node === primary) return;
  const pos = await c.sql(primary, 'SELECT @@gtid_binlog_pos');
  const r = await c.sql(node, `SELECT MASTER_GTID_WAIT('${pos}', 60)`);
  assert.equal(r, '0', `node ${node} did not reach the primary's position ${pos}`);
}

async function promote(round, killedAt) {
  const t = Date.now();
  const p = await c.full(['promote']);
  console.log(p.stderr.trim());
  primary = Number(/node (\d): promoted to primary/.exec(p.stderr)[1]);
  console.log(`round ${round}: node ${primary} promoted ${secs(Date.now() - killedAt)} s after the` +
              ` first kill (the promotion itself ${secs(Date.now() - t)} s)`);
  return p.stderr;
}

test('posting through primary crashes: scripted promotion, no acknowledged movement lost', async () => {
  const t0 = Date.now();
  await c.cmd('up');
  console.log(`replica up in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  console.log(await c.cmd('status'));
  const w = await workload(c, { clients: CLIENTS, settle });
  const sum = [];

  // Round 1: the primary crashes; the most advanced replica is promoted.
  w.start();
  await sleep(BEFORE_MS);
  assert.equal(await status(1, 'Rpl_semi_sync_master_status'), 'ON', 'semi-sync is not active on node 1');
  const noTx = await status(1, 'Rpl_semi_sync_master_no_tx');
  const yesTx = await status(1, 'Rpl_semi_sync_master_yes_tx');
  console.log(`round 1: before the kill node 1 had ${yesTx} commits acknowledged by a replica, ${noTx} without`);
  let ackedBefore = w.acked.size;
  let killedAt = Date.now();
  await c.cmd('kill', '1');
  await promote(1, killedAt);
  await sleep(AFTER_MS);
  assert.ok(w.acked.size - ackedBefore > 0, 'nothing was acknowledged after the promotion: no failover');
  let t1 = Date.now();
  const start1 = await c.full(['start', '1']);
  console.log(start1.stderr.trim());
  console.log(`round 1: node 1 rejoined as a replica in ${secs(Date.now() - t1)} s (clients still posting)`);
  await sleep(1000);
  await w.stop();
  sum.push(w.report(1, killedAt, ackedBefore));
  for (const node of [1, 2, 3]) await w.check(1, node);
  console.log(await c.cmd('status'));

  // Round 2: the primary and one replica crash within a second.
  const other = [1, 2, 3].find((n) => n !== primary && n !== 1);
  w.start();
  await sleep(BEFORE_MS);
  ackedBefore = w.acked.size;
  killedAt = Date.now();
  const killed = await c.full(['kill', String(primary), String(other)],
                              { CLUSTER_KILL_GAP: String(GAP_MS / 1000) });
  const at = killTimes(killed.stderr);
  assert.equal(at.length, 2, killed.stderr);
  console.log(`round 2: nodes ${primary} and ${other} killed ${(at[1] - at[0]).toFixed(2)} s apart`);
  // Node 1 is read-only: reliefd must not write to it (db.c skips it).
  await sleep(1000);
  const ackedAlone = w.acked.size;
  await sleep(2000);
  assert.equal(w.acked.size, ackedAlone, 'a write was acknowledged while only a read-only replica ran');
  const dead = primary;
  const p2 = await promote(2, killedAt);
  assert.equal(primary, 1);
  assert.match(p2, /node 1 is alone: semi-sync turned off/);
  await sleep(AFTER_MS);
  assert.ok(w.acked.size - ackedAlone > 0, 'nothing was acknowledged after node 1 was promoted');
  const seq = (g) => Number((/(?:^|,)0-\d+-(\d+)/.exec(g) || [0, 0])[1]);
  const alone = seq(await c.sql(1, 'SELECT @@gtid_binlog_pos')) - seq(/promoted to primary at (\S+)/.exec(p2)[1]);
  console.log(`round 2: node 1 alone, semi-sync ${await status(1, 'Rpl_semi_sync_master_status')}:` +
              ` ${alone} commits acknowledged with no second copy before a replica returned`);
  t1 = Date.now();
  for (const n of [dead, other]) console.log((await c.full(['start', String(n)])).stderr.trim());
  console.log(`round 2: nodes ${dead} and ${other} rejoined in ${secs(Date.now() - t1)} s (clients still posting)`);
  await sleep(1000);
  await w.stop();
  sum.push(w.report(2, killedAt, ackedBefore));
  for (const node of [1, 2, 3]) await w.check(2, node);
  const st = await c.cmd('status');
  console.log(st);
  assert.match(st, /node 1 .*primary, read_only 0, gtid [^,]*, semi-sync ON/);
  for (const n of [2, 3]) assert.match(st, new RegExp(`node ${n} .*replica, read_only 1, .*io Yes, sql Yes`));

  // A primary demoted under reliefd's open connections (read_only set, as
  // a monitor does before a switchover): the write fails with 1290, which
  // must be a retryable 503 (the node is skipped), not a 500; once it is
  // writable again the same key is acknowledged once.
  await c.sql(1, 'SET GLOBAL read_only=ON');
  const key = randomUUID();
  for (const n of [1, 2]) {
    const r = await w.post(n, key);
    assert.equal(r.status, 503, r.text);
    assert.equal(r.json.error.code, 'db_unavailable', r.text);
  }
  await c.sql(1, 'SET GLOBAL read_only=OFF');
  const r1 = await w.post(1, key), r2 = await w.post(2, key);
  assert.equal(r1.status, 201, r1.text);
  assert.equal(r2.status, 201, r2.text);
  assert.equal(r2.json.movement.id, r1.json.movement.id);
  await w.check('read-only', 1);

  for (const [i, s] of sum.entries()) {
    console.log(`summary round ${i + 1}: acknowledged ${s.acked} (${s.total} in all), lost/dup/phantom 0/0/0` +
                ` on 3 nodes, ${s.failed} failed attempts, failure window ${s.window.toFixed(2)} s,` +
                ` longest request ${s.longest} ms`);
  }

  // Round 3, the loss semi-sync is there to prevent, made on purpose so the
  // count is seen to catch it: the replicas are cut off (fetch stopped) and
  // the primary's semi-sync is off -- what a timeout fallback does by itself
  // -- so the primary acknowledges an issue no replica has.  It is killed
  // and its disk given up (REPLICA_SALVAGE=0): the promoted replica lacks
  // the acknowledged issue, on every node; the old primary's history has
  // forked, so `start 1` reports it and re-clones the node.
  for (const n of [2, 3]) await c.sql(n, 'STOP SLAVE IO_THREAD');
  await c.sql(1, 'SET GLOBAL rpl_semi_sync_master_enabled=OFF');
  const lr = await w.post(1, randomUUID());
  assert.equal(lr.status, 201, lr.text);
  await c.cmd('kill', '1');
  const p3 = await c.full(['promote'], { REPLICA_SALVAGE: '0' });
  console.log(p3.stderr.trim());
  primary = Number(/node (\d): promoted to primary/.exec(p3.stderr)[1]);
  const s3 = await c.full(['start', '1']);
  console.log(s3.stderr.trim());
  assert.match(s3.stderr, /node 1 has transactions the primary \(node \d\) never had/);
  assert.match(s3.stderr, /node 1: re-cloned from node \d/);
  for (const node of [1, 2, 3]) {
    const r = await w.count(3, node);
    assert.deepEqual([r.lost, r.dup, r.phantom, r.balanceRight], [1, 0, 0, true], `node ${node}`);
    await c.cmd('verify', String(node));
  }
  console.log('round 3: semi-sync off and the dead primary\'s disk given up: the acknowledged issue is' +
              ' lost on every node, as it must be counted; node 1 was re-cloned');
});
