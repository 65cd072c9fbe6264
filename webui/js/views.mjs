// views.mjs -- the header, the navigation, and the pages other than scan:
// log-in, my depot's stock, and the queue of actions waiting to be sent.

import { h, clear } from './dom.mjs';
import { t, has, pick, fmtQty, fmtDateTime, getLang, setLang } from './i18n.mjs';
import { api, net, NetError, errorOf, retryable } from './api.mjs';
import { cacheGet, cachePut } from './idb.mjs';
import * as queue from './queue.mjs';
import { currentUser, login, logout } from './session.mjs';

// ---------------------------------------------------------------- shared bits

// The server's reason, in words: a known error code gets the catalogue's
// text, and the server's own message follows it.
export function errorText(e) {
  const code = (e && e.code) || 'error';
  const key = `error.${code}`;
  const base = has(key) ? t(key) : t('error.generic', { code });
  const msg = e && e.message ? String(e.message) : '';
  return msg ? `${base} (${t('error.serverSays')}: ${msg})` : base;
}

let toastTimer = null;
export function toast(text, type = 'info') {
  const el = document.getElementById('toast');
  if (!el) return;
  const sym = { sent: '✓', refused: '✖', queued: '◷', info: 'ℹ' }[type] || '';
  el.className = `toast toast-${type} show`;
  el.textContent = `${sym} ${text}`;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { el.className = 'toast'; el.textContent = ''; }, 4000);
}

// ---------------------------------------------------------------- header

export async function renderHeader(el, { onLogout } = {}) {
  const user = currentUser();
  const list = await queue.items();
  const refused = list.filter((i) => i.status === 'refused').length;
  const online = net.online;
  const langBtn = h('button', {
    type: 'button', class: 'btn btn-small', 'data-testid': 'lang-switch',
    lang: getLang() === 'en' ? 'zh-CN' : 'en',
    'aria-label': t('lang.switchTo'),
    onclick: () => setLang(getLang() === 'en' ? 'zh-CN' : 'en'),
  }, getLang() === 'en' ? t('lang.zh') : t('lang.en'));
  const netBadge = h('span', {
    class: ['badge', online ? 'badge-online' : 'badge-offline'], role: 'status', 'data-testid': 'net-badge',
    'data-state': online ? 'online' : 'offline',
  }, h('span', { 'aria-hidden': 'true' }, online ? '●' : '⚠'), ' ', t(online ? 'net.online' : 'net.offline'));
  // Shown on the log-in page too when actions wait (they go out after it).
  const qBadge = user || list.length ? h(user ? 'a' : 'span', {
    href: user ? '#/queue' : null, class: ['badge', 'badge-queue', list.length ? 'has-items' : '', refused ? 'has-refused' : ''],
    'data-testid': 'queue-badge', 'data-count': String(list.length),
  }, t('queue.badge', { n: list.length }), refused ? ` · ✖ ${refused}` : '') : null;
  clear(el).append(
    h('div', { class: 'top-row' },
      h('a', { href: '#/scan', class: 'brand' }, h('img', { src: '/icons/icon.svg', alt: '', width: 28, height: 28 }),
        h('span', {}, t('app.name'))),
      h('div', { class: 'status' }, netBadge, qBadge)),
    h('div', { class: 'top-row top-row-2' },
      user ? h('span', { class: 'who', 'data-testid': 'who' },
        h('span', { class: 'who-name' }, user.display_name || user.username),
        user.org_unit ? h('span', { class: 'who-unit' }, pick(user.org_unit.name_zh, user.org_unit.name_en)) : null)
        : h('span', {}),
      h('span', { class: 'top-buttons' }, langBtn,
        user ? h('button', { type: 'button', class: 'btn btn-small', 'data-testid': 'logout', onclick: onLogout }, t('nav.logout')) : null)));
}

export function renderNav(el, active) {
  const user = currentUser();
  clear(el);
  if (!user) { el.hidden = true; return; }
  el.hidden = false;
  const item = (name, key) => h('a', {
    href: `#/${name}`, class: ['nav-item', active === name ? 'active' : ''],
    'aria-current': active === name ? 'page' : null, 'data-testid': `nav-${name}`,
  }, t(key));
  const city = user.role === 'city_auditor' || user.role === 'admin';
  const town = (user.role === 'town_official' || user.role === 'warehouse') && user.org_unit &&
    ['town', 'subdistrict', 'park'].includes(user.org_unit.kind);
  if (city) el.append(item('city', 'nav.city'));
  if (town) el.append(item('town', 'nav.town'));
  el.append(item('scan', 'nav.scan'), item('stock', 'nav.stock'), item('queue', 'nav.queue'));
  if (city || user.role === 'town_official') el.append(item('standards', 'nav.standards'));
  el.append(item(city || user.role === 'town_official' ? 'requests' : 'dispatches', 'lg.nav.logistics'));
  el.append(item('purchase-orders', 'nav.purchaseOrders'));
  if (city || user.role === 'town_official') el.append(item('suppliers', 'nav.suppliers'));
  el.append(item('equipment', 'nav.equipment'));
  if (user.role !== 'city_auditor') el.append(item('asset', 'nav.asset'));
  if (city || user.role === 'town_official') el.append(item('plans', 'plan.nav'));
  if (city || user.role === 'town_official') el.append(item('map', 'nav.map'));
}

// ---------------------------------------------------------------- log-in

export function mountLogin(main, { onLoggedIn, notice } = {}) {
  const user = h('input', { id: 'username', name: 'username', autocomplete: 'username', required: true,
    autocapitalize: 'none', spellcheck: 'false', 'data-testid': 'login-username' });
  const pass = h('input', { id: 'password', name: 'password', type: 'password', autocomplete: 'current-password',
    required: true, 'data-testid': 'login-password' });
  const err = h('p', { class: 'field-error', role: 'alert', 'data-testid': 'login-error', hidden: true });
  const btn = h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'login-submit' }, t('login.submit'));
  const form = h('form', {
    class: 'card login', novalidate: true,
    onsubmit: async (e) => {
      e.preventDefault();
      err.hidden = true;
      if (!user.value.trim() || !pass.value) {
        err.hidden = false;
        err.textContent = t('login.missing');
        return;
      }
      btn.disabled = true;
      try {
        const r = await login(user.value.trim(), pass.value);
        if (r.ok) { onLoggedIn(r.user); return; }
        err.hidden = false;
        err.textContent = errorText(errorOf(r.r));
      } catch (ex) {
        err.hidden = false;
        err.textContent = ex instanceof NetError ? t('login.offline') : String(ex);
      } finally {
        btn.disabled = false;
      }
    },
  },
  h('h1', { class: 'page-title' }, t('login.title')),
  notice ? h('p', { class: 'notice notice-info', role: 'status', 'data-testid': 'login-notice' }, notice) : null,
  h('label', { for: 'username', class: 'field-label' }, t('login.username')), user,
  h('label', { for: 'password', class: 'field-label' }, t('login.password')), pass,
  err, btn);
  main.append(form);
  user.focus();
  return () => {};
}

// ---------------------------------------------------------------- stock

const PAGE = 50;

async function depotList() {
  try {
    const r = await api('GET', 'depots?limit=200');
    if (r.ok && r.json) {
      await cachePut('depots', r.json.items || []);
      return r.json.items || [];
    }
  } catch (e) {
    if (!(e instanceof NetError)) throw e;
  }
  const c = await cacheGet('depots');
  return c ? c.value : [];
}

export function mountStock(main, params) {
  let alive = true;
  const user = currentUser();
  const select = h('select', { id: 'depot', 'data-testid': 'depot-select' });
  const banner = h('p', { class: 'banner banner-offline', role: 'status', hidden: true, 'data-testid': 'offline-banner' });
  const err = h('p', { class: 'field-error', role: 'alert', hidden: true });
  const tbody = h('tbody', {});
  const more = h('button', { type: 'button', class: 'btn', hidden: true, 'data-testid': 'stock-more' }, t('stock.more'));
  const csv = h('a', { class: 'btn btn-small', hidden: true, 'data-testid': 'stock-csv' }, t('stock.csv'));
  const count = h('p', { class: 'muted', 'data-testid': 'stock-count' });
  const table = h('table', { class: 'stock-table' },
    h('caption', { class: 'sr-only' }, t('stock.title')),
    h('thead', {}, h('tr', {},
      h('th', { scope: 'col' }, t('field.item')), h('th', { scope: 'col' }, t('field.lot')),
      h('th', { scope: 'col' }, t('field.expiry')), h('th', { scope: 'col' }, t('field.bin')),
      h('th', { scope: 'col', class: 'num' }, t('field.onHand')))),
    tbody);
  main.append(h('section', { class: 'stock-page' },
    h('h1', { class: 'page-title' }, t('stock.title')),
    h('div', { class: 'toolbar' }, h('label', { for: 'depot', class: 'field-label' }, t('stock.depot')), select, csv),
    banner, err, count, h('div', { class: 'table-wrap' }, table), more));

  let cursor = null;
  let shown = 0;
  const addRows = (rows) => {
    for (const r of rows) {
      tbody.append(h('tr', {},
        h('td', { 'data-label': t('field.item') }, pick(r.item_name_zh, r.item_name_en),
          h('span', { class: 'sub' }, r.item_code)),
        h('td', { 'data-label': t('field.lot') }, r.lot_no),
        h('td', { 'data-label': t('field.expiry') }, r.expiry_date || '—'),
        h('td', { 'data-label': t('field.bin') }, r.bin_code),
        h('td', { 'data-label': t('field.onHand'), class: 'num' }, fmtQty(r.qty, r.unit))));
    }
    shown += rows.length;
    count.textContent = t('stock.shown', { n: shown });
  };

  const load = async (depot, append) => {
    err.hidden = true;
    const q = `stock?depot=${encodeURIComponent(depot)}&limit=${PAGE}${append && cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    let page = null;
    try {
      const r = await api('GET', q);
      if (r.ok && r.json) {
        page = r.json;
        banner.hidden = true;
        if (!append) await cachePut(`stock:${depot}`, page);
      } else if (!retryable(r.status)) {
        err.hidden = false;
        err.textContent = errorText(errorOf(r));
        return;
      }
    } catch (e) {
      if (!(e instanceof NetError)) throw e;
    }
    if (!alive) return;
    if (!page) {
      if (append) { err.hidden = false; err.textContent = t('stock.moreOffline'); return; }
      const c = await cacheGet(`stock:${depot}`);
      if (!c) { err.hidden = false; err.textContent = t('stock.noCache'); return; }
      page = { ...c.value, next_cursor: null };
      banner.hidden = false;
      banner.textContent = `⚠ ${t('scan.offlineLastKnown', { time: fmtDateTime(c.savedAt) })}`;
    }
    if (!append) { clear(tbody); shown = 0; }
    addRows(page.items || []);
    cursor = page.next_cursor;
    more.hidden = !cursor;
  };

  more.addEventListener('click', () => load(select.value, true));
  select.addEventListener('change', () => {
    try { localStorage.setItem('rs.depot', select.value); } catch { /* private mode */ }
    csv.href = `/api/v1/stock?depot=${encodeURIComponent(select.value)}&format=csv`;
    cursor = null;
    load(select.value, false);
  });

  (async () => {
    const depots = await depotList();
    if (!alive) return;
    if (!depots.length) { err.hidden = false; err.textContent = t('stock.noDepots'); return; }
    let want = params && params[0] ? decodeURIComponent(params[0]) : null;
    if (!want) { try { want = localStorage.getItem('rs.depot'); } catch { want = null; } }
    const mine = depots.find((d) => user && user.org_unit && d.org_unit_id === user.org_unit.id && d.kind === 'town');
    const chosen = depots.find((d) => d.code === want || String(d.id) === want) || mine || depots[0];
    for (const d of depots) {
      select.append(h('option', { value: d.code, selected: d === chosen }, `${pick(d.name_zh, d.name_en)} (${d.code})`));
    }
    csv.hidden = false;
    csv.href = `/api/v1/stock?depot=${encodeURIComponent(chosen.code)}&format=csv`;
    load(chosen.code, false);
  })();
  return () => { alive = false; };
}

// ---------------------------------------------------------------- queue

const STATUS_SYM = { queued: '◷', sending: '↻', refused: '✖' };

function describe(i) {
  const m = i.meta || {};
  const what = t(`action.${m.kind || 'unknown'}`);
  const qty = m.qty !== undefined ? fmtQty(m.qty, m.unit) : '';
  const place = m.kind === 'move' ? `${m.bin_code || ''} → ${m.to_bin_code || ''}` : (m.bin_code || '');
  return { title: `${what} ${qty}`.trim(), name: pick(m.item_name_zh, m.item_name_en), lot: m.lot_no, place };
}

export function mountQueue(main) {
  const list = h('ol', { class: 'queue-list', 'data-testid': 'queue-list' });
  const summary = h('p', { class: 'queue-summary', 'data-testid': 'queue-summary', role: 'status' });
  const sendBtn = h('button', { type: 'button', class: 'btn btn-primary', 'data-testid': 'queue-send',
    onclick: () => queue.flush() }, t('queue.sendNow'));
  main.append(h('section', { class: 'queue-page' },
    h('h1', { class: 'page-title' }, t('queue.title')),
    h('p', { class: 'muted' }, t('queue.explain')),
    h('div', { class: 'toolbar' }, summary, sendBtn), list));

  const render = async () => {
    const items = await queue.items();
    const user = currentUser();
    clear(list);
    summary.textContent = items.length ? t('queue.count', { n: items.length }) : t('queue.empty');
    sendBtn.disabled = !items.some((i) => i.status === 'queued');
    for (const i of items) {
      const d = describe(i);
      const other = user && i.user && i.user !== user.username;
      const status = other ? 'other' : i.status;
      const li = h('li', { class: ['queue-item', `status-${status}`], 'data-testid': 'queue-item', 'data-status': i.status },
        h('div', { class: 'q-main' },
          h('p', { class: 'q-title' }, d.title, ' — ', d.name),
          h('p', { class: 'q-sub' }, `${t('field.lot')} ${d.lot || '—'} · ${t('field.bin')} ${d.place}`),
          h('p', { class: 'q-sub' }, `${t('queue.created')} ${fmtDateTime(i.createdAt)}`)),
        h('p', { class: 'q-status' },
          h('span', { 'aria-hidden': 'true' }, other ? '◷' : STATUS_SYM[i.status] || ''), ' ',
          other ? t('queue.otherUser', { user: i.user }) : t(`queue.status.${i.status}`)));
      if (i.status === 'refused') {
        li.append(h('p', { class: 'q-reason', 'data-testid': 'queue-reason' }, errorText(i.error || {})),
          h('div', { class: 'form-buttons' },
            h('button', { type: 'button', class: 'btn', 'data-testid': 'queue-retry', onclick: () => queue.retry(i.id) }, t('queue.retry')),
            h('button', { type: 'button', class: 'btn', 'data-testid': 'queue-discard', onclick: () => queue.discard(i.id) }, t('queue.discard'))));
      }
      list.append(li);
    }
  };
  queue.queueEvents.addEventListener('change', render);
  net.addEventListener('change', render);
  render();
  return () => {
    queue.queueEvents.removeEventListener('change', render);
    net.removeEventListener('change', render);
  };
}

export async function doLogout() {
  const n = (await queue.items()).length;
  if (n && !window.confirm(t('queue.logoutWarning', { n }))) return false;
  queue.stopQueue();
  await logout();
  return true;
}
