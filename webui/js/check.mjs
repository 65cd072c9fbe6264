// check.mjs -- the pre-season check on the town page (docs/api.md, "The
// pre-season check"): a town official opens the check for the season,
// answers every item (yes / no / n.a. and a comment), refreshes the computed
// part and signs it; the city auditor accepts a signed check or returns it
// with a comment.  The report PDF is linked (a draft until signed).
//
// These are desktop actions: they are sent at once (not through the offline
// queue), each with an Idempotency-Key of its own, so a repeat after a lost
// answer is not applied twice.

import { h, clear, append } from './dom.mjs';
import { t, pick, fmtNum, fmtDateTime } from './i18n.mjs';
import { call } from './api.mjs';
import { currentUser } from './session.mjs';
import { errorText, toast } from './views.mjs';

const add = (el, ...children) => append(el, children);
const SYM = { yes: '✔', no: '✖', na: '–' };


const errText = (r) => (r.status === 0 ? t('ready.offline') : errorText(r.error));

function statusOf(status) {
  return h('strong', { class: ['chk-status', `chk-${status}`], 'data-testid': 'check-status', 'data-status': status },
    t(`check.status.${status}`));
}

// The panel: `code` the town, `season` the readiness answer's season.
export function checkPanel(code, season, host) {
  const year = season && season.year;
  if (!year) return;
  const user = currentUser() || {};
  const role = user.role;
  const ownTown = user.org_unit && user.org_unit.code === code;
  const box = h('div', { class: 'check-body' });
  const msg = h('p', { class: 'field-error', role: 'alert', 'data-testid': 'check-error', hidden: true });
  const panel = h('section', { class: 'card rsection check-panel', 'data-testid': 'check-panel', 'data-season': String(year) },
    h('h2', { class: 'rsection-title' }, t('check.titleYear', { year })), msg, box);

  const showError = (text) => { msg.hidden = !text; msg.textContent = text || ''; };

  async function start() {
    const r = await call('GET', `checks?season=${year}`);
    if (!host.isConnected) return;
    if (!r.ok) {
      if ([404, 405, 501].includes(r.status)) return; // no checks API on this server
      add(host, panel);
      showError(errText(r));
      return;
    }
    add(host, panel);
    const mine = ((r.json && r.json.items) || []).find((c) => c.org_unit_code === code);
    if (mine) { await loadCheck(mine.id); return; }
    const canOpen = (role === 'town_official' && ownTown) || role === 'admin';
    add(clear(box), h('p', { class: 'muted', 'data-testid': 'check-none' }, t('check.none')),
      canOpen ? h('button', { type: 'button', class: 'btn btn-primary no-print', 'data-testid': 'check-open',
        onclick: async (e) => {
          const btn = e.currentTarget;
          btn.disabled = true;
          showError('');
          const o = await call('POST', 'checks', { org_unit: code, season: year });
          if (!o.ok) { btn.disabled = false; showError(errText(o)); return; }
          render(o.json);
        } }, t('check.open')) : null);
  }

  async function loadCheck(id) {
    add(clear(box), h('p', { class: 'muted', role: 'status' }, t('ready.loading')));
    const r = await call('GET', `checks/${id}`);
    if (!r.ok) { clear(box); showError(errText(r)); return; }
    render(r.json);
  }

  function render(c) {
    const editable = c.status === 'open' || c.status === 'returned';
    const canAnswer = editable && (role === 'town_official' || role === 'warehouse');
    const canRefresh = editable && ['town_official', 'warehouse', 'admin'].includes(role);
    const canSign = editable && role === 'town_official' && ownTown;
    const canReview = c.status === 'signed' && (role === 'city_auditor' || role === 'admin');
    const items = c.items || [];
    const answered = () => items.filter((i) => i.answer).length;
    const progress = h('span', { 'data-testid': 'check-progress' });
    const setProgress = () => {
      progress.textContent = t('check.answered', { n: fmtNum(answered()), total: fmtNum(items.length) });
    };
    setProgress();
    panel.dataset.id = String(c.id);
    panel.dataset.status = c.status;

    const who = [];
    if (c.signed_at) who.push(h('li', {}, t('check.signed', { who: c.signed_by_name || '', at: fmtDateTime(c.signed_at) })));
    if (c.reviewed_at) {
      who.push(h('li', { 'data-testid': 'check-review' },
        t('check.reviewed', { who: c.reviewed_by_name || '', at: fmtDateTime(c.reviewed_at) }),
        c.review_comment ? [' — ', h('q', { 'data-testid': 'check-review-comment' }, c.review_comment)] : null));
    }

    // One item: its label, the three answers, a comment.
    const row = (it) => {
      const comment = h('input', { type: 'text', class: 'chk-comment', value: it.comment || '', maxlength: 500,
        'aria-label': t('check.comment'), placeholder: t('check.comment'), disabled: !canAnswer,
        'data-testid': 'check-comment' });
      const li = h('li', { class: 'chk-item', 'data-testid': 'check-item', 'data-item-id': String(it.id),
        'data-answer': it.answer || '' });
      const buttons = ['yes', 'no', 'na'].map((a) => h('button', {
        type: 'button', class: ['btn', 'btn-small', 'chk-answer', it.answer === a ? 'active' : ''],
        'aria-pressed': it.answer === a ? 'true' : 'false', disabled: !canAnswer, 'data-testid': `check-answer-${a}`,
        onclick: () => answer(it, a, comment.value, li),
      }, h('span', { 'aria-hidden': 'true' }, SYM[a]), ' ', t(`check.answer.${a}`)));
      comment.addEventListener('change', () => { if (it.answer) answer(it, it.answer, comment.value, li); });
      const where = it.village_code ? t('check.village', { code: it.village_code }) : t('check.manual');
      add(li, h('div', { class: 'chk-label' }, h('strong', {}, pick(it.label_zh, it.label_en)),
        h('span', { class: 'sub' }, where, it.answered_by_name ? ` · ${it.answered_by_name}` : '')),
      h('div', { class: 'chk-buttons' }, buttons), comment);
      return li;
    };

    async function answer(it, a, comment, li) {
      showError('');
      const body = { answer: a };
      if (comment && comment.trim()) body.comment = comment.trim();
      const r = await call('PUT', `checks/${c.id}/items/${it.id}`, body);
      if (!r.ok) { showError(errText(r)); return false; }
      Object.assign(it, r.json || { answer: a });
      it.answer = (r.json && r.json.answer) || a;
      if (li) {
        li.dataset.answer = it.answer;
        for (const b of li.querySelectorAll('.chk-answer')) {
          const on = b.dataset.testid === `check-answer-${it.answer}`;
          b.classList.toggle('active', on);
          b.setAttribute('aria-pressed', on ? 'true' : 'false');
        }
      }
      setProgress();
      return true;
    }

    const list = h('ol', { class: 'chk-list', 'data-testid': 'check-items' }, items.map(row));

    // "Answer all remaining: yes", after a confirmation in the page.
    const allBox = h('div', { class: 'chk-confirm', hidden: true, 'data-testid': 'check-all-confirm-box' });
    const allBtn = canAnswer ? h('button', { type: 'button', class: 'btn btn-small', 'data-testid': 'check-all-yes',
      onclick: () => {
        const left = items.filter((i) => !i.answer).length;
        add(clear(allBox), h('p', {}, t('check.allYesConfirm', { n: fmtNum(left) })),
          h('button', { type: 'button', class: 'btn btn-small btn-primary', 'data-testid': 'check-all-confirm', onclick: allYes }, t('check.confirm')),
          ' ',
          h('button', { type: 'button', class: 'btn btn-small', 'data-testid': 'check-all-cancel', onclick: () => { allBox.hidden = true; } }, t('check.cancel')));
        allBox.hidden = false;
      } }, t('check.allYes')) : null;

    async function allYes() {
      allBox.hidden = true;
      if (allBtn) allBtn.disabled = true;
      const lis = new Map([...list.children].map((li) => [li.dataset.itemId, li]));
      const todo = items.filter((i) => !i.answer);
      let failed = false;
      // A few at a time: a town may have a few hundred village items.
      const next = async () => {
        while (todo.length && !failed) {
          const it = todo.shift();
          const li = lis.get(String(it.id));
          const input = li && li.querySelector('.chk-comment');
          if (!(await answer(it, 'yes', input ? input.value : '', li))) failed = true;
        }
      };
      await Promise.all([next(), next(), next(), next()]);
      if (allBtn) allBtn.disabled = false;
    }

    const actions = h('div', { class: 'chk-actions no-print' },
      canRefresh ? h('button', { type: 'button', class: 'btn btn-small', 'data-testid': 'check-refresh',
        onclick: async (e) => {
          const btn = e.currentTarget;
          btn.disabled = true;
          showError('');
          const r = await call('POST', `checks/${c.id}/refresh`);
          if (!r.ok) { btn.disabled = false; showError(errText(r)); return; }
          toast(t('check.refreshed'), 'sent');
          render(r.json);
        } }, t('check.refresh')) : null,
      canSign ? h('button', { type: 'button', class: 'btn btn-small btn-primary', 'data-testid': 'check-sign',
        onclick: async (e) => {
          const btn = e.currentTarget;
          btn.disabled = true;
          showError('');
          const r = await call('POST', `checks/${c.id}/sign`);
          if (!r.ok) { btn.disabled = false; showError(errText(r)); return; }
          toast(t('check.signedToast'), 'sent');
          render(r.json);
        } }, t('check.sign')) : null,
      h('a', { class: 'btn btn-small', href: `/api/v1/checks/${c.id}/report.pdf`, download: '', 'data-testid': 'check-report' },
        t(c.status === 'open' || c.status === 'returned' ? 'check.reportDraft' : 'check.report')));

    let review = null;
    if (canReview) {
      const text = h('textarea', { id: `chk-review-${c.id}`, rows: 2, maxlength: 1000, 'data-testid': 'check-review-text' });
      const decide = (what) => async (e) => {
        showError('');
        const btn = e.currentTarget;
        if (what === 'return' && !text.value.trim()) { showError(t('check.commentNeeded')); text.focus(); return; }
        btn.disabled = true;
        const body = text.value.trim() ? { comment: text.value.trim() } : {};
        const r = await call('POST', `checks/${c.id}/${what}`, body);
        if (!r.ok) { btn.disabled = false; showError(errText(r)); return; }
        toast(t(`check.${what}Toast`), 'sent');
        render(r.json);
      };
      review = h('div', { class: 'chk-review no-print' },
        h('label', { for: `chk-review-${c.id}`, class: 'field-label' }, t('check.reviewComment')), text,
        h('div', { class: 'chk-actions' },
          h('button', { type: 'button', class: 'btn btn-small btn-primary', 'data-testid': 'check-accept', onclick: decide('accept') }, t('check.accept')),
          h('button', { type: 'button', class: 'btn btn-small', 'data-testid': 'check-return', onclick: decide('return') }, t('check.return'))));
    }

    add(clear(box),
      h('p', { class: 'chk-head' }, statusOf(c.status), ' · ', progress,
        c.standard_version ? h('span', { class: 'sub' }, t('check.standardVersion', { version: c.standard_version })) : null,
        c.computed_at ? h('span', { class: 'sub' }, t('check.computedAt', { at: fmtDateTime(c.computed_at) })) : null),
      who.length ? h('ul', { class: 'short-list' }, who) : null,
      actions, review,
      allBtn ? h('div', { class: 'chk-actions no-print' }, allBtn) : null, allBox,
      // Long (every village's ten haves): folded for those who only read it.
      h('details', { class: 'chk-details', open: canAnswer }, h('summary', {}, t('check.items', { n: fmtNum(items.length) })), list));
  }

  start();
}
