// websec.test.mjs -- the web security rules of docs/security.md:
//   - security headers on every answer (static files and API; HSTS on HTTPS);
//   - CSRF: a change made with the session cookie needs X-Requested-With,
//     and a browser request marked Sec-Fetch-Site: cross-site is refused;
//   - session rotation: every log-in issues a new token and revokes the one
//     it was sent with;
//   - log-in throttling per account (5 failures / 15 min) and per address
//     (20 / 15 min): 429 too_many_attempts with Retry-After; a successful
//     log-in clears the account's failures;
//   - no password, session token or Idempotency-Key in any log line, even at
//     RELIEF_LOG_LEVEL=debug.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import https from 'node:https';
import { randomUUID } from 'node:crypto';

import {
  useServer, startServer, request, expectStatus, expectError, sql, reliefctl, dbSnapshot,
  townBin, uniq, sessionCookie, PASSWORD, TOWN_A,
} from './lib/harness.mjs';

const h = useServer();
const extra = []; // servers started by single tests
const THROTTLE_USER = `sec-throttle-${Date.now().toString(36)}`;

before(async () => {
  await h.ready();
  // An account of our own for the lock-out, so no other test's user is locked.
  const r = await reliefctl(['user-add', '--username', THROTTLE_USER, '--role', 'warehouse',
                             '--org', TOWN_A, '--display-name', 'throttle test'],
                            { input: `${PASSWORD}\n` });
  assert.equal(r.code, 0, `user-add: ${r.stdout}${r.stderr}`);
});

after(async () => {
  for (const s of extra) await s.stop();
  // Failures recorded here must not throttle the tests that run after this file.
  await sql('DELETE FROM login_failure');
});

function checkHeaders(r, what) {
  const g = (k) => r.headers.get(k);
  assert.equal(g('x-content-type-options'), 'nosniff', `${what}: X-Content-Type-Options`);
  assert.equal(g('x-frame-options'), 'DENY', `${what}: X-Frame-Options`);
  assert.ok(g('referrer-policy'), `${what}: no Referrer-Policy`);
  const csp = g('content-security-policy');
  assert.ok(csp, `${what}: no Content-Security-Policy`);
  assert.match(csp, /frame-ancestors 'none'/, `${what}: ${csp}`);
  assert.match(csp, /default-src 'self'/, `${what}: ${csp}`);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/, `${what}: ${csp}`);
  for (const dir of ['script-src', 'style-src']) {
    const m = new RegExp(`${dir} ([^;]*)`).exec(csp);
    assert.ok(!m || m[1].trim() === "'self'", `${what}: ${dir} should be 'self' only: ${csp}`);
  }
}

test('security headers on static files, API answers, errors and HEAD', async () => {
  const admin = await h.login('admin');
  const cases = [
    ['GET', '/'], ['GET', '/index.html'], ['GET', '/js/api.mjs'], ['GET', '/app.css'],
    ['GET', '/no-such-file.txt'], ['HEAD', '/'], ['GET', '/healthz'],
    ['GET', '/api/v1/auth/me'], ['GET', '/api/v1/no-such'], ['POST', '/api/v1/auth/logout'],
  ];
  for (const [method, p] of cases) {
    const r = await fetch(h.base + p, { method });
    await r.arrayBuffer();
    checkHeaders(r, `${method} ${p} (${r.status})`);
    assert.equal(r.headers.get('strict-transport-security'), null, 'no HSTS over plain HTTP');
  }
  const r = await admin.get('/depots');
  expectStatus(r, 200);
  checkHeaders(r, 'GET /depots as admin');
});

test('HTTPS answers carry Strict-Transport-Security', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'relief-sec-tls-'));
  try {
    const makeCert = fileURLToPath(new URL('../../scripts/make-cert', import.meta.url));
    await new Promise((resolve, reject) =>
      execFile(makeCert, ['--out', dir, '127.0.0.1'], { timeout: 60000 },
               (e, so, se) => (e ? reject(new Error(se || e.message)) : resolve())));
    const s = await startServer({ env: { RELIEF_TLS_CERT: path.join(dir, 'cert.pem'),
                                          RELIEF_TLS_KEY: path.join(dir, 'key.pem') } });
    extra.push(s);
    for (const p of ['/', '/api/v1/auth/me']) {
      const res = await new Promise((resolve, reject) => {
        const req = https.request({ host: '127.0.0.1', port: s.port, path: p,
                                    rejectUnauthorized: false }, (rr) => {
          rr.resume();
          rr.on('end', () => resolve(rr));
        });
        req.on('error', reject);
        req.end();
      });
      assert.match(String(res.headers['strict-transport-security']), /max-age=\d{7,}/,
                   `GET ${p} over HTTPS: ${JSON.stringify(res.headers)}`);
      assert.equal(res.headers['x-frame-options'], 'DENY');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('CSRF: a change with the session cookie needs X-Requested-With', async () => {
  const wh = await h.login(`wh-${TOWN_A}`);
  const { depot } = await townBin(wh, TOWN_A);
  const s0 = await dbSnapshot();
  // cookie, no header: refused before anything is written
  const no = await wh.post(`/depots/${depot.id}/bins`, { code: uniq('CSRF') }, { csrf: false });
  expectError(no, 403, 'csrf_rejected');
  assert.deepEqual(await dbSnapshot(), s0, 'a refused CSRF request wrote something');
  // reads need no header
  expectStatus(await wh.get('/auth/me', { csrf: false }), 200);
  // a cross-site browser request is refused even with the header, on log-in too
  expectError(await wh.post(`/depots/${depot.id}/bins`, { code: uniq('CSRF') },
                            { headers: { 'Sec-Fetch-Site': 'cross-site' } }), 403, 'csrf_rejected');
  expectError(await request(h.base, 'POST', '/auth/login', { username: 'admin', password: PASSWORD },
                            { headers: { 'Sec-Fetch-Site': 'cross-site' } }), 403, 'csrf_rejected');
  // same-origin browser requests and the header: accepted
  const ok = await wh.post(`/depots/${depot.id}/bins`, { code: uniq('CSRF') },
                           { headers: { 'Sec-Fetch-Site': 'same-origin' } });
  expectStatus(ok, 201);
  // a Bearer token is never sent by a browser on its own: no header needed
  const bearer = await wh.withBearer().post(`/depots/${depot.id}/bins`, { code: uniq('CSRF') },
                                            { csrf: false });
  expectStatus(bearer, 201);
});

test('session rotation: a new token at every log-in; the one presented is revoked', async () => {
  const a = await h.login('city-auditor');
  const b = await h.login('city-auditor');
  assert.notEqual(a.token, b.token, 'two log-ins gave the same token');
  // log in again while presenting a's cookie (as a browser with a session does)
  const r = await request(h.base, 'POST', '/auth/login', { username: 'city-auditor', password: PASSWORD },
                          { headers: { Cookie: `rs_session=${a.token}` } });
  expectStatus(r, 200);
  const c = /rs_session=([0-9a-f]{64})/.exec(sessionCookie(r) || '');
  assert.ok(c, 'no new session cookie');
  assert.notEqual(c[1], a.token, 'the presented token was reused');
  expectError(await a.get('/auth/me'), 401, 'unauthenticated');
  expectStatus(await a.withToken(c[1]).get('/auth/me'), 200);
  expectStatus(await b.get('/auth/me'), 200); // other sessions of the user are untouched
  // a token planted before log-in (never issued by the server) is not adopted
  const planted = 'ab'.repeat(32);
  const r2 = await request(h.base, 'POST', '/auth/login', { username: 'city-auditor', password: PASSWORD },
                           { headers: { Cookie: `rs_session=${planted}` } });
  assert.doesNotMatch(sessionCookie(r2), new RegExp(planted));
  expectError(await a.withToken(planted).get('/auth/me'), 401, 'unauthenticated');
});

const loginAs = (username, password, opts) =>
  request(h.base, 'POST', '/auth/login', { username, password }, opts);

function retryAfterOk(r) {
  const ra = Number(r.headers.get('retry-after'));
  assert.ok(Number.isInteger(ra) && ra >= 1 && ra <= 900, `Retry-After: ${r.headers.get('retry-after')}`);
  assert.equal(r.json.error.retry_after, ra);
}

test('throttling per account: 5 failures, then 429 even with the right password', async () => {
  await sql(`DELETE FROM login_failure WHERE username = '${THROTTLE_USER}'`);
  // four failures, then a success clears the count ...
  for (let i = 0; i < 4; i++)
    expectError(await loginAs(THROTTLE_USER, 'wrong'), 401, 'invalid_credentials');
  expectStatus(await loginAs(THROTTLE_USER, PASSWORD), 200);
  // ... so five more failures are needed for the lock
  for (let i = 0; i < 5; i++)
    expectError(await loginAs(THROTTLE_USER, `wrong-${i}`), 401, 'invalid_credentials');
  const locked = await loginAs(THROTTLE_USER, PASSWORD);
  expectError(locked, 429, 'too_many_attempts');
  retryAfterOk(locked);
  assert.ok(Number(locked.headers.get('retry-after')) > 850, 'the lock lasts about 15 minutes');
  // other accounts from the same address are not affected
  expectStatus(await loginAs('city-auditor', PASSWORD), 200);
  // once the failures have aged out of the window, the right password works again
  await sql(`UPDATE login_failure SET at = at - INTERVAL 16 MINUTE WHERE username = '${THROTTLE_USER}'`);
  expectStatus(await loginAs(THROTTLE_USER, PASSWORD), 200);
  assert.deepEqual(await sql(`SELECT COUNT(*) FROM login_failure WHERE username = '${THROTTLE_USER}'`),
                   [['0']], 'a successful log-in clears the account counter');
});

// A log-in from another loopback address (the server listens on 127.0.0.1;
// the client binds 127.0.0.2), so the address counter is not 127.0.0.1's.
function loginFrom(localAddress, username, password) {
  const u = new URL(h.base);
  const body = JSON.stringify({ username, password });
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, method: 'POST', localAddress,
                               path: '/api/v1/auth/login',
                               headers: { 'Content-Type': 'application/json',
                                          'Content-Length': Buffer.byteLength(body) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { text += c; });
      res.on('end', () => {
        let json = null;
        try { json = JSON.parse(text); } catch { /* not JSON */ }
        resolve({ status: res.statusCode, headers: new Headers(res.headers), json, text,
                  method: 'POST', path: '/auth/login' });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

test('throttling per address: 20 failures, then 429 for any account from there', async () => {
  const addr = '127.0.0.2';
  await sql(`DELETE FROM login_failure WHERE address = '${addr}'`);
  for (let i = 0; i < 20; i++) {
    // a different (unknown) name each time: the account limit never trips
    const r = await loginFrom(addr, `nobody-${i}-${randomUUID().slice(0, 6)}`, 'x');
    expectError(r, 401, 'invalid_credentials');
  }
  const locked = await loginFrom(addr, 'admin', PASSWORD);
  expectError(locked, 429, 'too_many_attempts');
  retryAfterOk(locked);
  const rows = await sql(`SELECT COUNT(*) FROM login_failure WHERE address = '${addr}'`);
  assert.equal(rows[0][0], '20');
  // 127.0.0.1 still logs in
  expectStatus(await loginAs('admin', PASSWORD), 200);
  await sql(`DELETE FROM login_failure WHERE address = '${addr}'`);
  expectStatus(await loginFrom(addr, 'admin', PASSWORD), 200);
});

test('no password, session token or Idempotency-Key in the log, even at debug level', async () => {
  const s = await startServer({ env: { RELIEF_LOG_LEVEL: 'debug' } });
  extra.push(s);
  const secretPw = `Wr0ng-${randomUUID()}`;
  const idem = `idem-${randomUUID()}`;
  const bad = await request(s.base, 'POST', '/auth/login', { username: 'admin', password: secretPw });
  expectStatus(bad, 401);
  // a malformed log-in body (the password inside a JSON syntax error)
  const broken = await request(s.base, 'POST', '/auth/login', `{"username":"admin","password":"${secretPw}"`);
  expectStatus(broken, 400);
  const ok = await request(s.base, 'POST', '/auth/login', { username: `wh-${TOWN_A}`, password: PASSWORD });
  expectStatus(ok, 200);
  const token = /rs_session=([0-9a-f]{64})/.exec(sessionCookie(ok))[1];
  const auth = { Cookie: `rs_session=${token}` };
  expectStatus(await request(s.base, 'GET', '/api/v1/auth/me', undefined, { headers: auth }), 200);
  const { depot } = await townBin(
    { get: (p, o) => request(s.base, 'GET', p, undefined, { ...o, headers: auth }) }, TOWN_A);
  expectStatus(await request(s.base, 'POST', `/api/v1/depots/${depot.id}/bins`, { code: uniq('LOG') },
                             { headers: auth, idemKey: idem }), 201);
  // the same key again (a replay), and with another body (422)
  await request(s.base, 'POST', `/api/v1/depots/${depot.id}/bins`, { code: uniq('LOG') },
                { headers: auth, idemKey: idem });
  expectStatus(await request(s.base, 'GET', '/api/v1/auth/me', undefined,
                             { headers: { Authorization: `Bearer ${token}` } }), 200);
  expectStatus(await request(s.base, 'POST', '/api/v1/auth/logout', undefined, { headers: auth }), 204);
  await s.stop();
  const log = s.log.join('\n');
  assert.ok(s.log.length > 5, `expected some log lines at debug level, got:\n${log}`);
  assert.match(log, /access/, 'the access log is there');
  for (const [what, secret] of [['password', PASSWORD], ['wrong password', secretPw],
                                ['session token', token], ['token prefix', token.slice(0, 16)],
                                ['Idempotency-Key', idem]]) {
    const line = s.log.find((l) => l.includes(secret));
    assert.equal(line, undefined, `the ${what} appears in the log: ${line}`);
  }
});
