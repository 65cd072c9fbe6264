// https.test.mjs -- reliefd over TLS with a certificate from scripts/make-cert
// (docs/https.md): phones open the camera only on a secure page, so a depot
// serves HTTPS on its own network with a self-signed certificate.
//
// Needs openssl (scripts/make-cert) besides the usual test database.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import {
  requireEnv, startServer, verifyLedger, login, sessionCookie, PASSWORD,
} from './lib/harness.mjs';

requireEnv();
const MAKE_CERT = fileURLToPath(new URL('../../scripts/make-cert', import.meta.url));
const dir = mkdtempSync(path.join(tmpdir(), 'relief-tls-'));
const servers = [];
let cert, key, fingerprint;

function makeCert(out, names) {
  return new Promise((resolve, reject) => {
    execFile(MAKE_CERT, ['--out', out, ...names], { timeout: 60000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`scripts/make-cert failed: ${stderr || err.message}`));
      else resolve(stdout.trim());
    });
  });
}

// Each server gets exactly the TLS settings a test gives it.
for (const k of ['RELIEF_TLS_CERT', 'RELIEF_TLS_KEY', 'RELIEF_COOKIE_SECURE']) delete process.env[k];

async function start(env) {
  const s = await startServer({ env });
  servers.push(s);
  return s;
}

// One HTTPS exchange trusting only `ca`; resolves {status, headers, text}.
function httpsRequest(port, method, urlPath, { ca, body, headers = {} } = {}) {
  return new Promise((resolve, reject) => {
    const req = https.request({ host: '127.0.0.1', port, method, path: urlPath, ca,
                                headers: body === undefined ? headers
                                  : { 'Content-Type': 'application/json', ...headers } },
    (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { text += c; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, text }));
    });
    req.on('error', reject);
    req.setTimeout(10000, () => req.destroy(new Error('timeout')));
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

before(async () => {
  fingerprint = await makeCert(dir, ['127.0.0.1', 'localhost']);
  cert = path.join(dir, 'cert.pem');
  key = path.join(dir, 'key.pem');
});

after(async () => {
  for (const s of servers) {
    const { code, signal } = await s.stop();
    assert.ok(code === 0 && signal === null, `reliefd did not stop cleanly (${code}, ${signal})`);
    assert.deepEqual(s.sanitizer, [], `sanitizer report:\n${s.log.slice(-80).join('\n')}`);
  }
  rmSync(dir, { recursive: true, force: true });
  const v = await verifyLedger();
  assert.equal(v.code, 0, `reliefctl verify-ledger failed:\n${v.stdout}\n${v.stderr}`);
});

test('scripts/make-cert: a private key only its owner reads, a certificate for the addresses', () => {
  assert.equal(statSync(key).mode & 0o777, 0o600);
  const x = new X509Certificate(readFileSync(cert));
  assert.equal(fingerprint, x.fingerprint256, 'the printed fingerprint is the certificate\'s');
  assert.ok(x.subjectAltName.includes('IP Address:127.0.0.1'), x.subjectAltName);
  assert.ok(x.subjectAltName.includes('DNS:localhost'), x.subjectAltName);
  assert.equal(x.ca, true, 'phones install only CA certificates as trusted');
  assert.ok(x.checkIssued(x), 'self-signed');
  const days = (Date.parse(x.validTo) - Date.parse(x.validFrom)) / 86400000;
  assert.ok(days <= 825, `valid for ${days} days; iOS refuses more than 825`);
});

test('reliefd serves HTTPS with it; the session cookie is Secure', async () => {
  const s = await start({ RELIEF_TLS_CERT: cert, RELIEF_TLS_KEY: key });
  const ca = readFileSync(cert);
  const health = await httpsRequest(s.port, 'GET', '/healthz', { ca });
  assert.equal(health.status, 200);
  assert.deepEqual(JSON.parse(health.text), { status: 'ok', db: 'ok' });

  const li = await httpsRequest(s.port, 'POST', '/api/v1/auth/login',
                                { ca, body: { username: 'admin', password: PASSWORD } });
  assert.equal(li.status, 200, li.text);
  const cookie = (li.headers['set-cookie'] || []).find((c) => c.startsWith('rs_session='));
  assert.ok(cookie, 'no session cookie');
  assert.match(cookie, /;\s*Secure(;|$)/, `cookie without Secure: ${cookie}`);
  assert.match(cookie, /HttpOnly/);
  const token = /rs_session=([^;]*)/.exec(cookie)[1];
  const me = await httpsRequest(s.port, 'GET', '/api/v1/auth/me',
                                { ca, headers: { Cookie: `rs_session=${token}` } });
  assert.equal(me.status, 200, me.text);
  assert.equal(JSON.parse(me.text).user.username, 'admin');
  const out = await httpsRequest(s.port, 'POST', '/api/v1/auth/logout',
                                 { ca, headers: { Cookie: `rs_session=${token}` } });
  assert.equal(out.status, 204);
  assert.match(out.headers['set-cookie'][0], /Max-Age=0.*Secure/);

  // Without the certificate as trust anchor the client refuses the server ...
  await assert.rejects(httpsRequest(s.port, 'GET', '/healthz'),
                       /self[- ]signed|unable to verify|certificate/i);
  // ... and plain HTTP on the TLS port gets no HTTP answer.
  await assert.rejects(fetch(`http://127.0.0.1:${s.port}/healthz`));
});

test('plain HTTP: no Secure flag, unless RELIEF_COOKIE_SECURE=1 (TLS in a proxy in front)', async () => {
  const plain = await start({});
  const c1 = sessionCookie((await login(plain.base, 'admin')).loginResponse);
  assert.doesNotMatch(c1, /Secure/);
  const behindProxy = await start({ RELIEF_COOKIE_SECURE: '1' });
  const c2 = sessionCookie((await login(behindProxy.base, 'admin')).loginResponse);
  assert.match(c2, /;\s*Secure(;|$)/);
});

test('only one of RELIEF_TLS_CERT and RELIEF_TLS_KEY: reliefd refuses to start and says why', async () => {
  await assert.rejects(start({ RELIEF_TLS_CERT: cert }),
                       /RELIEF_TLS_CERT is set but RELIEF_TLS_KEY is not/);
  await assert.rejects(start({ RELIEF_TLS_KEY: key }),
                       /RELIEF_TLS_KEY is set but RELIEF_TLS_CERT is not/);
  await assert.rejects(start({ RELIEF_TLS_CERT: cert, RELIEF_TLS_KEY: path.join(dir, 'none.pem') }),
                       /RELIEF_TLS_KEY=.*none\.pem: cannot open it/);
});

test('a key that is not the certificate\'s: reliefd refuses to start', async () => {
  const other = path.join(dir, 'other');
  await makeCert(other, ['127.0.0.1']);
  await assert.rejects(start({ RELIEF_TLS_CERT: cert, RELIEF_TLS_KEY: path.join(other, 'key.pem') }),
                       /cannot start HTTPS/);
});
