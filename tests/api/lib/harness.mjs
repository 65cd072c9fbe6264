// harness.mjs -- start a private reliefd, talk to it as a logged-in user, and
// check the ledger afterwards.  Node 20 built-ins only (node:test, fetch,
// child_process); no npm modules.
//
// Environment (set by ctest, see tests/CMakeLists.txt):
//   RELIEF_CONFIG     settings file of the test database (scripts/test writes it)
//   RELIEF_RELIEFD    path of the reliefd binary
//   RELIEF_RELIEFCTL  path of the reliefctl binary (verify-ledger)
// Without them the test file exits with 77, which ctest reports as skipped.
//
// Typical use in a test file:
//   const h = useServer();                 // before(): start; after(): stop + verify-ledger
//   test('...', async () => { const wh = await h.login('wh-441900101'); ... });

import { spawn, execFile } from 'node:child_process';
import net from 'node:net';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { before, after } from 'node:test';
import assert from 'node:assert/strict';

export const PASSWORD = 'reliefstock-demo';
export const API = '/api/v1';

// Town-level units used by the tests (codes from shared/data/divisions.csv).
export const TOWN_A = '441900101'; // 石碣镇
export const TOWN_B = '441900003'; // 东城街道
export const TOWN_C = '441900004'; // 南城街道
export const CITY = '441900';
export const TENT = 'DG-SH-01';   // lot-tracked, integral (顶)
export const WATER = 'DG-FW-01';  // lot-tracked, unit L, not integral

// ---------------------------------------------------------------- skip rule

export function requireEnv() {
  const missing = ['RELIEF_CONFIG', 'RELIEF_RELIEFD', 'RELIEF_RELIEFCTL'].filter(
    (k) => !process.env[k]);
  if (missing.length) {
    console.log(`# SKIP: ${missing.join(', ')} not set (run through scripts/test)`);
    process.exit(77);
  }
}

// ---------------------------------------------------------------- server

// Start reliefd on a free port.  `env` adds or overrides variables.
export async function startServer({ env = {}, timeoutMs = 10000 } = {}) {
  requireEnv();
  const proc = spawn(process.env.RELIEF_RELIEFD, [], {
    env: { ...process.env, RELIEF_HTTP_PORT: '0', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const log = []; // last lines of stderr, for failure messages
  const sanitizer = []; // lines of ASan/LSan/UBSan reports
  let pending = '';
  let resolvePort;
  let rejectPort;
  const portP = new Promise((res, rej) => { resolvePort = res; rejectPort = rej; });

  // Keep draining stderr for the whole life of the server: a full pipe would block it.
  proc.stderr.setEncoding('utf8');
  proc.stderr.on('data', (chunk) => {
    pending += chunk;
    let nl;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      log.push(line);
      if (log.length > 2000) log.shift();
      if (/AddressSanitizer|LeakSanitizer|runtime error:/.test(line)) sanitizer.push(line);
      if (process.env.RELIEF_TEST_VERBOSE) console.error(`[reliefd] ${line}`);
      const m = /listening/.test(line) && /port=(\d+)/.exec(line);
      if (m) resolvePort(Number(m[1]));
    }
  });
  const exited = new Promise((res) => proc.on('exit', (code, signal) => res({ code, signal })));
  exited.then(({ code, signal }) =>
    rejectPort(new Error(`reliefd exited (code ${code}, signal ${signal}) before listening:\n` +
                         log.slice(-30).join('\n'))));
  proc.on('error', (e) => rejectPort(e));

  const timer = setTimeout(() => rejectPort(new Error(
    `reliefd did not print "listening ... port=N" within ${timeoutMs} ms:\n` +
    log.slice(-30).join('\n'))), timeoutMs);
  let port;
  try {
    port = await portP;
  } catch (e) {
    proc.kill('SIGKILL');
    throw e;
  } finally {
    clearTimeout(timer);
  }

  const server = {
    port,
    base: `http://127.0.0.1:${port}`,
    proc,
    log,
    sanitizer,
    // Stop with SIGTERM (SIGKILL after 5 s); resolves to {code, signal}.
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGTERM');
        const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(t);
      }
      return exited;
    },
  };
  return server;
}

// ---------------------------------------------------------------- HTTP

function urlOf(base, path) {
  if (path.startsWith('http://')) return path;
  if (path.startsWith('/api/') || path.startsWith('/healthz') || path.startsWith('/l/'))
    return base + path;
  return base + API + path;
}

function isMutating(method) {
  return ['POST', 'PUT', 'PATCH', 'DELETE'].includes(method);
}

// One HTTP exchange.  body: undefined (none), a string/Buffer (sent as is) or
// a value (sent as JSON).  opts.idemKey: undefined = a fresh random key on
// mutating calls outside /auth/, null = no header, a string = that key.
export async function request(base, method, path, body, opts = {}) {
  const headers = { ...(opts.headers || {}) };
  let payload;
  if (body !== undefined) {
    if (typeof body === 'string' || Buffer.isBuffer(body)) {
      payload = body;
    } else {
      payload = JSON.stringify(body);
    }
    if (!Object.keys(headers).some((k) => k.toLowerCase() === 'content-type'))
      headers['Content-Type'] = 'application/json';
  }
  // What the web UI sends on every call (webui/js/api.mjs): reliefd refuses
  // cookie-authenticated changes without it (CSRF).  opts.csrf === false
  // leaves it out, for the tests of that rule.
  if (opts.csrf !== false && !Object.keys(headers).some((k) => k.toLowerCase() === 'x-requested-with'))
    headers['X-Requested-With'] = 'ReliefStock';
  if (isMutating(method) && !path.includes('/auth/')) {
    if (opts.idemKey === undefined) headers['Idempotency-Key'] = randomUUID();
    else if (opts.idemKey !== null) headers['Idempotency-Key'] = opts.idemKey;
  }
  const res = await fetch(urlOf(base, path), {
    method, headers, body: payload, redirect: 'manual',
  });
  const text = await res.text();
  let json = null;
  if (text.length && (res.headers.get('content-type') || '').includes('json')) {
    try { json = JSON.parse(text); } catch { json = null; }
  }
  const sent = typeof payload === 'string' ? payload.slice(0, 2000) : undefined;
  return { status: res.status, headers: res.headers, json, text, method, path, sent };
}

// A request over a plain TCP socket (Connection: close).  Sends bodies on
// GET, which fetch refuses, and reads the answer while the body is still
// being written.  With expectContinue, it sends "Expect: 100-continue" and
// only writes the body after "100 Continue", as curl does for large bodies:
// the way a client learns of a 413 before uploading.  Rejects only when no
// complete final answer came back.
export function sendRaw(base, method, path, body, headers = {}, { expectContinue = false } = {}) {
  const u = new URL(urlOf(base, path));
  const data = Buffer.isBuffer(body) ? body : Buffer.from(body ?? '', 'utf8');
  const head = { Host: u.host, 'Content-Type': 'application/json',
                 'Content-Length': String(data.length), Connection: 'close', ...headers };
  if (expectContinue) head.Expect = '100-continue';
  const text = `${method} ${u.pathname}${u.search} HTTP/1.1\r\n` +
    Object.entries(head).map(([k, v]) => `${k}: ${v}\r\n`).join('') + '\r\n';
  return new Promise((resolve, reject) => {
    let raw = Buffer.alloc(0);
    let bodySent = false;
    const sock = net.connect(Number(u.port), u.hostname);
    const sendBody = () => { if (!bodySent) { bodySent = true; sock.end(data); } };
    sock.on('data', (c) => {
      raw = Buffer.concat([raw, c]);
      // an interim 100 Continue: drop it and send the body
      const m = /^HTTP\/1\.[01] 100[^\r]*\r\n\r\n/.exec(raw.toString('latin1'));
      if (m) {
        raw = raw.subarray(m[0].length);
        sendBody();
      }
    });
    sock.on('error', () => { /* EPIPE/ECONNRESET after an early answer: judged on close */ });
    sock.on('close', () => {
      const sep = raw.indexOf('\r\n\r\n');
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(raw.subarray(0, 20).toString('latin1'));
      if (sep < 0 || !m) {
        reject(new Error(`${method} ${path}: no response (${raw.length} bytes read)`));
        return;
      }
      const hdrs = new Headers();
      for (const line of raw.subarray(0, sep).toString('latin1').split('\r\n').slice(1)) {
        const i = line.indexOf(':');
        if (i > 0) hdrs.append(line.slice(0, i).trim(), line.slice(i + 1).trim());
      }
      let bodyBuf = raw.subarray(sep + 4);
      const cl = hdrs.get('content-length');
      if (cl !== null) bodyBuf = bodyBuf.subarray(0, Number(cl));
      const bodyText = bodyBuf.toString('utf8');
      let json = null;
      try { json = JSON.parse(bodyText); } catch { json = null; }
      resolve({ status: Number(m[1]), headers: hdrs, json, text: bodyText, method, path,
                sent: data.subarray(0, 2000).toString('utf8'), bodySent });
    });
    sock.write(text);
    if (!expectContinue) sendBody();
    else setTimeout(() => { if (raw.length === 0) sendBody(); }, 1000).unref(); // RFC 9110 10.1.1
  });
}

export function setCookies(res) {
  if (typeof res.headers.getSetCookie === 'function') return res.headers.getSetCookie();
  const v = res.headers.get('set-cookie');
  return v ? [v] : [];
}

export function sessionCookie(res) {
  return setCookies(res).find((c) => /^\s*rs_session=/.test(c)) || null;
}

// A client: a base URL and (optionally) a session token sent as the
// rs_session cookie, or as a Bearer token when `bearer` is set.
export class Client {
  constructor(base, token = null, { bearer = false, user = null, loginResponse = null } = {}) {
    this.base = base;
    this.token = token;
    this.bearer = bearer;
    this.user = user;
    this.loginResponse = loginResponse;
  }

  authHeaders() {
    if (!this.token) return {};
    return this.bearer ? { Authorization: `Bearer ${this.token}` }
                       : { Cookie: `rs_session=${this.token}` };
  }

  send(method, path, body, opts = {}) {
    return request(this.base, method, path, body,
                   { ...opts, headers: { ...this.authHeaders(), ...(opts.headers || {}) } });
  }

  get(path, opts) { return this.send('GET', path, undefined, opts); }
  post(path, body, opts) { return this.send('POST', path, body === undefined ? {} : body, opts); }
  put(path, body, opts) { return this.send('PUT', path, body, opts); }
  patch(path, body, opts) { return this.send('PATCH', path, body, opts); }
  del(path, opts) { return this.send('DELETE', path, undefined, opts); }
  // A body sent byte for byte (malformed JSON, huge bodies, other types).
  raw(method, path, rawBody, opts = {}) { return this.send(method, path, rawBody, opts); }

  withBearer() { return new Client(this.base, this.token, { bearer: true, user: this.user }); }
  withToken(token) { return new Client(this.base, token, { bearer: this.bearer }); }
  anonymous() { return new Client(this.base, null); }

  // GET every page of a list; returns all items.
  async all(path, { limit = 500, maxPages = 200 } = {}) {
    const items = [];
    let cursor = null;
    for (let page = 0; page < maxPages; page++) {
      const sep = path.includes('?') ? '&' : '?';
      const p = `${path}${sep}limit=${limit}` +
                (cursor ? `&cursor=${encodeURIComponent(cursor)}` : '');
      const r = await this.get(p);
      expectStatus(r, 200);
      assert.ok(Array.isArray(r.json?.items), `${p}: no items array: ${r.text.slice(0, 300)}`);
      items.push(...r.json.items);
      cursor = r.json.next_cursor;
      if (cursor === null || cursor === undefined) return items;
    }
    throw new Error(`${path}: more than ${maxPages} pages`);
  }
}

export async function login(base, username, password = PASSWORD) {
  const r = await request(base, 'POST', '/auth/login', { username, password });
  if (r.status !== 200 && r.status !== 201)
    throw new Error(`login ${username}: ${r.status} ${r.text.slice(0, 300)}`);
  const c = sessionCookie(r);
  const m = c && /rs_session=([^;]*)/.exec(c);
  if (!m || !m[1]) throw new Error(`login ${username}: no rs_session cookie in ${setCookies(r)}`);
  return new Client(base, m[1], { user: r.json?.user ?? null, loginResponse: r });
}

// ---------------------------------------------------------------- assertions

function describe(r) {
  return `${r.method} ${r.path} -> ${r.status} ${r.text.slice(0, 500)}`;
}

export function expectStatus(r, status) {
  const ok = Array.isArray(status) ? status.includes(r.status) : r.status === status;
  assert.ok(ok, `expected HTTP ${status}, got ${describe(r)}`);
  return r;
}

// An error answer: status, error.code and (when given) error.field.
export function expectError(r, status, code, field) {
  expectStatus(r, status);
  assert.ok(r.json && typeof r.json.error === 'object' && r.json.error !== null,
            `expected an {"error":{...}} body, got ${describe(r)}`);
  const codes = Array.isArray(code) ? code : [code];
  if (code !== undefined)
    assert.ok(codes.includes(r.json.error.code),
              `expected error.code ${codes.join('|')}, got ${describe(r)}`);
  assert.equal(typeof r.json.error.message, 'string', `error.message missing: ${describe(r)}`);
  if (field !== undefined) {
    const f = r.json.error.field;
    assert.ok(f === field || (typeof f === 'string' && f.split('.').pop() === field),
              `expected error.field ${field}, got ${describe(r)}`);
  }
  return r.json.error;
}

// The object inside an answer: {"movement": {...}} -> {...}; a bare object stays.
export function unwrap(json, key) {
  if (json && typeof json === 'object' && json[key] && typeof json[key] === 'object')
    return json[key];
  return json;
}

export const num = (v) => (v === null || v === undefined ? v : Number(v));

// ---------------------------------------------------------------- suite hooks

// Registers before/after hooks for a test file: start reliefd before the
// first test, and after the last stop it and require `reliefctl
// verify-ledger` to pass.  Returns a context whose fields are filled in by
// the time tests run.
export function useServer(opts = {}) {
  requireEnv();
  let starting = null;
  const ctx = {
    server: null,
    // Starts the server once; every helper awaits it, so a file's own
    // before() hooks may use the context whatever order hooks run in.
    ready() {
      if (!starting) starting = startServer(opts).then((s) => { ctx.server = s; return s; });
      return starting;
    },
    get base() { return this.server.base; },
    async login(username, password) {
      await ctx.ready();
      return login(ctx.server.base, username, password);
    },
    anon() { return new Client(this.server.base, null); },
  };
  before(() => ctx.ready());
  after(async () => {
    if (starting) {
      const s = await starting.catch(() => null);
      if (s) {
        // A clean shutdown, and no sanitizer report (the build-asan tree runs
        // these tests too; reliefd's stderr is the only place ASan/UBSan speak).
        const { code, signal } = await s.stop();
        assert.deepEqual(s.sanitizer, [],
                         `sanitizer report from reliefd:\n${s.log.slice(-80).join('\n')}`);
        assert.ok(code === 0 && signal === null,
                  `reliefd did not exit cleanly on SIGTERM (code ${code}, signal ${signal}):\n` +
                  s.log.slice(-20).join('\n'));
      }
    }
    const v = await verifyLedger();
    assert.equal(v.code, 0,
                 `reliefctl verify-ledger failed (exit ${v.code}):\n${v.stdout}\n${v.stderr}`);
  });
  return ctx;
}

// ---------------------------------------------------------------- reliefctl

export function reliefctl(args, { env = {}, input, timeoutMs = 300000 } = {}) {
  return new Promise((resolve) => {
    const child = execFile(process.env.RELIEF_RELIEFCTL, args,
                           { env: { ...process.env, ...env }, timeout: timeoutMs,
                             maxBuffer: 64 << 20 },
                           (err, stdout, stderr) => {
                             let code = 0;
                             if (err) code = typeof err.code === 'number' ? err.code : -1;
                             resolve({ code, stdout, stderr });
                           });
    child.stdin.end(input ?? '');
  });
}

export function verifyLedger() {
  return reliefctl(['verify-ledger']);
}

// ---------------------------------------------------------------- database

// The settings reliefd itself reads: the file named by RELIEF_CONFIG, then
// RELIEF_* variables of the environment (the same order as core/config.c).
export function settings() {
  const s = {};
  const path = process.env.RELIEF_CONFIG;
  if (path) {
    for (const raw of readFileSync(path, 'utf8').split('\n')) {
      const line = raw.trim();
      if (!line || line.startsWith('#')) continue;
      const eq = line.indexOf('=');
      if (eq < 0) continue;
      s[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
    }
  }
  for (const [k, v] of Object.entries(process.env))
    if (k.startsWith('RELIEF_DB_')) s[k] = v;
  return s;
}

// Run SQL with the `mariadb` client as the admin account of the test
// database; resolves to the rows (arrays of strings, tab-separated output).
export function sql(query) {
  const s = settings();
  const args = ['--no-defaults', '-N', '-B', '--default-character-set=utf8mb4'];
  if (s.RELIEF_DB_SOCKET) args.push(`--socket=${s.RELIEF_DB_SOCKET}`);
  else args.push('--protocol=TCP', `--host=${s.RELIEF_DB_HOST || '127.0.0.1'}`,
                 `--port=${s.RELIEF_DB_PORT || '3306'}`);
  args.push(`--user=${s.RELIEF_DB_ADMIN_USER || 'root'}`);
  args.push(s.RELIEF_DB_NAME || 'reliefstock', '-e', query);
  const env = { ...process.env };
  if (s.RELIEF_DB_ADMIN_PASSWORD) env.MYSQL_PWD = s.RELIEF_DB_ADMIN_PASSWORD;
  return new Promise((resolve, reject) => {
    execFile('mariadb', args, { env, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`mariadb: ${stderr || err.message}`));
      else resolve(stdout.split('\n').filter((l) => l.length).map((l) => l.split('\t')));
    });
  });
}

// Row counts of every table a request could write to, for "a request that
// fails writes nothing".
export async function dbSnapshot() {
  const rows = await sql(
    'SELECT (SELECT COUNT(*) FROM movement), (SELECT COUNT(*) FROM lot), ' +
    '(SELECT COUNT(*) FROM stock), (SELECT COALESCE(SUM(qty),0) FROM stock), ' +
    '(SELECT COUNT(*) FROM transfer), (SELECT COUNT(*) FROM stocktake), ' +
    '(SELECT COUNT(*) FROM idempotency), (SELECT COUNT(*) FROM depot), ' +
    '(SELECT COUNT(*) FROM bin), (SELECT COUNT(*) FROM item)');
  const [movement, lot, stock, stockSum, transfer, stocktake, idempotency, depot, bin, item] =
    rows[0];
  return { movement, lot, stock, stockSum, transfer, stocktake, idempotency, depot, bin, item };
}

// ---------------------------------------------------------------- fixtures

export const uniq = (prefix = 'T') =>
  `${prefix}-${Date.now().toString(36)}-${randomUUID().slice(0, 8)}`.toUpperCase();

export async function item(client, code) {
  const r = await client.get(`/items/${encodeURIComponent(code)}`);
  expectStatus(r, 200);
  const it = unwrap(r.json, 'item');
  assert.ok(it && it.id !== undefined, `GET /items/${code}: no id in ${r.text.slice(0, 300)}`);
  return it;
}

// An org unit by code (docs/api.md: path references take a code or an id,
// looked up as a code first).
export async function orgUnit(client, code) {
  const r = await client.get(`/org-units/${encodeURIComponent(code)}`);
  expectStatus(r, 200);
  const ou = unwrap(r.json, 'org_unit');
  assert.equal(ou?.code, code, `GET /org-units/${code}: ${r.text.slice(0, 300)}`);
  return ou;
}

// A depot by code, with its bins.
export async function depot(client, code) {
  const r = await client.get(`/depots/${encodeURIComponent(code)}`);
  expectStatus(r, 200);
  const d = unwrap(r.json, 'depot');
  assert.equal(d?.code, code, `GET /depots/${code}: ${r.text.slice(0, 300)}`);
  const bins = d.bins ?? r.json.bins;
  assert.ok(Array.isArray(bins), `GET /depots/${code}: no bins: ${r.text.slice(0, 300)}`);
  return { ...d, bins };
}

export function bin(dep, code) {
  const b = dep.bins.find((x) => x.code === code);
  assert.ok(b, `bin ${code} not in depot ${dep.code}`);
  return b;
}

// Town depot D-<town> and one of its bins.
export async function townBin(client, town, binCode = 'A-01') {
  const dep = await depot(client, `D-${town}`);
  return { depot: dep, bin: bin(dep, binCode) };
}

// POST /movements; returns the raw response.
export function move(client, body, opts) {
  return client.post('/movements', body, opts);
}

// POST /movements expecting 201; returns {movement, transfer, json}.
export async function moveOk(client, body, opts) {
  const r = await move(client, body, opts);
  expectStatus(r, 201);
  const movement = r.json?.movement;
  assert.ok(movement && movement.id !== undefined,
            `POST /movements: no movement in ${r.text.slice(0, 300)}`);
  return { movement, transfer: r.json.transfer, json: r.json, res: r };
}

// Receive `qty` of `itemCode` as a fresh lot into `binId`; returns {lotId, lotNo, movement}.
export async function receiveFresh(client, { binId, itemId, qty, lotNo = uniq('LOT'),
                                             expiry = '2031-06-30' }) {
  const { movement } = await moveOk(client, {
    kind: 'receive', bin_id: binId, item_id: itemId, qty,
    lot: { lot_no: lotNo, production_date: '2025-01-15', expiry_date: expiry,
           supplier: 'test harness' },
    reference: 'api-test',
  });
  assert.ok(movement.lot_id !== undefined && movement.lot_id !== null,
            `receive: no lot_id in movement ${JSON.stringify(movement)}`);
  return { lotId: movement.lot_id, lotNo, movement };
}

// Balance of a lot in a bin as GET /stock tells it (0 when no row).
export async function stockQty(client, lotId, binId) {
  const rows = await client.all(`/stock?lot=${lotId}`);
  return rows.filter((x) => binId === undefined || x.bin_id === binId)
             .reduce((a, x) => a + Number(x.qty), 0);
}

// Every movement of a lot, sorted by id.
export async function lotMovements(client, lotId) {
  const rows = await client.all(`/movements?lot=${lotId}`);
  return rows.sort((a, b) => Number(a.id) - Number(b.id));
}

// What a test can see of a lot through the API: per-bin stock and its movements.
export async function lotState(client, lotId) {
  const stock = (await client.all(`/stock?lot=${lotId}`))
    .map((x) => `${x.bin_id}:${Number(x.qty)}`).sort();
  const mv = (await lotMovements(client, lotId)).map((m) => m.id);
  return { stock, movements: mv };
}
