// auth.test.mjs -- log-in, the session cookie, Bearer tokens, log-out and
// expiry (docs/api.md, "Sessions").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';

import {
  useServer, request, sessionCookie, setCookies, expectStatus, expectError, sql,
  PASSWORD, TOWN_A,
} from './lib/harness.mjs';

const h = useServer();
const WH = `wh-${TOWN_A}`;

test('GET /healthz needs no session', async () => {
  const r = await h.anon().get('/healthz');
  expectStatus(r, 200);
  assert.deepEqual({ status: r.json.status, db: r.json.db }, { status: 'ok', db: 'ok' });
});

test('log-in sets an HttpOnly, SameSite=Strict, Path=/ cookie and answers {user, expires_at}',
     async () => {
  const r = await request(h.base, 'POST', '/auth/login', { username: WH, password: PASSWORD });
  expectStatus(r, 200);
  const c = sessionCookie(r);
  assert.ok(c, `no rs_session cookie: ${JSON.stringify(setCookies(r))}`);
  const parts = c.split(';').map((s) => s.trim());
  const token = parts[0].slice('rs_session='.length);
  assert.match(token, /^[\x21-\x7e]{20,}$/, 'token looks too short or has odd characters');
  assert.ok(parts.some((p) => /^HttpOnly$/i.test(p)), `no HttpOnly in ${c}`);
  assert.ok(parts.some((p) => /^SameSite=Strict$/i.test(p)), `no SameSite=Strict in ${c}`);
  assert.ok(parts.some((p) => p === 'Path=/'), `no Path=/ in ${c}`);

  assert.equal(r.json.user?.username, WH);
  assert.equal(r.json.user?.role, 'warehouse');
  assert.ok(!/password/i.test(JSON.stringify(r.json)), 'log-in answer mentions a password');
  const exp = Date.parse(r.json.expires_at);
  assert.ok(/Z$|[+-]\d\d:\d\d$/.test(r.json.expires_at), `expires_at without zone: ${r.json.expires_at}`);
  assert.ok(exp > Date.now() + 60_000, `expires_at ${r.json.expires_at} is not in the future`);
});

test('wrong password: 401 invalid_credentials and no session cookie', async () => {
  const r = await request(h.base, 'POST', '/auth/login', { username: WH, password: 'wrong-pw' });
  expectError(r, 401, 'invalid_credentials');
  const c = sessionCookie(r);
  assert.ok(!c || /^rs_session=;/.test(c) || /^rs_session=$/.test(c.split(';')[0]),
            `a session cookie was set on a failed log-in: ${c}`);
});

test('unknown user: 401 invalid_credentials (same answer as a wrong password)', async () => {
  const r = await request(h.base, 'POST', '/auth/login',
                          { username: 'no-such-user-x9', password: PASSWORD });
  expectError(r, 401, 'invalid_credentials');
});

test('log-in body is validated like any other', async () => {
  expectError(await request(h.base, 'POST', '/auth/login', { username: WH }),
              400, 'missing_field', 'password');
  expectError(await request(h.base, 'POST', '/auth/login',
                            { username: WH, password: PASSWORD, remember: true }),
              400, 'unknown_field', 'remember');
  expectError(await request(h.base, 'POST', '/auth/login', { username: WH, password: 5 }),
              400, 'bad_type', 'password');
  expectError(await request(h.base, 'POST', '/auth/login', '{"username":'), 400, 'bad_json');
});

test('GET /auth/me answers the user of the session', async () => {
  const c = await h.login(WH);
  const r = await c.get('/auth/me');
  expectStatus(r, 200);
  assert.equal(r.json.user?.username, WH);
  assert.equal(r.json.user?.role, 'warehouse');
});

test('no cookie: 401 unauthenticated', async () => {
  expectError(await h.anon().get('/auth/me'), 401, 'unauthenticated');
  expectError(await h.anon().get('/stock'), 401, 'unauthenticated');
});

test('a garbage token is 401, as cookie and as Bearer', async () => {
  const anon = h.anon();
  for (const tok of ['garbage', '0'.repeat(64), 'x'.repeat(500), '%00', '']) {
    expectError(await anon.get('/auth/me', { headers: { Cookie: `rs_session=${tok}` } }),
                401, 'unauthenticated');
    if (tok)
      expectError(await anon.get('/auth/me', { headers: { Authorization: `Bearer ${tok}` } }),
                  401, 'unauthenticated');
  }
  expectError(await anon.get('/auth/me', { headers: { Authorization: 'Basic d2g6cHc=' } }),
              401, 'unauthenticated');
});

test('the token works as a Bearer token too', async () => {
  const c = await h.login(WH);
  const r = await c.withBearer().get('/auth/me');
  expectStatus(r, 200);
  assert.equal(r.json.user?.username, WH);
});

test('a cookie among other cookies is found', async () => {
  const c = await h.login(WH);
  const r = await h.anon().get('/auth/me',
                               { headers: { Cookie: `theme=dark; rs_session=${c.token}; lang=zh` } });
  expectStatus(r, 200);
  assert.equal(r.json.user?.username, WH);
});

// A Set-Cookie that removes rs_session: Max-Age=0 or an Expires in the past.
function assertClearsCookie(r) {
  const c = sessionCookie(r);
  assert.ok(c, `no rs_session Set-Cookie on log-out: ${JSON.stringify(setCookies(r))}`);
  const maxAge = /;\s*Max-Age=(-?\d+)/i.exec(c);
  const expires = /;\s*Expires=([^;]+)/i.exec(c);
  assert.ok((maxAge && Number(maxAge[1]) <= 0) || (expires && Date.parse(expires[1]) < Date.now()),
            `log-out cookie does not expire at once: ${c}`);
  assert.match(c, /;\s*Path=\//, `log-out cookie without Path=/: ${c}`);
}

test('log-out revokes the session: 204 with an expiring cookie, then 401 everywhere',
     async () => {
  const c = await h.login(WH);
  const other = await h.login(WH); // a second session of the same user stays valid
  expectStatus(await c.get('/auth/me'), 200);
  const r = await c.post('/auth/logout');
  expectStatus(r, 204);
  assert.equal(r.text, '', '204 with a body');
  assertClearsCookie(r);
  expectError(await c.get('/auth/me'), 401, 'unauthenticated');
  expectError(await c.withBearer().get('/auth/me'), 401, 'unauthenticated');
  expectError(await c.get('/stock'), 401, 'unauthenticated');
  expectStatus(await other.get('/auth/me'), 200);
});

test('log-out by Bearer token revokes that session', async () => {
  const c = await h.login(WH);
  expectStatus(await c.withBearer().post('/auth/logout'), 204);
  expectError(await c.get('/auth/me'), 401, 'unauthenticated');
});

test('log-out needs no live session: always 204 with an expiring cookie', async () => {
  // docs/api.md: "anyone | revokes the presented session if any; always 204"
  const c = await h.login(WH);
  expectStatus(await c.post('/auth/logout'), 204);
  assertClearsCookie(await c.post('/auth/logout'));          // already revoked
  assertClearsCookie(await h.anon().post('/auth/logout'));   // no session at all
  const g = await h.anon().post('/auth/logout', {}, { headers: { Cookie: 'rs_session=garbage' } });
  expectStatus(g, 204);
  assertClearsCookie(g);
  expectStatus(await h.anon().send('POST', '/auth/logout', undefined), 204); // no body
});

test('an expired session is 401 unauthenticated', async () => {
  const c = await h.login(WH);
  expectStatus(await c.get('/auth/me'), 200);
  // The table keeps the SHA-256 of the token (db/migrations/0001_core.sql).
  const hash = createHash('sha256').update(c.token).digest('hex');
  const rows = await sql(
    `UPDATE app_session SET expires_at = '2001-01-01 00:00:00' WHERE token_hash = '${hash}'; ` +
    'SELECT ROW_COUNT()');
  assert.equal(rows[0][0], '1', `no app_session row with token_hash = sha256(token)`);
  expectError(await c.get('/auth/me'), 401, 'unauthenticated');
  expectError(await c.withBearer().get('/auth/me'), 401, 'unauthenticated');
  // an expired session can still log out, to clear its cookie
  const r = await c.post('/auth/logout');
  expectStatus(r, 204);
  assertClearsCookie(r);
});

test('log-ins purge sessions dead for a day and idempotency records older than 30 days', async () => {
  const c = await h.login(WH);
  const hash = createHash('sha256').update(c.token).digest('hex');
  const key = `purge-${Date.now()}`;
  await sql(
    `UPDATE app_session SET expires_at = UTC_TIMESTAMP(6) - INTERVAL 2 DAY WHERE token_hash = '${hash}'; ` +
    `INSERT INTO idempotency (user_id, idem_key, request_hash, status, response, created_at) ` +
    `SELECT id, '${key}', REPEAT('0', 64), 201, '{}', UTC_TIMESTAMP(6) - INTERVAL 31 DAY ` +
    `FROM app_user WHERE username = '${WH}'; ` +
    `INSERT INTO idempotency (user_id, idem_key, request_hash, status, response, created_at) ` +
    `SELECT id, '${key}-young', REPEAT('0', 64), 201, '{}', UTC_TIMESTAMP(6) - INTERVAL 29 DAY ` +
    `FROM app_user WHERE username = '${WH}'`);
  await h.login(WH);
  const left = await sql(
    `SELECT (SELECT COUNT(*) FROM app_session WHERE token_hash = '${hash}'), ` +
    `(SELECT COUNT(*) FROM idempotency WHERE idem_key = '${key}'), ` +
    `(SELECT COUNT(*) FROM idempotency WHERE idem_key = '${key}-young')`);
  assert.deepEqual(left[0], ['0', '0', '1']);
});
