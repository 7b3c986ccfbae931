// The analyzer page's features end to end, on the release build, in real Chromium.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { serve, launch, open, foreignRequests, scenarioFile, screenshot, ROOT } from './harness.mjs';
import { bigStorageAnalytics } from './bigfile.mjs';

let browser;
let server;
before(async () => {
  browser = await launch();
  server = await serve('/');
});
after(async () => {
  await server?.close();
  await browser?.close();
});

const done = (page) => page.waitForSelector('main[data-state="done"]', { timeout: 120_000 });

test('every built-in example shows its diagnosis, and nothing leaves the page', async () => {
  const { page, requests, errors } = await open(browser, server.url);
  const examples = await page.locator('[data-example]').evaluateAll((els) =>
    els.map((e) => ({ id: e.getAttribute('data-example'), expect: e.getAttribute('data-expect') })),
  );
  assert.ok(examples.length >= 6, `examples: ${JSON.stringify(examples)}`);
  for (const ex of examples) {
    await page.goto(server.url);
    await page.locator(`[data-example="${ex.id}"]`).click();
    await done(page);
    await page.locator(`[data-rule="${ex.expect}"]`).first().waitFor();
  }
  assert.deepEqual(foreignRequests(requests, server.origin), []);
  assert.deepEqual(errors, []);
});

test('clicking an evidence row opens the request with its raw lines', async () => {
  const { page } = await open(browser, server.url);
  await page.locator('[data-example="sas-expired"]').click();
  await done(page);
  await page.locator('[data-rule="sas-expired"] [data-evidence]').first().click();
  const detail = page.locator('[data-request-detail]');
  await detail.waitFor();
  const raw = detail.locator('[data-raw]').first();
  await raw.waitFor();
  assert.match(await raw.innerText(), /Starting synchronous request to/);
  assert.match(await raw.innerText(), /sig=REDACTED/);
  assert.doesNotMatch(await detail.innerText(), /Q2xpZW50U2VjcmV0/);
  await screenshot(page, 'request-detail');
});

test('files of different formats are joined: one request has client and server observations', async () => {
  const { page } = await open(browser, server.url);
  await page.setInputFiles('#file-input', [
    scenarioFile('ops-container-create-race.dotnet-legacy-trace.log'),
    path.join(ROOT, 'tests/e2e/fixtures/create-race.server.storage-analytics.log'),
  ]);
  await done(page);
  const formats = await page.locator('[data-input]').evaluateAll((els) => els.map((e) => e.getAttribute('data-format')));
  assert.deepEqual(formats.sort(), ['dotnet-legacy-trace', 'storage-analytics']);
  await page.fill('#request-search', '07b26a5d-4f0c-4e3b-9a5e-6d1c2b3a4f51');
  await page.press('#request-search', 'Enter');
  const row = page.locator('.req-row[data-request]', { hasText: 'GetContainerProperties' }).first();
  await row.waitFor();
  await row.click();
  const detail = page.locator('[data-request-detail]');
  await detail.waitFor();
  // The client log's attempts under this client request id, and the service's row, together.
  assert.ok((await detail.locator('[data-observation="client"]').count()) >= 1);
  assert.equal(await detail.locator('[data-observation="server"]').count(), 1);
  assert.match(await detail.innerText(), /eeead849-2e5c-4f47-b0f2-1f9d6a1c3e01/);
});

test('the requests table filters, sorts and searches', async () => {
  const { page } = await open(browser, server.url);
  await page.locator('[data-example="benign-only"]').click();
  await done(page);
  const rows = page.locator('.req-row[data-request]');
  await rows.first().waitFor();
  const all = await rows.count();
  assert.ok(all >= 5, `rows: ${all}`);
  // Filter: only 4xx.
  await page.locator('[data-facet="status"]', { hasText: '4xx' }).click();
  await page.waitForFunction((n) => document.querySelectorAll('.req-row[data-request]').length < n, all);
  const statuses = await page.locator('.req-row[data-request] .c-status').allInnerTexts();
  assert.ok(statuses.length > 0 && statuses.every((s) => s.startsWith('4')), statuses.join(','));
  // Sort by status, descending on the second click.
  await page.locator('button[data-sort="status"]').click();
  await page.locator('button[data-sort="status"]').click();
  await page.waitForFunction(() => document.querySelector('[aria-sort="descending"] button[data-sort="status"]'));
  const sorted = (await page.locator('.req-row[data-request] .c-status').allInnerTexts()).map(Number);
  assert.deepEqual(sorted, [...sorted].sort((a, b) => b - a));
  // Search narrows to matching rows.
  await page.locator('[data-facet="clear"]').click();
  await page.fill('#request-search', 'ContainerAlreadyExists');
  await page.press('#request-search', 'Enter');
  await page.waitForFunction(() => [...document.querySelectorAll('.req-row[data-request] .c-code')].every((c) => c.textContent === 'ContainerAlreadyExists'));
  assert.ok((await rows.count()) >= 1);
});

test('the Markdown export holds the findings and no secret', async () => {
  const { page } = await open(browser, server.url);
  await page.locator('[data-example="sas-expired"]').click();
  await done(page);
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-export="markdown"]')]);
  const text = fs.readFileSync(await download.path(), 'utf8');
  assert.match(text, /`sas-expired`/);
  assert.doesNotMatch(text, /sig=(?!REDACTED|XXXXX)[A-Za-z0-9%]/);
  assert.doesNotMatch(text, /Q2xpZW50U2VjcmV0/);
  const [csv] = await Promise.all([page.waitForEvent('download'), page.click('[data-export="csv"]')]);
  assert.match(fs.readFileSync(await csv.path(), 'utf8'), /^time,sources,service,operation/);
});

test('keyboard only: from an example to a finding\'s evidence and its request', async () => {
  const { page } = await open(browser, server.url);
  // Tab until the first example has focus, then press Enter.
  for (let i = 0; i < 30; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate(() => document.activeElement?.getAttribute('data-example') === 'sas-expired')) break;
  }
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-example')), 'sas-expired');
  await page.keyboard.press('Enter');
  await done(page);
  for (let i = 0; i < 60; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate(() => document.activeElement?.hasAttribute('data-evidence'))) break;
  }
  assert.ok(await page.evaluate(() => document.activeElement?.hasAttribute('data-evidence')), 'an evidence row takes focus');
  await page.keyboard.press('Enter');
  await page.locator('[data-request-detail]').waitFor();
  // Focus moves to the detail, and Escape closes it.
  await page.keyboard.press('Escape');
  await page.waitForSelector('[data-request-detail]', { state: 'detached' });
});

test('a big file shows moving progress, each input its own state, and Cancel stops it', async () => {
  const file = bigStorageAnalytics(1_000_000);
  const small = path.join(ROOT, 'core/fixtures/scenarios/sas-expired.dotnet-legacy-trace.log');
  const { page } = await open(browser, server.url);
  // The small file is read first; while the big one is read, each has its own line.
  await page.setInputFiles('#file-input', [small, file]);
  await page.waitForSelector('main[data-state="working"]');
  const values = [];
  for (let i = 0; i < 50 && values.length < 2; i++) {
    const v = Number(await page.locator('progress[data-progress]').getAttribute('value'));
    if (v > 0 && !values.includes(v)) values.push(v);
    await page.waitForTimeout(100);
  }
  assert.ok(values.length >= 2, `progress moved: ${values}`);
  await page.waitForSelector('[data-file-progress="reading"]');
  await screenshot(page, 'ingesting');
  const lines = page.locator('[data-file-progress]');
  assert.equal(await lines.count(), 2);
  assert.equal(await lines.nth(0).getAttribute('data-file-progress'), 'read');
  assert.equal(await lines.nth(1).getAttribute('data-file-progress'), 'reading');
  assert.match(await lines.nth(1).innerText(), new RegExp(path.basename(file).replace('.', '\\.')));
  assert.match(await lines.nth(1).innerText(), /MB of .* MB/);
  await page.click('button[data-action="cancel"]');
  await page.waitForSelector('main[data-state="empty"]');
  assert.match(await page.locator('main').innerText(), /cancelled/i);
});

test('a million requests: the table keeps only visible rows in the DOM, first and last reachable', async () => {
  const file = bigStorageAnalytics(1_000_000);
  const { page } = await open(browser, server.url);
  await page.setInputFiles('#file-input', file);
  await done(page);
  const scroller = page.locator('.req-scroll');
  await page.locator('.req-row[data-row="0"]').waitFor();
  const total = Number(await page.locator('.req-table').getAttribute('aria-rowcount'));
  assert.equal(total, 1_000_000);
  assert.ok((await page.locator('.req-row[data-request]').count()) < 200);
  await scroller.evaluate((el) => { el.scrollTop = el.scrollHeight; el.dispatchEvent(new Event('scroll')); });
  await page.locator(`.req-row[data-row="${total - 1}"]`).waitFor({ timeout: 30_000 });
  assert.ok((await page.locator('.req-row[data-request]').count()) < 200);
  await scroller.evaluate((el) => { el.scrollTop = el.scrollHeight / 2; el.dispatchEvent(new Event('scroll')); });
  await page.waitForFunction(() => {
    const r = document.querySelector('.req-row[data-row]');
    return r && Number(r.getAttribute('data-row')) > 400000 && Number(r.getAttribute('data-row')) < 600000;
  });
  assert.ok((await page.locator('.req-row[data-request]').count()) < 200);
});

test('CORS rule check: rules + console text give a verdict', async () => {
  const { page } = await open(browser, server.url);
  await page.goto(server.url + '#/cors');
  await page.fill('#cors-rules', fs.readFileSync(path.join(ROOT, 'core/fixtures/cors-rules/blob-service-properties.xml'), 'utf8'));
  await page.fill('#cors-console', fs.readFileSync(path.join(ROOT, 'core/fixtures/browser-console/chrome-devtools-react-blob-upload.txt'), 'utf8'));
  await page.click('button[data-action="cors-check"]');
  const verdict = page.locator('[data-verdict]');
  await verdict.waitFor();
  assert.equal(await verdict.getAttribute('data-verdict'), 'blocked');
  assert.ok((await page.locator('[data-cors-forms] [role="tab"]').count()) >= 6);
});

test('SAS decoder names every field and never shows the signature', async () => {
  const { page } = await open(browser, server.url);
  await page.goto(server.url + '#/sas');
  await page.fill('#sas-input', 'https://a.blob.core.windows.net/c/b?sv=2019-02-02&st=2024-03-05T01%3A00%3A00Z&se=2024-03-05T02%3A00%3A00Z&sr=b&sp=r&sig=U2VjcmV0U2lnbmF0dXJlVmFsdWU%3D');
  await page.fill('#sas-at', '2024-03-05T02:10:00Z');
  await page.click('button[data-action="sas-decode"]');
  await page.locator('[data-sas-decoded]').waitFor();
  for (const f of ['sv', 'st', 'se', 'sr', 'sp', 'sig']) {
    assert.equal(await page.locator(`[data-sas-field="${f}"]`).count(), 1, f);
  }
  assert.match(await page.locator('[data-sas-window]').innerText(), /expired/);
  // textContent also holds off-screen cards, which innerText leaves out.
  assert.doesNotMatch(await page.locator('main').textContent(), /U2VjcmV0/);
});

test('dark mode screenshot', async () => {
  const context = await browser.newContext({ colorScheme: 'dark' });
  const page = await context.newPage();
  await page.goto(server.url);
  await page.locator('[data-example="cors-chrome"]').click();
  await done(page);
  await screenshot(page, 'findings-dark');
  await context.close();
});
