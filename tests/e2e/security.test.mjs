// Security: hostile log text and hostile share links render as inert text; the page talks to no
// other origin; share links carry no secret from the inputs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { serve, launch, open } from './harness.mjs';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
const XSS_TRACE = fs.readFileSync(path.join(FIXTURES, 'xss.dotnet-legacy-trace.log'));
const SECRETS_TRACE = fs.readFileSync(path.join(FIXTURES, 'secrets.dotnet-legacy-trace.log'), 'utf8');
const HOSTILE_NAME = "<img src=x onerror=__xss.push('name')>.log";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

/**
 * Opens the page with a trap: any payload that runs pushes into window.__xss, and any dialog is
 * recorded. `bypassCSP` turns the page's policy off, so the rendering alone must keep the
 * payloads inert (with the policy on, it would block them a second time).
 */
async function trapped(url, { bypassCSP, ready } = {}) {
  const opened = await open(browser, 'about:blank', { context: { bypassCSP }, ready: 'body' });
  const dialogs = [];
  opened.page.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss(); });
  await opened.context.addInitScript(() => { window.__xss = []; });
  await opened.page.goto(url);
  await opened.page.waitForSelector(ready || 'main[data-state="empty"]');
  return { ...opened, dialogs };
}

/** Everything a payload could have created, found anywhere in the document. */
async function injected(page) {
  return page.evaluate(() => {
    const found = [];
    for (const el of document.querySelectorAll('*')) {
      for (const a of el.attributes) {
        // Log text may sit in an attribute value as data (data-format, value); it must never
        // become a handler or an address.
        const address = /^(href|src|srcdoc|action|formaction|xlink:href|data)$/i.test(a.name);
        if (/^on/i.test(a.name) || (address && /__xss|javascript:/i.test(a.value))) found.push(`${el.tagName} ${a.name}=${a.value}`);
      }
      if (['IFRAME', 'OBJECT', 'EMBED', 'IMG'].includes(el.tagName)) found.push(el.tagName);
      // The page's own drawings (the timeline's chart and legend swatches, which hold no
      // script, link, image or foreign content) are the only SVG allowed in main.
      if (el.tagName.toLowerCase() === 'svg' && el.closest('main')) {
        const own = el.matches('[data-timeline] > svg.tl-chart, [data-timeline] > .tl-legend > li > svg.tl-swatch')
          && !el.querySelector('script, foreignObject, a, image, use, iframe, svg');
        if (!own) found.push('svg in main');
      }
    }
    // The only script is Trunk's loader in <head>.
    const scripts = [...document.scripts].filter((s) => s.parentElement !== document.head || s.src);
    for (const s of scripts) found.push(`script ${s.src || s.textContent.slice(0, 40)}`);
    if (document.head.querySelectorAll('script').length !== 1) found.push('extra script in head');
    return { found, ran: window.__xss };
  });
}

async function assertInert(t, page, dialogs) {
  const { found, ran } = await injected(page);
  assert.deepEqual(ran, [], `${t}: payload code ran`);
  assert.deepEqual(found, [], `${t}: injected markup`);
  assert.deepEqual(dialogs, [], `${t}: a dialog opened`);
}

for (const bypassCSP of [true, false]) {
  test(`hostile log text renders as text (CSP ${bypassCSP ? 'off' : 'on'})`, async () => {
    const server = await serve('/');
    const { page, context, dialogs, violations } = await trapped(server.url, { bypassCSP });
    try {
      await page.setInputFiles('#file-input', { name: HOSTILE_NAME, mimeType: 'text/plain', buffer: XSS_TRACE });
      const finding = page.locator('main[data-state="done"] [data-rule="sas-expired"]');
      await finding.waitFor();
      // textContent: every text node, off-screen cards included (innerText skips what is not
      // rendered); markup would not appear in it as these characters.
      const text = await page.locator('main').textContent();
      // The payloads reached the screen, as characters: client request ids, the service's
      // message quoted as evidence, and the file name.
      for (const shown of [
        "<img src=x onerror=__xss.push('crid')>",
        `"><svg onload=__xss.push('crid-attr')>`,
        `<a href="javascript:__xss.push('detail-href')">details</a>`,
        "<svg><script>__xss.push('detail-svg')</script></svg>",
        HOSTILE_NAME,
      ]) {
        assert.ok(text.includes(shown), `not shown as text: ${shown}`);
      }
      // Direction overrides cannot reorder what is shown.
      assert.ok(!text.includes('\u202e'), 'a right-to-left override reached the screen');
      assert.ok(text.includes('5f4e3d2c\ufffd-1b0a-4998-8877-665544332204'));
      await assertInert('log', page, dialogs);
      assert.deepEqual(violations, []);
    } finally {
      await context.close();
      await server.close();
    }
  });

  test(`a hostile share link renders as text (CSP ${bypassCSP ? 'off' : 'on'})`, async () => {
    const payloads = [
      "<script>__xss.push('s')</script>",
      "<img src=x onerror=__xss.push('i')>",
      "\"><svg/onload=__xss.push('v')>",
      "javascript:__xss.push('j')",
      "<iframe srcdoc=\"<script>parent.__xss.push('f')</script>\"></iframe>",
      "<svg><a xlink:href=\"javascript:__xss.push('a')\"><text>x</text></a></svg>",
      'invoice\u202egpj.exe',
    ];
    const all = payloads.join(' ');
    const report = {
      schema: 1,
      inputs: [{ path: all, format: 'dotnet-legacy-trace', events: 1, lines: 1 }],
      findings: [{
        rule: 'sas-expired', severity: 'error', title: all, explanation: all, fix: payloads,
        confidence: { level: 'low', raise_with: all }, first_seen: payloads[1], last_seen: payloads[0],
        count: 2, kql: all,
        evidence: [{
          path: payloads[3], line: 1, time: payloads[4], client_request_id: payloads[1],
          request_id: payloads[0], error_code: payloads[2], fields: Object.fromEntries(payloads.map((p, i) => [p, payloads[(i + 1) % payloads.length]])),
        }],
      }],
      summary: { clock_skew: [{ source: all, seconds: 1 }] },
    };
    const link = zlib.deflateRawSync(Buffer.from(JSON.stringify(report))).toString('base64url');
    const server = await serve('/');
    const { page, context, dialogs, violations } = await trapped(`${server.url}#/report/${link}`, {
      bypassCSP,
      ready: 'main[data-state="done"] [data-shared-report]',
    });
    try {
      await page.locator('[data-rule="sas-expired"] details.kql summary').click();
      const text = await page.locator('main').textContent();
      for (const p of payloads.slice(0, 6)) assert.ok(text.includes(p), `not shown as text: ${p}`);
      assert.ok(!text.includes('\u202e'));
      await assertInert('share link', page, dialogs);
      assert.deepEqual(violations, []);
      // A rule id is not free text: a hostile one is refused with a message, not rendered.
      report.findings[0].rule = payloads[1];
      const bad = zlib.deflateRawSync(Buffer.from(JSON.stringify(report))).toString('base64url');
      await page.evaluate((h) => { location.hash = h; }, `#/report/${bad}`);
      await page.locator('[data-share-error]').waitFor();
      assert.match(await page.locator('[data-share-error]').innerText(), /malformed rule id/);
      await assertInert('refused link', page, dialogs);
    } finally {
      await context.close();
      await server.close();
    }
  });
}

test('from load to every built-in example analyzed and shared, no request leaves the page', async () => {
  const server = await serve('/tools/doctor/');
  const { page, context, requests, errors } = await open(browser, server.url, {
    context: { permissions: ['clipboard-read', 'clipboard-write'] },
  });
  const sockets = [];
  page.on('websocket', (w) => sockets.push(w.url()));
  try {
    const examples = await page.locator('[data-example]').evaluateAll((els) =>
      els.map((e) => ({ id: e.dataset.example, expect: e.dataset.expect })),
    );
    assert.ok(examples.length >= 1);
    for (const { id, expect } of examples) {
      // Back to the landing (in-page, no reload) where the examples are listed.
      await page.locator('a.brand').click();
      await page.locator(`[data-example="${id}"]`).click();
      await page.locator(`main[data-state="done"] [data-rule="${expect}"]`).first().waitFor();
      await page.locator('[data-action="share"]').click();
      await page.locator('[data-share-link]').waitFor();
    }
    // Let the service worker finish storing the build, which also makes requests.
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
    await page.evaluate(() => navigator.serviceWorker.ready);
    // The audit saw the page's own files (so it was listening), and nothing else.
    assert.ok(requests.some((u) => u.endsWith('_bg.wasm')), requests.join('\n'));
    const outside = requests.filter((u) => !u.startsWith(server.url) && !u.startsWith('blob:') && !u.startsWith('data:'));
    assert.deepEqual(outside, []);
    assert.deepEqual(sockets, []);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
    await server.close();
  }
});

/** The secret values of the secrets fixture, read from it (masked values are not secrets). */
function secretsOf(text) {
  const found = new Set();
  for (const m of text.matchAll(/[?&;\s]sig=([^&\s.;]+)/g)) if (!/^X+$/.test(m[1])) found.add(decodeURIComponent(m[1]));
  for (const m of text.matchAll(/AccountKey=([^;\s]+)/g)) found.add(m[1]);
  for (const m of text.matchAll(/Bearer ([A-Za-z0-9._-]{16,}?)\.?\s*$/gm)) found.add(m[1]);
  return [...found];
}

test('share links and the screen carry no secret from the inputs', async () => {
  const secrets = secretsOf(SECRETS_TRACE);
  assert.equal(secrets.length, 3, secrets.join(', '));
  const server = await serve('/');
  const { page, context, errors } = await open(browser, server.url, {
    context: { permissions: ['clipboard-read', 'clipboard-write'] },
  });
  try {
    await page.setInputFiles('#file-input', { name: 'secrets.log', mimeType: 'text/plain', buffer: Buffer.from(SECRETS_TRACE) });
    await page.locator('main[data-state="done"] [data-rule="sas-expired"]').waitFor();
    await page.locator('[data-action="share"]').click();
    await page.getByText('Link copied to the clipboard.').waitFor();
    const link = await page.evaluate(() => navigator.clipboard.readText());
    const payload = link.slice(link.indexOf('#/report/') + '#/report/'.length);
    const json = zlib.inflateRawSync(Buffer.from(payload, 'base64url')).toString('utf8');
    const screen = await page.locator('body').textContent();
    // What was shared is the evidence that quotes the service's message…
    assert.match(json, /AccountKey=REDACTED/);
    assert.match(json, /Bearer REDACTED/);
    // …and a value the log had already masked is kept as it was.
    assert.match(json, /sig=XXXXX/);
    for (const s of secrets) {
      for (const [where, text] of [['link', link], ['shared JSON', json], ['screen', screen]]) {
        assert.ok(!text.includes(s), `${s.slice(0, 12)}… in the ${where}`);
      }
    }
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
    await server.close();
  }
});
