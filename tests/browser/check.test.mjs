// The pre-season check and the standards in a real browser (Debian's
// chromium, headless): a town official opens the check of a far-future
// season (2031, so re-runs on the same database find it and go on), answers
// every item through the page, signs; the city auditor returns it with a
// comment; the official signs again; the auditor accepts it.  An admin
// changes one quantity of the town_reserve standard (a new version) and
// puts it back (a further version), so readiness figures stay as they were.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { requireBrowser, launch, useServer, loginThroughForm, textOf, until, watch } from './lib/browser.mjs';
import { join } from 'node:path';
import { expectStatus } from '../api/lib/harness.mjs';

// RELIEF_SCREENSHOT_DIR=/tmp keeps screenshots of the pages (not compared).
const SHOTS = process.env.RELIEF_SCREENSHOT_DIR || '';
async function shot(page, name) {
  if (SHOTS) await page.screenshot({ path: join(SHOTS, `check-${name}.png`), fullPage: false });
}

const pw = await requireBrowser();
const h = useServer();
const YEAR = 2031;
let B;
let auditor;
let town; // a town whose 2031 check is absent, open or returned
before(async () => {
  B = await launch(pw);
  auditor = await h.login('city-auditor');
  const r = await auditor.get('/readiness/city');
  expectStatus(r, 200);
  const c = await auditor.get(`/checks?season=${YEAR}`);
  expectStatus(c, 200);
  const done = new Set((c.json.items || []).filter((x) => x.status === 'signed' || x.status === 'accepted')
    .map((x) => x.org_unit_code));
  const row = (r.json.items || []).find((x) => !done.has(x.code));
  assert.ok(row, 'a town whose check can still be answered');
  town = row.code;
});
after(async () => { if (B) await B.close(); });

async function open() {
  const context = await B.browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  const page = await context.newPage();
  const log = watch(page);
  return { context, page, log };
}


// The town page for season YEAR, with its check panel.
async function townSeason(page) {
  await page.goto(`${h.base}/#/town/${town}`);
  await page.getByTestId('town-name').waitFor();
  await page.getByTestId('season').fill(String(YEAR));
  await page.getByTestId('season').dispatchEvent('change');
  await page.locator(`[data-testid="check-panel"][data-season="${YEAR}"]`).waitFor();
}

const panelStatus = (page) => page.getByTestId('check-panel').getAttribute('data-status');

async function waitStatus(page, status) {
  await until(async () => (await page.locator(`[data-testid="check-status"][data-status="${status}"]`).count()) === 1,
    { what: `check status ${status}` });
}

async function checkOf(client) {
  const l = await client.get(`/checks?season=${YEAR}`);
  expectStatus(l, 200);
  const row = l.json.items.find((x) => x.org_unit_code === town);
  assert.ok(row, 'the check is in the list');
  const r = await client.get(`/checks/${row.id}`);
  expectStatus(r, 200);
  return r.json;
}

test('pre-season check: open, answer, sign, return, sign again, accept', async () => {
  const off = await open();
  const aud = await open();
  try {
    const p = off.page;
    await loginThroughForm(p, h.base, `town-${town}`, { landing: 'town-name' });
    await townSeason(p);
    // Open it (or find the one a previous run opened).
    await until(async () => (await p.getByTestId('check-open').count()) || (await p.getByTestId('check-items').count()),
      { what: 'the check or its open button' });
    if (await p.getByTestId('check-open').count()) await p.getByTestId('check-open').click();
    await p.getByTestId('check-items').waitFor();
    assert.ok(['open', 'returned'].includes(await panelStatus(p)), 'open or returned');

    const items = p.getByTestId('check-item');
    const n = await items.count();
    assert.ok(n > 0, 'the check has items');
    const unanswered = () => p.locator('[data-testid="check-item"][data-answer=""]').count();

    // Signing with items unanswered shows the server's reason.
    if (await unanswered()) {
      await p.getByTestId('check-sign').click();
      await p.getByTestId('check-error').waitFor({ state: 'visible' });
      assert.ok((await p.getByTestId('check-error').textContent()).trim().length > 0);
    }

    // One item by hand: "no" with a comment.
    const first = items.first();
    const firstId = await first.getAttribute('data-item-id');
    await first.getByTestId('check-comment').fill('browser test comment');
    await first.getByTestId('check-answer-no').click();
    await until(async () => (await first.getAttribute('data-answer')) === 'no', { what: 'first item answered no' });

    // The rest at once, after the confirmation.
    if (await unanswered()) {
      await p.getByTestId('check-all-yes').click();
      await p.getByTestId('check-all-cancel').click();
      assert.equal(await p.getByTestId('check-all-confirm').isVisible(), false);
      await p.getByTestId('check-all-yes').click();
      await p.getByTestId('check-all-confirm').click();
      await until(async () => (await unanswered()) === 0, { what: 'every item answered', timeoutMs: 60000 });
    }
    const c1 = await checkOf(auditor);
    assert.equal(c1.items_answered ?? c1.items.filter((i) => i.answer).length, c1.items.length, 'all answered on the server');
    const it1 = c1.items.find((i) => String(i.id) === firstId);
    assert.equal(it1.answer, 'no');
    assert.equal(it1.comment, 'browser test comment');

    await p.getByTestId('check-refresh').click();
    await p.getByTestId('check-items').waitFor();
    await p.getByTestId('check-sign').click();
    await waitStatus(p, 'signed');
    await p.getByTestId('check-panel').scrollIntoViewIfNeeded();
    await shot(p, 'signed');
    assert.equal(await p.getByTestId('check-sign').count(), 0, 'no sign button once signed');
    assert.match(await p.getByTestId('check-report').getAttribute('href'), /\/api\/v1\/checks\/\d+\/report\.pdf$/);

    // The city auditor returns it with a comment (not without one).
    const a = aud.page;
    await loginThroughForm(a, h.base, 'city-auditor', { landing: 'city-table', route: '#/city' });
    await townSeason(a);
    await waitStatus(a, 'signed');
    await a.getByTestId('check-return').click();
    await a.getByTestId('check-error').waitFor({ state: 'visible' });
    await a.getByTestId('check-review-text').fill('please recount the tents');
    await a.getByTestId('check-return').click();
    await waitStatus(a, 'returned');
    await a.getByTestId('check-panel').scrollIntoViewIfNeeded();
    await shot(a, 'returned');
    await textOf(a, 'check-review-comment', 'please recount the tents');

    // The official sees it returned and signs again.
    await townSeason(p);
    await waitStatus(p, 'returned');
    await textOf(p, 'check-review-comment', 'please recount the tents');
    await p.getByTestId('check-sign').click();
    await waitStatus(p, 'signed');

    // The auditor accepts it.
    await townSeason(a);
    await waitStatus(a, 'signed');
    await a.getByTestId('check-accept').click();
    await waitStatus(a, 'accepted');
    const c2 = await checkOf(auditor);
    assert.equal(c2.status, 'accepted');
    assert.ok(c2.sign_count === undefined || c2.sign_count >= 2, 'signed twice');
    assert.deepEqual(off.log.filter((x) => x.startsWith('pageerror')), []);
    assert.deepEqual(aud.log.filter((x) => x.startsWith('pageerror')), []);
  } finally {
    await off.context.close();
    await aud.context.close();
  }
});

test('standards: an admin saves a new version, others see them read-only', async () => {
  const admin = await h.login('admin');
  const before0 = await admin.get('/standards/town_reserve');
  expectStatus(before0, 200);
  const v0 = before0.json.version;
  const { context, page, log } = await open();
  try {
    await loginThroughForm(page, h.base, 'admin', { landing: 'nav-standards' });
    await page.getByTestId('nav-standards').click();
    await page.locator('[data-testid="std-row"][data-code="town_reserve"]').waitFor();
    assert.equal(await page.locator('[data-testid="std-row"][data-code="town_reserve"]').getAttribute('data-version'), String(v0));
    await page.locator('[data-testid="std-row"][data-code="town_reserve"] [data-testid="std-link"]').click();
    const qty = page.getByTestId('std-qty').first();
    await qty.waitFor();
    const item = await qty.getAttribute('data-item');
    const q0 = Number(await qty.inputValue());
    await shot(page, 'standard');
    const line0 = before0.json.lines.find((l) => l.item_code === item);
    assert.equal(Number(line0.qty), q0);

    // A tiny change: one more.
    await qty.fill(String(q0 + 1));
    await qty.dispatchEvent('change');
    await page.getByTestId('std-reason').fill('browser test');
    await page.getByTestId('std-save').click();
    await until(async () => ((await page.getByTestId('std-detail-version').textContent()) || '').includes(String(v0 + 1)),
      { what: `version ${v0 + 1} shown` });
    const after1 = await admin.get('/standards/town_reserve');
    expectStatus(after1, 200);
    assert.equal(after1.json.version, v0 + 1);
    assert.equal(Number(after1.json.lines.find((l) => l.item_code === item).qty), q0 + 1);
    assert.equal(after1.json.lines.length, before0.json.lines.length, 'the other lines kept');

    // Back to the old quantity, as a further version.
    const qty2 = page.locator(`[data-testid="std-qty"][data-item="${item}"]`);
    await until(async () => Number(await qty2.inputValue()) === q0 + 1, { what: 'the new version in the page' });
    await qty2.fill(String(q0));
    await qty2.dispatchEvent('change');
    await page.getByTestId('std-save').click();
    await until(async () => ((await page.getByTestId('std-detail-version').textContent()) || '').includes(String(v0 + 2)),
      { what: `version ${v0 + 2} shown` });
    const after2 = await admin.get('/standards/town_reserve');
    assert.equal(after2.json.version, v0 + 2);
    assert.equal(Number(after2.json.lines.find((l) => l.item_code === item).qty), q0);
    assert.deepEqual(log.filter((x) => x.startsWith('pageerror')), []);
  } finally {
    await context.close();
  }

  // The city auditor: read-only.
  const ro = await open();
  try {
    await loginThroughForm(ro.page, h.base, 'city-auditor', { landing: 'city-table', route: '#/city' });
    await ro.page.goto(`${h.base}/#/standards/town_reserve`);
    await ro.page.getByTestId('std-readonly').waitFor();
    assert.equal(await ro.page.getByTestId('std-qty').count(), 0);
    assert.equal(await ro.page.getByTestId('std-save').count(), 0);
    assert.ok((await ro.page.getByTestId('std-line').count()) > 0);
  } finally {
    await ro.context.close();
  }
});
