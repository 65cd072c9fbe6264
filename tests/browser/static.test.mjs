// Checks of the web UI's files that need no server and no browser: both
// message catalogues have the same keys, every key the code asks for exists,
// no visible text is written in the code, nothing breaks the server's
// Content-Security-Policy (no inline scripts or styles, nothing from other
// sites), and the service worker keeps every file the app needs offline.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const WEBUI = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'webui');
const read = (p) => readFileSync(join(WEBUI, p), 'utf8');
const jsFiles = readdirSync(join(WEBUI, 'js')).filter((f) => f.endsWith('.mjs'));
const zh = JSON.parse(read('i18n/zh-CN.json'));
const en = JSON.parse(read('i18n/en.json'));

test('both catalogues have the same keys, none empty', () => {
  assert.deepEqual(Object.keys(en).filter((k) => !(k in zh)), [], 'in en.json only');
  assert.deepEqual(Object.keys(zh).filter((k) => !(k in en)), [], 'in zh-CN.json only');
  for (const [name, cat] of [['zh-CN', zh], ['en', en]])
    for (const [k, v] of Object.entries(cat))
      assert.ok(typeof v === 'string' && v.trim().length, `${name}: ${k} is empty`);
  // placeholders match
  for (const k of Object.keys(zh)) {
    const ph = (s) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort().join(',');
    assert.equal(ph(en[k]), ph(zh[k]), `placeholders of ${k}`);
  }
});

test('every key the code uses is in the catalogues', () => {
  const missing = [];
  for (const f of jsFiles) {
    const src = read(`js/${f}`).replace(/(^|\s)\/\/.*$/gm, '$1');
    for (const m of src.matchAll(/\bt\(\s*'([^']+)'/g)) if (!(m[1] in zh)) missing.push(`${f}: ${m[1]}`);
    // keys built from a prefix: every value the code can put there
    for (const m of src.matchAll(/\bt\(\s*`([a-z.]+)\.\$\{/g)) {
      const prefix = `${m[1]}.`;
      assert.ok(Object.keys(zh).some((k) => k.startsWith(prefix)), `${f}: no key starts with ${prefix}`);
    }
  }
  assert.deepEqual(missing, []);
  for (const a of ['issue', 'receive', 'move', 'count']) {
    for (const p of ['action', 'form.submit']) assert.ok(`${p}.${a}` in zh, `${p}.${a}`);
  }
  for (const a of ['issue', 'receive', 'move']) assert.ok(`done.${a}` in zh, `done.${a}`);
  for (const s of ['queued', 'sending', 'refused']) assert.ok(`queue.status.${s}` in zh, s);
  for (const k of ['lot', 'bin', 'depot', 'asset']) assert.ok(`kind.${k}` in zh, k);
});

test('no visible text in the code: Chinese only in the catalogues', () => {
  const cjk = /[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]/;
  for (const f of [...jsFiles.map((x) => `js/${x}`), 'index.html', 'sw.js']) {
    read(f).split('\n').forEach((line, i) => {
      const code = line.replace(/\/\/.*$/, ''); // comments may quote texts
      assert.ok(!cjk.test(code), `${f}:${i + 1}: text outside the catalogues: ${line.trim()}`);
    });
  }
});

test('nothing the Content-Security-Policy would block, nothing from other sites', () => {
  const html = read('index.html');
  assert.ok(!/<script(?![^>]*\bsrc=)[^>]*>/i.test(html), 'no inline <script>');
  assert.ok(!/\sstyle\s*=/i.test(html), 'no style attribute');
  assert.ok(!/<style/i.test(html), 'no <style> element');
  assert.ok(!/\son[a-z]+\s*=/i.test(html), 'no inline event handler');
  for (const f of [...jsFiles.map((x) => `js/${x}`), 'index.html', 'sw.js', 'app.css', 'manifest.webmanifest']) {
    const text = read(f).replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|\s)\/\/.*$/gm, '$1');
    assert.ok(!/https?:\/\/(?!www\.w3\.org\/2000\/svg)/.test(text), `${f}: no absolute URL`);
    assert.ok(!/innerHTML|insertAdjacentHTML|document\.write/.test(text), `${f}: builds no markup from strings`);
  }
  // Paths are absolute: index.html is also served at /l/<code>.
  for (const m of html.matchAll(/(?:src|href)="([^"]+)"/g)) assert.ok(m[1].startsWith('/'), m[1]);
});

test('the service worker keeps every file of the app shell', () => {
  const sw = read('sw.js');
  const listed = new Set([...sw.matchAll(/'(\/[^']+)'/g)].map((m) => m[1]));
  const want = ['/index.html', '/app.css', '/manifest.webmanifest', '/icons/icon.svg',
                '/node_modules/jsqr/dist/jsQR.js',
                ...jsFiles.map((f) => `/js/${f}`),
                ...readdirSync(join(WEBUI, 'i18n')).map((f) => `/i18n/${f}`)];
  assert.deepEqual(want.filter((p) => !listed.has(p)), [], 'missing from SHELL in sw.js');
  const cam = read('js/camera.mjs');
  assert.match(cam, /\/node_modules\/jsqr\/dist\/jsQR\.js/);
  const pkg = JSON.parse(read('package.json'));
  assert.ok(pkg.dependencies && pkg.dependencies.jsqr, 'jsqr is an npm dependency of webui/');
});
