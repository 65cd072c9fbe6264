// xss.test.mjs -- a user-supplied string that is markup stays text in the
// web UI, and the page runs under reliefd's Content-Security-Policy without
// a single violation (docs/security.md).
//
// A warehouse user receives a lot whose lot number and supplier are
// `<img src=x onerror=...>` payloads (any warehouse user can type them), the
// lot gets a label, and the scan page shows it: the lot number must appear
// literally, no <img>/<script> from the payload may exist in the DOM, and
// the onerror handler must never run.  Every page load listens for
// `securitypolicyviolation` events and console errors: the UI has no inline
// script or style, so there must be none.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  requireBrowser, launch, useServer, watch, loginThroughForm, scan, textOf, uniq,
  WH_USER,
} from './lib/browser.mjs';
import { moveOk, townBin, item, expectStatus, TOWN_B, TENT } from '../api/lib/harness.mjs';

const pw = await requireBrowser();
const h = useServer();
let B;

before(async () => { B = await launch(pw); });
after(async () => { if (B) await B.close(); });

// Collect CSP violations from the first script on, in every page and every
// load of the context, into a list kept on the test's side.
async function cspWatch(context) {
  const seen = [];
  await context.exposeBinding('__reportCsp', (src, v) => { seen.push(v); });
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__reportCsp(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
    });
  });
  return seen;
}

test('a markup payload in a lot number and supplier is shown as text, and nothing runs', async () => {
  const tag = uniq('X').slice(-8);
  const payload = `<img src=x onerror="window.__xss=1">${tag}`;
  const wh = await h.login(WH_USER);
  const { bin } = await townBin(wh, TOWN_B, 'A-02');
  const tent = await item(wh, TENT);
  const { movement } = await moveOk(wh, {
    kind: 'receive', bin_id: bin.id, item_id: tent.id, qty: 2,
    lot: { lot_no: payload, production_date: '2025-03-01', expiry_date: '2033-03-01',
           supplier: `<script>window.__xss=2</script>${tag}` },
    reason: `<svg onload="window.__xss=3">${tag}`,
  });
  const lab = await wh.post('/labels', { targets: [{ kind: 'lot', lot_id: movement.lot_id, bin_id: bin.id }] });
  expectStatus(lab, [200, 201]);
  const code = lab.json.labels[0].code;

  const context = await B.browser.newContext({ viewport: { width: 1280, height: 900 } });
  const csp = await cspWatch(context);
  const page = await context.newPage();
  const log = watch(page);
  try {
    await loginThroughForm(page, h.base);
    await scan(page, code);
    assert.equal(await textOf(page, 'lot-no'), payload, 'the lot number is shown literally');
    // the history of the lot, where the UI shows movements with their reason
    await page.waitForTimeout(300);
    const injected = await page.evaluate(() => ({
      imgs: document.querySelectorAll('img[src="x"], img[onerror]').length,
      scripts: [...document.scripts].filter((s) => s.textContent.includes('__xss')).length,
      svgs: document.querySelectorAll('svg[onload]').length,
      xss: window.__xss ?? null,
    }));
    assert.deepEqual({ ...injected, csp }, { imgs: 0, scripts: 0, svgs: 0, xss: null, csp: [] },
                     `markup from data became DOM or ran:\n${log.join('\n')}`);
    const errors = log.filter((l) => /Content Security Policy|Refused to/i.test(l));
    assert.deepEqual(errors, [], 'console reports CSP refusals');
  } finally {
    await context.close();
  }
});

test('the pages run under the CSP without violations', async () => {
  const context = await B.browser.newContext({ viewport: { width: 1280, height: 900 } });
  const seen = await cspWatch(context);
  const page = await context.newPage();
  const log = watch(page);
  try {
    const res = await page.goto(`${h.base}/`);
    const csp = res.headers()['content-security-policy'];
    assert.ok(csp && !/unsafe-inline/.test(csp), `index.html CSP: ${csp}`);
    await page.getByTestId('login-username').fill(`town-${TOWN_B}`);
    await page.getByTestId('login-password').fill('reliefstock-demo');
    await page.getByTestId('login-submit').click();
    await page.locator('#nav a[href^="#/"]').first().waitFor();
    await page.waitForLoadState('networkidle');
    // every page the official's navigation offers
    const links = await page.locator('#nav a[href^="#/"]').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
    assert.ok(links.length > 0, 'no navigation after log-in');
    for (const href of links) {
      await page.goto(`${h.base}/${href}`);
      await page.waitForLoadState('networkidle');
      await page.waitForTimeout(200);
    }
    assert.deepEqual(seen, [], `CSP violations on ${links.join(', ')}`);
    const refused = log.filter((l) => /Content Security Policy|Refused to/i.test(l));
    assert.deepEqual(refused, [], `console:\n${log.join('\n')}`);
  } finally {
    await context.close();
  }
});
