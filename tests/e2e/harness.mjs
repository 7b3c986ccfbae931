// Shared set-up for the end-to-end tests: a static server for the release build (under any
// base path), headless Chromium through playwright-core (Debian's binary; nothing downloaded),
// and a network audit that records every request the page makes.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const DIST = process.env.STORAGE_DOCTOR_DIST || path.join(ROOT, 'dist');
export const SCENARIOS = path.join(ROOT, 'core/fixtures/scenarios');
export const ARTIFACTS = path.join(ROOT, 'tests/e2e/artifacts');

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/** Serves `dir` (the release build by default) under `base` (e.g. '/tools/doctor/') on a free loopback port. */
export async function serve(base = '/', dir = DIST) {
  if (!fs.existsSync(path.join(dir, 'index.html'))) {
    throw new Error(`no release build in ${dir}: run cargo xtask dist`);
  }
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    if (!url.pathname.startsWith(base)) {
      res.writeHead(404).end('outside the base path');
      return;
    }
    let rel = decodeURIComponent(url.pathname.slice(base.length));
    if (rel === '' || rel.endsWith('/')) rel += 'index.html';
    const file = path.join(dir, rel);
    if (!file.startsWith(dir) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'Content-Type': TYPES[path.extname(file)] || 'application/octet-stream' });
    fs.createReadStream(file).pipe(res);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${server.address().port}`;
  const close = () => {
    // Kept-alive connections would hold the port open (and let a "stopped" server answer).
    server.closeAllConnections();
    return new Promise((r) => server.close(r));
  };
  return { origin, url: origin + base, close };
}

const ARGS = [
  '--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run',
];

export async function launch() {
  return chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: ARGS });
}

/** A browser with a real profile in `dir` (some features, such as installing, are off in incognito). */
export async function launchPersistent(dir) {
  return chromium.launchPersistentContext(dir, { executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: ARGS });
}

/**
 * Opens the page at `url`, recording every request, every console error and every
 * Content-Security-Policy violation the page reports (across reloads).
 * `context` options go to browser.newContext(); `ready` is the selector that says the page is up.
 * Returns { page, context, requests, errors, violations }.
 */
export async function open(browser, url, { context: contextOptions = {}, ready = 'main[data-state="empty"]' } = {}) {
  const context = await browser.newContext(contextOptions);
  const violations = [];
  await context.exposeBinding('__reportCspViolation', (_source, v) => violations.push(v));
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__reportCspViolation(`${e.violatedDirective} blocked ${e.blockedURI || 'inline code'} (${e.sourceFile}:${e.lineNumber})`);
    });
  });
  const page = await context.newPage();
  const requests = [];
  const errors = [];
  context.on('request', (r) => requests.push(r.url()));
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(url);
  await page.waitForSelector(ready);
  return { page, context, requests, errors, violations };
}

/** Requests that left the page's origin (data:/blob: URLs are local). */
export function foreignRequests(requests, origin) {
  return requests.filter((u) => !u.startsWith(origin) && !u.startsWith('data:') && !u.startsWith('blob:'));
}

export function scenarioFile(name) {
  return path.join(SCENARIOS, name);
}

export async function screenshot(page, name) {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  // Finding cards off screen skip rendering (content-visibility: auto); a full-page capture
  // would show them empty, so they are drawn for the capture and set back after it.
  const cards = page.locator('.finding');
  const unlock = async (value) =>
    cards.evaluateAll((els, v) => els.forEach((e) => { e.style.contentVisibility = v; }), value);
  await unlock('visible');
  try {
    await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
  } finally {
    await unlock('');
    // Let the browser decide again which cards are on screen before the test reads them.
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  }
}
