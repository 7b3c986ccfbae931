// The single-file build (`cargo xtask dist --single-file`) opened from disk, as someone would
// after receiving it by mail: file://, no server, the ingest worker still doing the reading.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT, launch, open, scenarioFile } from './harness.mjs';

const SINGLE = process.env.STORAGE_DOCTOR_SINGLE || path.join(ROOT, 'dist-single/storage-doctor.html');
const TRACE = 'sas-expired.dotnet-legacy-trace.log';

let browser;
before(async () => {
  if (!fs.existsSync(SINGLE)) throw new Error(`no single-file build at ${SINGLE}: run cargo xtask dist --single-file`);
  browser = await launch();
});
after(async () => { await browser?.close(); });

test('opened from disk, the single file analyzes the example in its worker', async () => {
  const url = pathToFileURL(SINGLE).href;
  const { page, context, requests, errors, violations } = await open(browser, url);
  try {
    await page.locator('[data-example="sas-expired"]').click();
    await page.locator('main[data-state="done"] [data-rule="sas-expired"][data-severity="error"]').waitFor();
    // The analysis ran in a Web Worker made from the inlined source, not on the page's thread.
    const workers = page.workers().map((w) => w.url());
    assert.equal(workers.length, 1, workers.join(', '));
    assert.match(workers[0], /^blob:/);
    // The file itself is the only thing loaded by address.
    assert.deepEqual(requests.filter((u) => u !== url && !u.startsWith('data:') && !u.startsWith('blob:')), []);
    assert.equal(await page.evaluate(() => 'serviceWorker' in navigator && navigator.serviceWorker.controller), null);
    assert.deepEqual(violations, []);
    assert.deepEqual(errors, []);

    // A file added afterwards goes through the same worker, analysed together with the example.
    await page.setInputFiles('#file-input', scenarioFile(TRACE));
    await page.waitForFunction(() => document.querySelectorAll('main[data-state="done"] [data-input][data-format="dotnet-legacy-trace"]').length === 2);
    assert.deepEqual(violations, []);
  } finally {
    await context.close();
  }
});

test('the single file has one script, inline, and a policy that names it', () => {
  const html = fs.readFileSync(SINGLE, 'utf8');
  assert.equal((html.match(/<script\b/g) || []).length, 1);
  assert.doesNotMatch(html, /<script[^>]* src=/);
  assert.doesNotMatch(html, /<link[^>]* rel="(stylesheet|modulepreload|preload|manifest)"/);
  const policy = html.match(/<meta http-equiv="Content-Security-Policy" content="([^"]*)"/)[1];
  assert.doesNotMatch(policy, /'unsafe-inline'|'unsafe-eval'|\*/);
  assert.match(policy, /worker-src 'self' blob:;/);
  assert.match(policy, /script-src 'self' 'wasm-unsafe-eval' 'sha256-[A-Za-z0-9+/]+=*';/);
});
