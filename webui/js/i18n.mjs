// i18n.mjs -- message catalogues (i18n/<lang>.json), Simplified Chinese by
// default, English switchable (remembered in localStorage).  Every visible
// text goes through t('key'); formatting of numbers, quantities and dates is
// here too, so all pages show them the same way.

export const LANGS = ['zh-CN', 'en'];
const DEFAULT_LANG = 'zh-CN';
const STORE_KEY = 'rs.lang';

let lang = DEFAULT_LANG;
let catalogue = {};
let fallback = {}; // zh-CN, for a key missing from the current catalogue
const listeners = new Set();

async function fetchCatalogue(l) {
  const r = await fetch(`/i18n/${l}.json`);
  if (!r.ok) throw new Error(`catalogue ${l}: HTTP ${r.status}`);
  return r.json();
}

export async function initI18n() {
  let want = DEFAULT_LANG;
  try { want = localStorage.getItem(STORE_KEY) || DEFAULT_LANG; } catch { /* private mode */ }
  if (!LANGS.includes(want)) want = DEFAULT_LANG;
  fallback = await fetchCatalogue(DEFAULT_LANG);
  await setLang(want, { quiet: true });
}

export async function setLang(l, { quiet = false } = {}) {
  if (!LANGS.includes(l)) return;
  catalogue = l === DEFAULT_LANG ? fallback : await fetchCatalogue(l);
  lang = l;
  try { localStorage.setItem(STORE_KEY, l); } catch { /* private mode */ }
  document.documentElement.lang = l;
  document.title = t('app.title');
  if (!quiet) for (const fn of listeners) fn(l);
}

export function getLang() { return lang; }
export function onLangChange(fn) { listeners.add(fn); return () => listeners.delete(fn); }

// t('queue.count', {n: 3}) -> the text with {n} replaced.
export function t(key, vars) {
  let s = catalogue[key] ?? fallback[key];
  if (s === undefined) {
    console.warn(`i18n: no text for "${key}"`);
    s = key;
  }
  if (vars) s = s.replace(/\{(\w+)\}/g, (m, k) => (vars[k] === undefined ? m : String(vars[k])));
  return s;
}

// Does the catalogue have this key (for optional texts such as error codes)?
export function has(key) { return catalogue[key] !== undefined || fallback[key] !== undefined; }

// The name in the current language, the other one when it is missing.
export function pick(zh, en) {
  return (lang === 'en' ? en || zh : zh || en) || '';
}
// The name in the other language (shown smaller), or '' when equal/missing.
export function other(zh, en) {
  const o = lang === 'en' ? zh : en;
  return o && o !== pick(zh, en) ? o : '';
}

const numFmt = new Map();
export function fmtNum(n) {
  if (n === null || n === undefined || n === '') return '';
  if (!numFmt.has(lang))
    numFmt.set(lang, new Intl.NumberFormat(lang, { maximumFractionDigits: 3 }));
  return numFmt.get(lang).format(Number(n));
}

// "1,234 顶" / "12.5 L"
export function fmtQty(n, unit) {
  return unit ? `${fmtNum(n)} ${unit}` : fmtNum(n);
}

const pad = (x) => String(x).padStart(2, '0');
// YYYY-MM-DD (a date string passes through; a time is shown in local time).
export function fmtDate(v) {
  if (!v) return '';
  if (/^\d{4}-\d{2}-\d{2}$/.test(v)) return v;
  const d = v instanceof Date ? v : new Date(v);
  if (Number.isNaN(d.getTime())) return String(v);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}
// YYYY-MM-DD HH:MM in local time.
export function fmtDateTime(v) {
  if (!v) return '';
  const d = v instanceof Date ? v : new Date(v);
  if (Number.isNaN(d.getTime())) return String(v);
  return `${fmtDate(d)} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}
