// Share links: the whole report as `#/report/<payload>`, opened read-only on any hosted copy.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve, launch, open, foreignRequests, screenshot } from './harness.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const FINDING = '[data-rule="sas-expired"][data-severity="error"]';
const BANNER = 'Shared report — read only; the logs are not included.';

/** Analyzes the built-in example at `url` and returns the share link the page makes. */
async function shareExample(url, shot = false) {
  const { page, context, errors } = await open(browser, url, {
    context: { permissions: ['clipboard-read', 'clipboard-write'] },
  });
  await page.locator('[data-example="sas-expired"]').click();
  await page.locator(`main[data-state="done"] ${FINDING}`).waitFor();
  await page.locator('[data-action="share"]').click();
  await page.getByText('Link copied to the clipboard.').waitFor();
  const link = await page.locator('[data-share-link]').inputValue();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), link);
  if (shot) await screenshot(page, 'share-link');
  assert.deepEqual(errors, []);
  await context.close();
  return link;
}

test('a shared link opens the findings read-only on another hosted copy', async () => {
  const mine = await serve('/');
  const theirs = await serve('/tools/doctor/');
  try {
    const link = await shareExample(mine.url, true);
    const m = link.match(/^(.*)#\/report\/([A-Za-z0-9_-]+)$/);
    assert.ok(m, link);
    assert.equal(m[1], mine.url);
    assert.ok(m[2].length < 4000, `${m[2].length} characters`);

    // The colleague's copy lives elsewhere; only the fragment travels.
    const { page, requests, errors, violations } = await open(browser, `${theirs.url}#/report/${m[2]}`, {
      ready: 'main[data-state="done"]',
    });
    assert.equal(await page.locator('[data-shared-report] strong').innerText(), BANNER);
    await screenshot(page, 'shared-report');
    const finding = page.locator(FINDING);
    assert.equal(await finding.locator('[data-evidence]').count(), 3);
    assert.match(await finding.innerText(), /sas-expired\.dotnet-legacy-trace\.log:19/);
    assert.equal(await page.locator('[data-input][data-format="dotnet-legacy-trace"]').count(), 1);
    // Read-only: nothing to analyze or re-share on this view, and no worker was needed.
    assert.equal(await page.locator('[data-drop-zone], [data-action="share"]').count(), 0);
    assert.equal(page.workers().length, 0);
    assert.deepEqual(foreignRequests(requests, theirs.origin), []);
    assert.deepEqual(violations, []);
    assert.deepEqual(errors, []);

    // Back to the analyzer from the banner's link, in the same tab.
    await page.locator('[data-shared-report] a[href="#/"]').click();
    await page.waitForSelector('main[data-state="empty"] [data-drop-zone]');
  } finally {
    await mine.close();
    await theirs.close();
  }
});

test('a link pasted into an open page switches to the shared report without a reload', async () => {
  const server = await serve('/');
  try {
    const link = await shareExample(server.url);
    const { page, errors } = await open(browser, server.url);
    await page.evaluate(() => { window.__sameDocument = true; });
    await page.evaluate((hash) => { location.hash = hash; }, link.slice(link.indexOf('#')));
    await page.locator('[data-shared-report]').waitFor();
    assert.equal(await page.evaluate(() => window.__sameDocument), true);
    await page.goBack();
    await page.waitForSelector('main[data-state="empty"]');
    assert.deepEqual(errors, []);
  } finally {
    await server.close();
  }
});

test('damaged links get a clear message, never a blank page', async () => {
  const server = await serve('/');
  try {
    const link = await shareExample(server.url);
    const payload = link.slice(link.indexOf('#/report/') + '#/report/'.length);
    const cases = [
      ['', /holds no report/],
      ['abc$def', /character 4 \('\$'\)/],
      [payload.slice(0, Math.floor(payload.length / 2)), /damaged|cut short|corrupt/],
      ['A'.repeat(70000), /too long/],
      [payload.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')), /damaged|corrupt|not hold a valid/],
    ];
    for (const [bad, message] of cases) {
      const { page, context, errors } = await open(browser, `${server.url}#/report/${bad}`, {
        ready: 'main[data-state="error"]',
      });
      const box = page.locator('[data-share-error]');
      assert.match(await box.innerText(), /This shared report cannot be opened/);
      assert.match(await box.innerText(), message);
      assert.equal(await page.locator('[data-shared-report]').count(), 0);
      assert.deepEqual(errors, []);
      await context.close();
    }
  } finally {
    await server.close();
  }
});
