// openapi.test.mjs -- docs/api/openapi.yaml and reliefd's route table agree,
// both ways, so an endpoint cannot be added to router.c and left out of the
// documentation (or documented and never served).
//
// The route table comes from `$RELIEF_RELIEFD --routes`, one line per route:
//   METHOD PATH ROLES FLAGS     e.g. "POST /api/v1/movements warehouse,admin body,idem_required"
// (ROLES comma-separated; FLAGS comma-separated from public, body,
// idem_required, no_idem, or "-").  The OpenAPI file is read with a small
// line-based reader, not a YAML parser (no npm modules here), so it relies on
// the layout the file keeps:
//   - path keys are indented 2 under `paths:` and start with "/";
//   - operations are the keys get/post/put/patch/delete indented 4 under a path;
//   - an operation's own keys are indented 6: `x-roles: [a, b]` (flow list,
//     one line), `security: []` for public routes, `requestBody:` with
//     `required: true` indented 8, `parameters:` with items indented 8
//     (`- $ref: '#/components/parameters/X'` or `- name: x` + `in: path`);
//   - components are `components:` > section (indent 2) > name (indent 4).
// No database is needed.  Without RELIEF_RELIEFD the file exits 77 (skipped).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const RELIEFD = process.env.RELIEF_RELIEFD;
if (!RELIEFD) {
  console.log('# SKIP: RELIEF_RELIEFD not set (run through scripts/test)');
  process.exit(77);
}

const SPEC_PATH = fileURLToPath(new URL('../../docs/api/openapi.yaml', import.meta.url));
const ROLES = ['warehouse', 'town_official', 'city_auditor', 'admin'];
const FLAGS = ['public', 'body', 'idem_required', 'no_idem'];
const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

// ---------------------------------------------------------------- route table

function readRoutes() {
  const out = execFileSync(RELIEFD, ['--routes'], { encoding: 'utf8', timeout: 10000 });
  const routes = [];
  for (const [i, raw] of out.split('\n').entries()) {
    const line = raw.trim();
    if (!line) continue;
    const f = line.split(/\s+/);
    assert.equal(f.length, 4, `reliefd --routes line ${i + 1} is not "METHOD PATH ROLES FLAGS": ${line}`);
    const [method, path, roles, flags] = f;
    assert.match(method, /^(GET|POST|PUT|PATCH|DELETE)$/, `line ${i + 1}: method ${method}`);
    assert.match(path, /^\//, `line ${i + 1}: path ${path}`);
    const roleList = roles.split(',');
    for (const r of roleList) assert.ok(ROLES.includes(r), `line ${i + 1}: unknown role ${r}`);
    const flagList = flags === '-' ? [] : flags.split(',');
    for (const fl of flagList) assert.ok(FLAGS.includes(fl), `line ${i + 1}: unknown flag ${fl}`);
    routes.push({ method, path, roles: new Set(roleList), flags: new Set(flagList) });
  }
  return routes;
}

// ---------------------------------------------------------------- OpenAPI reader

const indentOf = (line) => line.length - line.trimStart().length;
const unquote = (s) => s.trim().replace(/^(['"])(.*)\1$/, '$2');
// "key: value" at a given indent, or null.
function keyAt(line, indent) {
  if (indentOf(line) !== indent) return null;
  const m = /^((?:'[^']*'|"[^"]*"|[^\s:#'"][^:#]*?)):(?:\s+(.*))?$/.exec(line.trim());
  return m ? { key: unquote(m[1]), value: m[2] === undefined ? '' : m[2].trim() } : null;
}

// The lines of the file without comments, blank lines and block-scalar
// contents (descriptions), each with its 1-based line number.
function meaningfulLines(text) {
  const out = [];
  let scalarIndent = -1; // inside a block scalar whose key had this indent
  for (const [i, line] of text.split('\n').entries()) {
    if (line.trim() === '' ) continue;
    const ind = indentOf(line);
    if (scalarIndent >= 0) {
      if (ind > scalarIndent) continue;
      scalarIndent = -1;
    }
    if (line.trimStart().startsWith('#')) continue;
    if (/:\s*[|>][+-]?\s*$/.test(line)) scalarIndent = ind;
    out.push({ n: i + 1, text: line });
  }
  return out;
}

function readSpec(text) {
  const lines = meaningfulLines(text);
  const ops = [];
  const components = {}; // section -> Map(name -> lines)
  const refs = [];
  let top = null, path = null, op = null, section = null, comp = null;

  for (const l of lines) {
    for (const m of l.text.matchAll(/\$ref:\s*'?"?#\/components\/([A-Za-z]+)\/([A-Za-z0-9_.-]+)/g))
      refs.push({ section: m[1], name: m[2], n: l.n });
    const t = keyAt(l.text, 0);
    if (t) {
      top = t.key;
      path = op = section = comp = null;
      continue;
    }
    if (top === 'paths') {
      const p = keyAt(l.text, 2);
      if (p) {
        assert.ok(p.key.startsWith('/'), `line ${l.n}: a key under paths: that is not a path: ${p.key}`);
        path = p.key;
        op = null;
        continue;
      }
      const m = keyAt(l.text, 4);
      if (m) {
        op = METHODS.includes(m.key) ? { method: m.key.toUpperCase(), path, n: l.n, lines: [] } : null;
        if (op) ops.push(op);
        continue;
      }
      if (op) op.lines.push(l);
    } else if (top === 'components') {
      const s = keyAt(l.text, 2);
      if (s) {
        section = s.key;
        components[section] ??= new Map();
        comp = null;
        continue;
      }
      const c = keyAt(l.text, 4);
      if (c && section) {
        assert.ok(!components[section].has(c.key), `line ${l.n}: components.${section}.${c.key} defined twice`);
        comp = [];
        components[section].set(c.key, comp);
        continue;
      }
      if (comp) comp.push(l);
    }
  }
  for (const o of ops) analyseOperation(o);
  return { ops, components, refs };
}

// Fill in what the route table can be compared with.
function analyseOperation(op) {
  const ls = op.lines;
  op.keys = new Set();
  op.params = []; // {ref} or {name, in}
  op.requestBody = null; // {required: bool}
  for (let i = 0; i < ls.length; i++) {
    const k = keyAt(ls[i].text, 6);
    if (!k) continue;
    op.keys.add(k.key);
    // The block of this key: the following lines indented deeper than 6.
    let j = i + 1;
    while (j < ls.length && indentOf(ls[j].text) > 6) j++;
    const block = ls.slice(i + 1, j);
    if (k.key === 'x-roles') {
      const m = /^\[(.*)\]$/.exec(k.value);
      assert.ok(m, `line ${ls[i].n}: x-roles must be a one-line flow list like [warehouse, admin]`);
      op.roles = m[1].split(',').map((s) => unquote(s)).filter(Boolean);
    } else if (k.key === 'security') {
      op.public = k.value === '[]';
      assert.ok(op.public, `line ${ls[i].n}: an operation's security is either [] (public) or left to the global default`);
    } else if (k.key === 'requestBody') {
      op.requestBody = { required: block.some((b) => keyAt(b.text, 8)?.key === 'required' &&
                                                    keyAt(b.text, 8).value === 'true') };
    } else if (k.key === 'parameters') {
      for (let b = 0; b < block.length; b++) {
        const item = /^ {8}- (.*)$/.exec(block[b].text);
        if (!item) continue;
        const ref = /^\$ref:\s*['"]?#\/components\/parameters\/([A-Za-z0-9_.-]+)/.exec(item[1]);
        if (ref) {
          op.params.push({ ref: ref[1] });
          continue;
        }
        const name = /^name:\s*(.+)$/.exec(item[1]);
        assert.ok(name, `line ${block[b].n}: a parameter is a $ref or starts with "- name:"`);
        let where = null;
        for (let c = b + 1; c < block.length && !/^ {8}- /.test(block[c].text); c++) {
          const kk = keyAt(block[c].text, 10);
          if (kk?.key === 'in') where = unquote(kk.value);
        }
        op.params.push({ name: unquote(name[1]), in: where });
      }
    }
    i = j - 1;
  }
  op.public ??= false;
}

// name/in of a components.parameters entry.
function componentParam(spec, name) {
  const ls = spec.components.parameters?.get(name);
  if (!ls) return null;
  const p = {};
  for (const l of ls) {
    const k = keyAt(l.text, 6);
    if (k && (k.key === 'name' || k.key === 'in' || k.key === 'required')) p[k.key] = unquote(k.value);
  }
  return p;
}

// ---------------------------------------------------------------- the tests

const text = readFileSync(SPEC_PATH, 'utf8');
const spec = readSpec(text);
const routes = readRoutes();
const key = (method, path) => `${method} ${path}`;
const opByKey = new Map(spec.ops.map((o) => [key(o.method, o.path), o]));
const routeByKey = new Map(routes.map((r) => [key(r.method, r.path), r]));

test('the OpenAPI file is 3.0.3, with spaces only', () => {
  assert.match(text, /^openapi: 3\.0\.3\s*$/m);
  const tab = text.split('\n').findIndex((l) => l.includes('\t'));
  assert.equal(tab, -1, `tab character on line ${tab + 1}`);
});

test('reliefd --routes lists each route once', () => {
  assert.ok(routes.length > 0, 'reliefd --routes printed no routes');
  assert.equal(routeByKey.size, routes.length, 'a METHOD PATH appears twice in the route table');
  assert.equal(opByKey.size, spec.ops.length, 'a METHOD PATH appears twice in openapi.yaml');
});

test('every route is documented, and every documented operation is a route', () => {
  const undocumented = [...routeByKey.keys()].filter((k) => !opByKey.has(k));
  const unserved = [...opByKey.keys()].filter((k) => !routeByKey.has(k));
  assert.deepEqual(undocumented, [], `routes missing from docs/api/openapi.yaml:\n  ${undocumented.join('\n  ')}`);
  assert.deepEqual(unserved, [], `operations in openapi.yaml that reliefd does not serve:\n  ${unserved.join('\n  ')}`);
});

test('x-roles of each operation equals the roles of its route', () => {
  for (const [k, r] of routeByKey) {
    const op = opByKey.get(k);
    if (!op) continue; // reported above
    assert.ok(op.roles, `${k} (line ${op.n}) has no x-roles`);
    assert.deepEqual([...op.roles].sort(), [...r.roles].sort(), `${k}: x-roles differ from the route table`);
    if (r.roles.size < ROLES.length && !r.flags.has('public')) {
      const desc = op.keys.has('description');
      assert.ok(desc, `${k}: a restricted route needs a description saying who may call it`);
    }
  }
});

test('public routes, and only they, have security: []', () => {
  for (const [k, r] of routeByKey) {
    const op = opByKey.get(k);
    if (!op) continue;
    assert.equal(op.public, r.flags.has('public'),
                 r.flags.has('public') ? `${k} needs no session: give it security: []`
                                       : `${k} needs a session: remove security: []`);
  }
});

test('routes that need a body declare a required requestBody; the others declare none', () => {
  for (const [k, r] of routeByKey) {
    const op = opByKey.get(k);
    if (!op) continue;
    if (r.flags.has('body'))
      assert.ok(op.requestBody?.required, `${k} requires a JSON body: requestBody with required: true`);
    else
      assert.ok(!op.requestBody?.required, `${k} takes no body, but openapi.yaml requires one`);
  }
});

test('Idempotency-Key is required, optional or absent exactly as the server treats it', () => {
  for (const [k, r] of routeByKey) {
    const op = opByKey.get(k);
    if (!op) continue;
    const refs = op.params.filter((p) => p.ref).map((p) => p.ref);
    const idem = op.params.filter((p) => (p.ref ? componentParam(spec, p.ref)?.name : p.name) === 'Idempotency-Key');
    // server.c: mutating, non-public routes run with the idempotency store unless no_idem.
    const used = r.method !== 'GET' && !r.flags.has('public') && !r.flags.has('no_idem');
    if (!used) {
      assert.equal(idem.length, 0, `${k}: the server ignores Idempotency-Key here; do not document it`);
    } else if (r.flags.has('idem_required')) {
      assert.ok(refs.includes('IdempotencyKeyRequired'), `${k} requires an Idempotency-Key: use #/components/parameters/IdempotencyKeyRequired`);
    } else {
      assert.ok(refs.includes('IdempotencyKey'), `${k} accepts an Idempotency-Key: use #/components/parameters/IdempotencyKey`);
    }
    if (used) {
      const success = op.lines.some((l) => /#\/components\/headers\/IdempotentReplayed/.test(l.text));
      assert.ok(success, `${k}: document the Idempotent-Replayed header on its success answers`);
    }
  }
});

test('path parameters match the {names} of each path', () => {
  for (const op of spec.ops) {
    const want = [...op.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]).sort();
    const have = op.params
      .map((p) => (p.ref ? componentParam(spec, p.ref) : p))
      .filter((p) => p?.in === 'path')
      .map((p) => p.name)
      .sort();
    assert.deepEqual(have, want, `${op.method} ${op.path} (line ${op.n}): path parameters`);
  }
});

test('each operation has a unique operationId, a summary, a description and responses', () => {
  const ids = new Map();
  for (const op of spec.ops) {
    for (const need of ['operationId', 'summary', 'description', 'responses'])
      assert.ok(op.keys.has(need), `${op.method} ${op.path} (line ${op.n}) has no ${need}`);
    const idLine = op.lines.find((l) => keyAt(l.text, 6)?.key === 'operationId');
    const id = keyAt(idLine.text, 6).value;
    assert.ok(!ids.has(id), `operationId ${id} is used by ${ids.get(id)} and ${op.method} ${op.path}`);
    ids.set(id, `${op.method} ${op.path}`);
  }
});

test('every $ref points at a component that exists', () => {
  const missing = spec.refs.filter((r) => !spec.components[r.section]?.has(r.name))
    .map((r) => `line ${r.n}: #/components/${r.section}/${r.name}`);
  assert.deepEqual(missing, [], `dangling references:\n  ${missing.join('\n  ')}`);
});
