// standards.mjs -- the standards (#/standards) and one version with its
// lines (#/standards/<id or code>).  An admin edits the quantities, removes
// a line or adds one by item code, and saves the whole set as a new version
// (POST /standards/{code}/versions, with base_version so a version made in
// the meantime is not overwritten).  Everyone else sees them read-only.

import { h, clear, append } from './dom.mjs';
import { t, pick, other, fmtNum, fmtDateTime } from './i18n.mjs';
import { call } from './api.mjs';
import { currentUser } from './session.mjs';
import { go } from './router.mjs';
import { errorText, toast } from './views.mjs';

const add = (el, ...children) => append(el, children);
const BASES = {
  town_reserve: ['per_500_persons', 'per_person', 'fixed'],
  team_equipment: ['per_person', 'per_team', 'fixed'],
  village_ten_haves: ['check'],
};

const errText = (r) => (r.status === 0 ? t('ready.offline') : errorText(r.error));
const errorBox = (r) => h('p', { class: 'field-error', role: 'alert', 'data-testid': 'std-error' }, errText(r));
const loading = () => h('p', { class: 'muted', role: 'status' }, t('ready.loading'));
const isAdmin = () => { const u = currentUser(); return !!u && u.role === 'admin'; };

export function mountStandards(main, routeParams) {
  const ref = routeParams && routeParams[0] ? decodeURIComponent(routeParams[0]) : '';
  return ref ? mountOne(main, ref) : mountList(main);
}

function mountList(main) {
  let alive = true;
  const body = h('div', {}, loading());
  add(main, h('section', { class: 'ready-page standards-page' }, h('h1', { class: 'page-title' }, t('std.title')), body));
  (async () => {
    const rows = [];
    let cursor = null;
    do {
      const r = await call('GET', `standards?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      if (!alive) return;
      if (!r.ok) { add(clear(body), errorBox(r)); return; }
      rows.push(...(r.json.items || []));
      cursor = r.json.next_cursor;
    } while (cursor);
    add(clear(body), rows.length ? h('div', { class: 'table-wrap' }, h('table', { class: 'data-table', 'data-testid': 'std-table' },
      h('caption', { class: 'sr-only' }, t('std.title')),
      h('thead', {}, h('tr', {}, [t('std.name'), t('std.kind'), t('std.version'), t('std.lines'), t('std.createdAt')]
        .map((x, i) => h('th', { scope: 'col', class: i === 2 || i === 3 ? 'num' : null }, x)))),
      h('tbody', {}, rows.map((s) => h('tr', { 'data-testid': 'std-row', 'data-code': s.code, 'data-version': String(s.version) },
        h('td', { 'data-label': t('std.name') }, h('a', { href: `#/standards/${s.id}`, 'data-testid': 'std-link' }, pick(s.name_zh, s.name_en)),
          h('span', { class: 'sub' }, s.code)),
        h('td', { 'data-label': t('std.kind') }, t(`std.kindName.${s.kind}`)),
        h('td', { 'data-label': t('std.version'), class: 'num', 'data-testid': 'std-version' }, fmtNum(s.version)),
        h('td', { 'data-label': t('std.lines'), class: 'num' }, fmtNum(s.line_count)),
        h('td', { 'data-label': t('std.createdAt') }, fmtDateTime(s.created_at)))))))
      : h('p', { class: 'muted' }, t('ready.none')));
  })();
  return () => { alive = false; };
}

// The body of a new version from the (edited) lines.
function lineInput(l) {
  const o = { basis: l.basis };
  if (l.check_code) o.check_code = l.check_code; else o.item_id = l.item_id;
  if (l.qty !== null && l.qty !== undefined && l.qty !== '') o.qty = Number(l.qty);
  if (l.min_shelf_months !== null && l.min_shelf_months !== undefined) o.min_shelf_months = l.min_shelf_months;
  if (l.note) o.note = l.note;
  if (l.source) o.source = l.source;
  o.substitutes = (l.substitutes || []).map((s) => {
    const x = { item_id: s.item_id, ratio: Number(s.ratio) };
    if (s.note) x.note = s.note;
    return x;
  });
  return o;
}

function mountOne(main, ref) {
  let alive = true;
  const page = h('section', { class: 'ready-page standard-page' }, loading());
  add(main, page);
  (async () => {
    const r = await call('GET', `standards/${encodeURIComponent(ref)}`);
    if (!alive) return;
    clear(page);
    const back = h('a', { href: '#/standards', class: 'back no-print', 'data-testid': 'back-standards' }, `← ${t('std.title')}`);
    if (!r.ok) { add(page, back, errorBox(r)); return; }
    render(r.json, back);
  })();

  function render(s, back) {
    const edit = isAdmin() && s.is_latest;
    const lines = (s.lines || []).map((l) => ({ ...l }));
    const msg = h('p', { class: 'field-error', role: 'alert', hidden: true, 'data-testid': 'std-error' });
    const showError = (text) => { msg.hidden = !text; msg.textContent = text || ''; };
    const tbody = h('tbody', {});
    const bases = BASES[s.kind] || ['fixed'];

    const drawRows = () => {
      add(clear(tbody), lines.map((l, i) => {
        const qty = edit && !l.check_code
          ? h('input', { type: 'number', min: 0, step: 'any', inputmode: 'decimal', class: 'std-qty', value: String(l.qty ?? ''),
            'aria-label': t('std.qtyOf', { item: l.item_code }), 'data-testid': 'std-qty', 'data-item': l.item_code,
            onchange: (e) => { l.qty = e.currentTarget.value; } })
          : fmtNum(l.qty);
        return h('tr', { 'data-testid': 'std-line', 'data-item': l.item_code || l.check_code || '' },
          h('td', { 'data-label': t('field.item') },
            h('span', { class: 'iname' }, l.check_code ? pick(l.check_name_zh, l.check_name_en) : pick(l.item_name_zh, l.item_name_en)),
            h('span', { class: 'sub' }, l.check_code || l.item_code,
              other(l.item_name_zh, l.item_name_en) ? ` · ${other(l.item_name_zh, l.item_name_en)}` : '')),
          h('td', { 'data-label': t('std.basis') }, t(`std.basisName.${l.basis}`)),
          h('td', { 'data-label': t('std.qty'), class: 'num' }, qty, l.unit ? h('span', { class: 'sub' }, l.unit) : null),
          h('td', { 'data-label': t('std.minShelf'), class: 'num' }, l.min_shelf_months === null || l.min_shelf_months === undefined ? '—' : fmtNum(l.min_shelf_months)),
          h('td', { 'data-label': t('std.substitutes') }, (l.substitutes || []).length
            ? (l.substitutes || []).map((x) => h('span', { class: 'sub' }, t('std.substitute', { item: x.item_code, ratio: fmtNum(x.ratio) })))
            : '—'),
          edit ? h('td', { class: 'no-print' }, h('button', { type: 'button', class: 'btn btn-small', 'data-testid': 'std-remove',
            onclick: () => { lines.splice(i, 1); drawRows(); } }, t('std.remove'))) : null);
      }));
    };
    drawRows();

    let editor = null;
    if (edit) {
      const code = h('input', { id: 'std-add-code', type: 'text', autocapitalize: 'none', spellcheck: 'false', 'data-testid': 'std-add-code' });
      const basis = h('select', { id: 'std-add-basis', 'data-testid': 'std-add-basis' },
        bases.map((b) => h('option', { value: b }, t(`std.basisName.${b}`))));
      const qty = h('input', { id: 'std-add-qty', type: 'number', min: 0, step: 'any', inputmode: 'decimal', 'data-testid': 'std-add-qty' });
      const reason = h('input', { id: 'std-reason', type: 'text', maxlength: 500, 'data-testid': 'std-reason' });
      const addLine = async () => {
        showError('');
        const c = code.value.trim();
        if (!c) { code.focus(); return; }
        if (lines.some((l) => l.item_code === c)) { showError(t('std.already', { item: c })); return; }
        const r = await call('GET', `items?q=${encodeURIComponent(c)}&limit=100`);
        if (!r.ok) { showError(errText(r)); return; }
        const it = (r.json.items || []).find((x) => x.code === c);
        if (!it) { showError(t('std.noItem', { item: c })); return; }
        lines.push({ item_id: it.id, item_code: it.code, item_name_zh: it.name_zh, item_name_en: it.name_en,
          unit: it.unit || it.base_unit || null, basis: basis.value, qty: qty.value || 0, substitutes: [] });
        code.value = ''; qty.value = '';
        drawRows();
      };
      const save = h('button', { type: 'button', class: 'btn btn-primary', 'data-testid': 'std-save',
        onclick: async () => {
          showError('');
          save.disabled = true;
          const body = { base_version: s.version, lines: lines.map(lineInput) };
          if (reason.value.trim()) body.reason = reason.value.trim();
          const r = await call('POST', `standards/${encodeURIComponent(s.code)}/versions`, body);
          save.disabled = false;
          if (!r.ok) { showError(errText(r)); return; }
          toast(t('std.saved', { version: r.json.version }), 'sent');
          go('standards', String(r.json.id));
        } }, t('std.save'));
      editor = h('div', { class: 'card std-editor no-print' },
        h('h2', { class: 'rsection-title' }, t('std.addLine')),
        h('div', { class: 'filter' },
          h('span', { class: 'filter-field' }, h('label', { for: 'std-add-code', class: 'field-label' }, t('std.itemCode')), code),
          h('span', { class: 'filter-field' }, h('label', { for: 'std-add-basis', class: 'field-label' }, t('std.basis')), basis),
          h('span', { class: 'filter-field' }, h('label', { for: 'std-add-qty', class: 'field-label' }, t('std.qty')), qty),
          h('button', { type: 'button', class: 'btn btn-small', 'data-testid': 'std-add', onclick: addLine }, t('std.add'))),
        h('label', { for: 'std-reason', class: 'field-label' }, t('std.reason')), reason,
        h('p', { class: 'muted' }, t('std.saveNote', { version: s.latest_version + 1 })), save);
    }

    const fact = (k, v, id) => [h('dt', {}, k), h('dd', { 'data-testid': id }, v)];
    add(page, back,
      h('h1', { class: 'page-title', 'data-testid': 'std-name' }, pick(s.name_zh, s.name_en)),
      h('dl', { class: 'rfacts' },
        fact(t('std.code'), s.code, 'std-code'),
        fact(t('std.version'), t('std.versionOf', { version: s.version, latest: s.latest_version }), 'std-detail-version'),
        fact(t('std.kind'), t(`std.kindName.${s.kind}`), 'std-kind'),
        fact(t('std.createdAt'), fmtDateTime(s.created_at), 'std-created'),
        s.change_note ? fact(t('std.reason'), s.change_note, 'std-note') : null,
        s.source ? fact(t('std.source'), s.source, 'std-source') : null),
      !isAdmin() ? h('p', { class: 'muted', 'data-testid': 'std-readonly' }, t('std.readOnly'))
        : !s.is_latest ? h('p', { class: 'muted' }, h('a', { href: `#/standards/${encodeURIComponent(s.code)}` }, t('std.toLatest'))) : null,
      msg,
      h('div', { class: 'table-wrap' }, h('table', { class: 'data-table', 'data-testid': 'std-lines' },
        h('caption', { class: 'sr-only' }, t('std.lines')),
        h('thead', {}, h('tr', {}, [t('field.item'), t('std.basis'), t('std.qty'), t('std.minShelf'), t('std.substitutes')]
          .map((x) => h('th', { scope: 'col' }, x)), edit ? h('th', { scope: 'col', class: 'no-print' }, t('std.remove')) : null)),
        tbody)),
      editor);
  }
  return () => { alive = false; };
}
