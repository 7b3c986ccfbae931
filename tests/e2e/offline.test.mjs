// Hosting: the strict Content-Security-Policy, the service worker (offline use and the update
// prompt) and the web app manifest, on the release build in real Chromium.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DIST, serve, launch, launchPersistent, open, foreignRequests } from './harness.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const EXAMPLE = '[data-example="sas-expired"]';
const FINDING = 'main[data-state="done"] [data-rule="sas-expired"][data-severity="error"]';

function policyOf(html) {
  const m = html.match(/<meta http-equiv="Content-Security-Policy" content="([^"]*)"/);
  assert.ok(m, 'index.html has a CSP meta element');
  return Object.fromEntries(m[1].split(';').map((d) => d.trim().split(/\s+/)).map(([k, ...v]) => [k, v]));
}

test('the CSP is exact: the loader script hash and nothing inline besides', () => {
  const html = fs.readFileSync(path.join(DIST, 'index.html'), 'utf8');
  const scripts = [...html.matchAll(/<script type="module">([\s\S]*?)<\/script>/g)].map((m) => m[1]);
  assert.equal(scripts.length, 1);
  const hash = `'sha256-${crypto.createHash('sha256').update(scripts[0]).digest('base64')}'`;
  assert.deepEqual(policyOf(html), {
    'default-src': ["'self'"],
    'script-src': ["'self'", "'wasm-unsafe-eval'", hash],
    'worker-src': ["'self'"],
    'connect-src': ["'self'"],
    'style-src': ["'self'"],
    'img-src': ["'self'", 'data:'],
    'object-src': ["'none'"],
    'base-uri': ["'self'"],
    'form-action': ["'none'"],
  });
});

test('the page and its ingest worker run under the CSP without a violation', async () => {
  const server = await serve('/');
  try {
    const { page, errors, violations } = await open(browser, server.url);
    await page.locator(EXAMPLE).click();
    await page.locator(FINDING).waitFor();
    assert.deepEqual(violations, []);
    assert.deepEqual(errors, []);
    // The worker is the build's own file, not a blob: shim (worker-src 'self' would refuse one).
    const workers = page.workers().map((w) => w.url());
    assert.deepEqual(workers, [`${server.url}worker_loader.js`]);
    // The policy is enforced, and the listener hears it: inline code is refused.
    await page.evaluate(() => {
      const s = document.createElement('script');
      s.textContent = 'window.__inlineRan = true';
      document.head.append(s);
    });
    await page.waitForFunction(() => true);
    assert.equal(await page.evaluate(() => window.__inlineRan === true), false);
    assert.equal(violations.length, 1, violations.join('\n'));
    assert.match(violations[0], /^script-src/);
  } finally {
    await server.close();
  }
});

test('after one visit the page opens and analyzes offline, from a sub-path', async () => {
  const server = await serve('/tools/doctor/');
  const { page, context, requests, errors, violations } = await open(browser, server.url);
  try {
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: 30000 });
    const scope = await page.evaluate(async () => (await navigator.serviceWorker.getRegistration()).scope);
    assert.equal(scope, server.url);
    // No network at all: offline emulation, and the server itself is gone.
    await context.setOffline(true);
    await server.close();
    await page.reload();
    await page.waitForSelector('main[data-state="empty"]');
    await page.locator(EXAMPLE).click();
    await page.locator(FINDING).waitFor();
    assert.equal(await page.locator(`${FINDING} [data-evidence]`).count(), 3);
    assert.deepEqual(foreignRequests(requests, server.origin), []);
    assert.deepEqual(violations, []);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
    await server.close();
  }
});

test('a new build waits until the banner\'s Reload, then replaces the old copy', async () => {
  // A private copy of the build, so sw.js can change under the open page.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sd-update-'));
  fs.cpSync(DIST, dir, { recursive: true });
  const server = await serve('/', dir);
  const { page, context, errors } = await open(browser, server.url);
  try {
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: 30000 });
    const cachesBefore = await page.evaluate(() => caches.keys());
    assert.equal(cachesBefore.length, 1);
    assert.equal(await page.locator('[data-update-banner]').count(), 0);

    const swPath = path.join(dir, 'sw.js');
    const sw = fs.readFileSync(swPath, 'utf8');
    const version = sw.match(/"version":"([0-9a-f]{16})"/)[1];
    fs.writeFileSync(swPath, sw.replace(`"version":"${version}"`, '"version":"0000000000000001"'));
    await page.evaluate(async () => (await navigator.serviceWorker.getRegistration()).update());

    const banner = page.locator('[data-update-banner]');
    await banner.waitFor({ timeout: 30000 });
    assert.equal((await banner.innerText()).replace(/\s+/g, ' ').trim(), 'A new version is available — Reload');
    // The new build is downloaded beside the old one, which keeps serving the page until asked.
    assert.deepEqual((await page.evaluate(() => caches.keys())).sort(), [...cachesBefore, 'storage-doctor-0000000000000001'].sort());
    const waiting = await page.evaluate(async () => {
      const reg = await navigator.serviceWorker.getRegistration();
      return { waiting: reg.waiting?.state, active: reg.active?.state };
    });
    assert.deepEqual(waiting, { waiting: 'installed', active: 'activated' });

    await Promise.all([page.waitForEvent('load'), page.locator('[data-action="reload"]').click()]);
    await page.waitForSelector('main[data-state="empty"]');
    await page.waitForFunction(async () => (await caches.keys()).length === 1);
    assert.deepEqual(await page.evaluate(() => caches.keys()), ['storage-doctor-0000000000000001']);
    assert.equal(await page.locator('[data-update-banner]').count(), 0);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
    await server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the web app manifest makes the page installable', async () => {
  const server = await serve('/tools/doctor/');
  // Chromium never offers installation in incognito, which is what browser.newContext() is.
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'sd-profile-'));
  const context = await launchPersistent(profile);
  const page = context.pages()[0] || await context.newPage();
  await page.goto(server.url);
  await page.waitForSelector('main[data-state="empty"]');
  try {
    const manifest = await page.evaluate(async () => {
      const href = document.querySelector('link[rel=manifest]').href;
      return (await fetch(href)).json();
    });
    for (const icon of manifest.icons) {
      assert.ok(!icon.src.startsWith('/') && !icon.src.includes(':'), `relative icon URL ${icon.src}`);
      const res = await page.evaluate(async (src) => (await fetch(new URL(src, document.querySelector('link[rel=manifest]').href))).status, icon.src);
      assert.equal(res, 200, icon.src);
    }
    const cdp = await context.newCDPSession(page);
    const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
    assert.deepEqual(installabilityErrors, []);
  } finally {
    await context.close();
    await server.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
});
